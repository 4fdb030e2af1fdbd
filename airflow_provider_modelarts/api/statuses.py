"""The documented status tables of the four job families, and what each status means for teardown.

This is the one place that knows status values; models, triggers, operators and the emulator ask
it. Unknown values are never terminal: a waiter keeps waiting rather than guessing.
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum


class Category(StrEnum):
    ACTIVE = "active"
    STOPPING = "stopping"
    STOPPED = "stopped"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self in (Category.STOPPED, Category.SUCCEEDED, Category.FAILED)


class JobFamily(StrEnum):
    """The job families a sensor or operator can target."""

    TRAINING = "training"  # v2 training jobs
    TRAINING_V1 = "training_v1"
    VISUALIZATION = "visualization"
    RES = "res"


class V2Phase(StrEnum):
    """``status.phase`` of a v2 training job."""

    CREATING = "Creating"
    PENDING = "Pending"
    RUNNING = "Running"
    TERMINATING = "Terminating"
    TERMINATED = "Terminated"
    COMPLETED = "Completed"
    FAILED = "Failed"
    ABNORMAL = "Abnormal"


class V1Status(IntEnum):
    """Status codes of v1 training jobs and v1 visualization jobs."""

    UNKNOWN = 0
    INIT = 1
    IMAGE_CREATING = 2
    IMAGE_FAILED = 3
    SUBMIT_TRYING = 4
    SUBMIT_FAILED = 5
    DELETE_FAILED = 6
    WAITING = 7
    RUNNING = 8
    KILLING = 9
    COMPLETED = 10
    FAILED = 11
    KILLED = 12
    CANCELED = 13
    LOST = 14
    SCALING = 15
    SUBMIT_MODEL_FAILED = 16
    DEPLOY_SERVICE_FAILED = 17
    CHECK_INIT = 18
    CHECK_RUNNING = 19
    CHECK_RUNNING_COMPLETED = 20
    CHECK_FAILED = 21


class ResStatus(StrEnum):
    """RES ``job_status`` values. The API strings are undocumented; these are the ones we emit."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    KILLED = "KILLED"


V2_CATEGORIES: dict[V2Phase, Category] = {
    V2Phase.CREATING: Category.ACTIVE,
    V2Phase.PENDING: Category.ACTIVE,
    V2Phase.RUNNING: Category.ACTIVE,
    V2Phase.TERMINATING: Category.STOPPING,
    V2Phase.TERMINATED: Category.STOPPED,
    V2Phase.COMPLETED: Category.SUCCEEDED,
    V2Phase.FAILED: Category.FAILED,
    V2Phase.ABNORMAL: Category.FAILED,
}

V1_CATEGORIES: dict[V1Status, Category] = {
    V1Status.UNKNOWN: Category.UNKNOWN,
    V1Status.INIT: Category.ACTIVE,
    V1Status.IMAGE_CREATING: Category.ACTIVE,
    V1Status.IMAGE_FAILED: Category.FAILED,
    V1Status.SUBMIT_TRYING: Category.ACTIVE,
    V1Status.SUBMIT_FAILED: Category.FAILED,
    V1Status.DELETE_FAILED: Category.FAILED,
    V1Status.WAITING: Category.ACTIVE,
    V1Status.RUNNING: Category.ACTIVE,
    V1Status.KILLING: Category.STOPPING,
    V1Status.COMPLETED: Category.SUCCEEDED,
    V1Status.FAILED: Category.FAILED,
    V1Status.KILLED: Category.STOPPED,
    V1Status.CANCELED: Category.STOPPED,
    V1Status.LOST: Category.FAILED,
    V1Status.SCALING: Category.ACTIVE,
    V1Status.SUBMIT_MODEL_FAILED: Category.FAILED,
    V1Status.DEPLOY_SERVICE_FAILED: Category.FAILED,
    V1Status.CHECK_INIT: Category.ACTIVE,
    V1Status.CHECK_RUNNING: Category.ACTIVE,
    V1Status.CHECK_RUNNING_COMPLETED: Category.SUCCEEDED,
    V1Status.CHECK_FAILED: Category.FAILED,
}

# RES values are unconfirmed: accept every plausible spelling, case-insensitively.
_RES_WORDS: dict[Category, frozenset[str]] = {
    Category.ACTIVE: frozenset(
        {"running", "computing", "pending", "waiting", "queuing", "queued", "submitted", "init", "creating"}
    ),
    Category.STOPPING: frozenset({"killing", "stopping", "terminating", "canceling", "cancelling"}),
    Category.STOPPED: frozenset({"killed", "stopped", "canceled", "cancelled", "terminated"}),
    Category.SUCCEEDED: frozenset({"succeeded", "success", "successful", "completed", "finished", "done"}),
    Category.FAILED: frozenset({"failed", "failure", "error", "abnormal", "lost"}),
}


def v2_category(phase: str | None) -> Category:
    try:
        return V2_CATEGORIES[V2Phase(phase or "")]
    except ValueError:
        return Category.UNKNOWN


def v1_category(status: int | str | None) -> Category:
    try:
        return V1_CATEGORIES[V1Status(int(status))]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return Category.UNKNOWN


def res_category(status: str | None) -> Category:
    word = (status or "").strip().lower()
    for category, words in _RES_WORDS.items():
        if word in words:
            return category
    return Category.UNKNOWN


def category(family: JobFamily, status: object) -> Category:
    """The teardown category of a raw status value of ``family``."""
    if family is JobFamily.TRAINING:
        return v2_category(status if isinstance(status, str) else None)
    if family is JobFamily.RES:
        return res_category(status if isinstance(status, str) else None)
    return v1_category(status if isinstance(status, int | str) else None)


def status_name(family: JobFamily, status: object) -> str:
    """A readable name for a raw status (``KILLED (12)`` for v1 codes)."""
    if family in (JobFamily.TRAINING_V1, JobFamily.VISUALIZATION) and status is not None:
        try:
            code = int(status)  # type: ignore[call-overload]
            return f"{V1Status(code).name} ({code})"
        except (TypeError, ValueError):
            return str(status)
    return str(status)


_V1_NAME = re.compile(r"[A-Z_]+ \((\d+)\)")


def category_of_name(family: JobFamily, name: str) -> Category:
    """The category of a status as :func:`status_name` wrote it (``KILLED (12)``, ``Terminated``)."""
    if family in (JobFamily.TRAINING_V1, JobFamily.VISUALIZATION):
        match = _V1_NAME.fullmatch(name)
        return v1_category(match[1]) if match else Category.UNKNOWN
    return category(family, name)


def status_key(family: JobFamily, status: object) -> str | None:
    """One spelling of a status for comparing (the v2 phase, the v1 code as digits, a RES status in
    lower case), from any documented spelling: a v2 phase in any case; a v1 code (an int or
    digits), a v1 name in any case (``COMPLETED``) or as :func:`status_name` writes it
    (``COMPLETED (10)``); a RES status in any case. ``None`` when ``family`` has no such status."""
    if isinstance(status, bool) or not isinstance(status, str | int):
        return None
    text = str(status).strip()
    if family is JobFamily.TRAINING:
        return next((phase.value for phase in V2Phase if phase.value.lower() == text.lower()), None)
    if family is JobFamily.RES:
        word = text.lower()
        return word if any(word in words for words in _RES_WORDS.values()) else None
    match = _V1_NAME.fullmatch(text.upper())
    if match:
        text = match[1]
    if text.isdigit():
        return str(int(text)) if int(text) in V1Status._value2member_map_ else None
    member = V1Status.__members__.get(text.upper())
    return None if member is None else str(member.value)


def known_statuses(family: JobFamily) -> list[str]:
    """The statuses of ``family`` a status filter may name (see :func:`status_key`)."""
    if family is JobFamily.TRAINING:
        return [phase.value for phase in V2Phase]
    if family is JobFamily.RES:
        return sorted(word.upper() for words in _RES_WORDS.values() for word in words)
    return [f"{member.name} ({member.value})" for member in V1Status]


__all__ = [
    "Category",
    "JobFamily",
    "ResStatus",
    "V1Status",
    "V2Phase",
    "category",
    "category_of_name",
    "known_statuses",
    "res_category",
    "status_key",
    "status_name",
    "v1_category",
    "v2_category",
]
