"""The per-job decision of every teardown: given how a job looks now, what happens to it next.

One pure function, :func:`decide`, answers for every operator and for one job or many: the
teardown, the single steps (delete, stop), and the cleanup. A :class:`Policy` says what the task
is allowed to do; :class:`Step` is the answer. Nothing here sends a request.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import TYPE_CHECKING

from airflow_provider_modelarts.api.statuses import Category, JobFamily
from airflow_provider_modelarts.api.watch import Gone

if TYPE_CHECKING:
    from airflow_provider_modelarts.api.models import JobSnapshot

MAX_STOP_ROUNDS = 2  # stop, wait, look again: at most this often per job and run


class Step(Enum):
    GONE = auto()  # the service says the job does not exist: already absent
    DELETE = auto()  # delete it now
    STOP = auto()  # ask it to stop, wait until it has, then look again
    AWAIT_STOP = auto()  # it is stopping: wait until it has, then look again
    DONE = auto()  # nothing more to do (a stop-only task, and the job has finished)
    FAIL = auto()  # this job fails, naming why; the others go on
    SKIP = auto()  # left alone on purpose (the cleanup), naming why


@dataclass(frozen=True, slots=True)
class Decision:
    step: Step
    reason: str | None = None
    status: str | None = None  # the status the decision was made on (``None``: gone)


@dataclass(frozen=True, slots=True)
class Policy:
    """What a teardown may do.

    :param delete: Delete the job once it has stopped (``False``: only stop it).
    :param stop: Stop a job that runs (RES, which has no stop API: delete it as it is).
    :param check_state: Judge the job's state before deleting it; ``False`` (a plain delete):
        delete whatever the job is doing.
    :param ignore_not_found: A job that does not exist is already absent (else it fails).
    :param fail_if_not_running: A stop-only task fails on a job that has already finished.
    :param skip_unstoppable: A running job the task may not stop is skipped (the cleanup) rather
        than failed (a task given its jobs).
    :param protected: Shell-style patterns of names never to touch; while any is set, a job whose
        name cannot be read is kept too.
    :param unstoppable: Why a running job is not deleted when the task may not stop it.
    """

    delete: bool = True
    stop: bool = True
    check_state: bool = True
    ignore_not_found: bool = True
    fail_if_not_running: bool = False
    skip_unstoppable: bool = False
    protected: tuple[str, ...] = ()
    unstoppable: str = "{status}; stop_first=False, so it is not deleted"


def protected(name: str | None, patterns: Sequence[str]) -> bool:
    """Whether a job must be kept: its name matches a protected pattern, or it has no readable
    name (missing or empty) while any name is protected (it might be one of them)."""
    if not patterns:
        return False
    return not name or any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def decide(
    policy: Policy,
    family: JobFamily,
    look: JobSnapshot | Gone,
    *,
    name: str | None = None,
    stop_rounds: int,
) -> Decision:
    """What happens next to a job that looks like ``look`` (:class:`..api.watch.Gone`: the service
    says it does not exist). ``name``: its name as listed, when the look has none;
    ``stop_rounds``: stops already waited for in this run."""
    if isinstance(look, Gone):
        if policy.ignore_not_found:
            return Decision(Step.GONE)
        return Decision(Step.FAIL, "does not exist (ignore_not_found=False)")
    status = look.status_name
    if protected(look.name or name, policy.protected):
        return Decision(Step.SKIP, "protected name", status)
    if not policy.check_state:
        return Decision(Step.DELETE, status=status)
    if look.is_terminal:
        if policy.delete:
            return Decision(Step.DELETE, status=status)
        if policy.fail_if_not_running:
            return Decision(Step.FAIL, f"is not running: it is {status}", status)
        return Decision(Step.DONE, status=status)
    if family is JobFamily.RES and policy.delete and policy.stop:
        return Decision(Step.DELETE, status=status)  # no stop API: deleted as it is
    if not policy.stop:
        return _unstoppable(policy, status)
    if stop_rounds >= MAX_STOP_ROUNDS:
        reason = f"still {status} after {stop_rounds} rounds of stopping; not deleted"
        return Decision(Step.SKIP if policy.skip_unstoppable else Step.FAIL, reason, status)
    if look.category is Category.STOPPING:
        return Decision(Step.AWAIT_STOP, status=status)
    return Decision(Step.STOP, status=status)


def _unstoppable(policy: Policy, status: str) -> Decision:
    reason = policy.unstoppable.format(status=status)
    return Decision(Step.SKIP if policy.skip_unstoppable else Step.FAIL, reason, status)


def after_refusal(
    policy: Policy,
    family: JobFamily,
    look: JobSnapshot | Gone,
    refusal: str,
    *,
    request: str,
    stop_rounds: int,
) -> Decision:
    """What happens to a job whose ``request`` (``stop`` or ``delete``) the service refused, given
    how it looks right after: gone meanwhile is already absent; still stopping is waited for (then
    looked at again); a stop refused because the job has just finished goes on as for a finished
    job; anything else fails the job, naming the refusal."""
    if isinstance(look, Gone):
        return Decision(Step.GONE)
    status = look.status_name
    if look.category is Category.STOPPING and stop_rounds < MAX_STOP_ROUNDS:
        return Decision(Step.AWAIT_STOP, status=status)
    if request == "stop" and look.is_terminal:
        return decide(policy, family, look, stop_rounds=stop_rounds)
    return Decision(Step.FAIL, f"{refusal} (the job is {status})", status)
