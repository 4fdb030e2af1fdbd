"""The service's documented facts the emulator serves: status tables, error codes, id and RES rules.

This is the emulator's own reading of the vendor documentation, kept apart from the client's
reading on purpose (the client's tables are never imported here): a misreading made on one side
only shows up as a difference, which ``tests/emulator/test_two_readings.py`` looks for. Each entry
says where it comes from:

* *OTC reference*: the Open Telekom Cloud ModelArts API reference (v2 training-job pages, the
  "Historical APIs" v1 pages with their "Job Statuses" table, "Appendix: Error Codes").
* *HWC reference*: the Huawei Cloud ModelArts API reference (Chinese export; its error table is the
  only one with ``ModelArts.0015``).
* *RES reference*: the Huawei Cloud RES API pages "Deleting Jobs", "Querying Job Details" and
  "Querying the Job List".
* *gateway docs*: Huawei Cloud's API-signing guide and the API gateway's error pages.

Where the documentation is silent, the value is the emulator's own choice and says so
(*undocumented*); the modules that use it state the behaviour built on it.
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum
from typing import NamedTuple


class Meaning(StrEnum):
    """What a status says about a job, as the status tables describe it."""

    ACTIVE = "active"  # being created, queued, submitted or running
    STOPPING = "stopping"  # a stop (terminate, kill) is under way
    STOPPED = "stopped"  # stopped on request
    SUCCEEDED = "succeeded"  # ended by itself, successfully
    FAILED = "failed"  # ended by itself, or was refused, with an error
    UNKNOWN = "unknown"  # the table itself calls it unknown


# ---- v2 training jobs: ``status.phase`` --------------------------------------------------------


class V2Phase(StrEnum):
    """``status.phase`` (the "level-1 status") of a v2 training job.

    OTC reference, "Querying the Details About a Training Job", ``Status`` table.
    """

    CREATING = "Creating"  # "being created"
    PENDING = "Pending"  # "waiting"
    RUNNING = "Running"  # "running"
    TERMINATING = "Terminating"  # "being stopped"; what a terminate answers (202)
    TERMINATED = "Terminated"  # "stopped"
    COMPLETED = "Completed"  # "completed"
    FAILED = "Failed"  # "failed"
    ABNORMAL = "Abnormal"  # "abnormal"; the detail sample shows it with secondary CreateFailed


V2_MEANINGS: dict[V2Phase, Meaning] = {
    V2Phase.CREATING: Meaning.ACTIVE,
    V2Phase.PENDING: Meaning.ACTIVE,
    V2Phase.RUNNING: Meaning.ACTIVE,
    V2Phase.TERMINATING: Meaning.STOPPING,
    V2Phase.TERMINATED: Meaning.STOPPED,
    V2Phase.COMPLETED: Meaning.SUCCEEDED,
    V2Phase.FAILED: Meaning.FAILED,
    V2Phase.ABNORMAL: Meaning.FAILED,
}

# ``status.secondary_phase`` ("level-2 status"; the reference says it is internal and may change).
# OTC reference, detail page. Which secondary value goes with which phase is undocumented.
V2_SECONDARY_PHASES = frozenset(
    {
        "Creating",
        "Queuing",
        "Running",
        "Failed",
        "Completed",
        "Terminating",
        "Terminated",
        "CreateFailed",
        "TerminatedFailed",
        "Unknown",
        "Lost",
    }
)

# OTC reference, "Terminating a Training Job": only a job that is being created, pending or
# running can be terminated; any other phase answers 409 ModelArts.2796 (error table).
V2_TERMINABLE = frozenset({V2Phase.CREATING, V2Phase.PENDING, V2Phase.RUNNING})

# HWC reference, "Deleting Training Jobs in Batches": at most 100 jobs, all in one workspace.
V2_BATCH_DELETE_LIMIT = 100


# ---- v1 training jobs and v1 visualization jobs: the numeric status ---------------------------


class V1Status(IntEnum):
    """The status code of v1 training jobs (and their versions) and of v1 visualization jobs.

    OTC reference, Historical APIs, "Job Statuses" (``JOBSTAT_*``); the HWC reference's table has
    the same values. For visualization jobs the meaning of 7 may be "deploying" (the visualization
    list sample calls 7 "being deployed"); the emulator reads it as waiting, like the table.
    """

    UNKNOWN = 0  # JOBSTAT_UNKNOWN, "unknown"
    INIT = 1  # JOBSTAT_INIT, "initializing"
    IMAGE_CREATING = 2  # JOBSTAT_IMAGE_CREATING, "image being created"
    IMAGE_FAILED = 3  # JOBSTAT_IMAGE_FAILED, "image creation failed"
    SUBMIT_TRYING = 4  # JOBSTAT_SUBMIT_TRYING, "being submitted"
    SUBMIT_FAILED = 5  # JOBSTAT_SUBMIT_FAILED, "submission failed"
    DELETE_FAILED = 6  # JOBSTAT_DELETE_FAILED, "deletion failed"
    WAITING = 7  # JOBSTAT_WAITING, "queuing"
    RUNNING = 8  # JOBSTAT_RUNNING, "running"
    KILLING = 9  # JOBSTAT_KILLING, "being canceled"
    COMPLETED = 10  # JOBSTAT_COMPLETED, "completed"
    FAILED = 11  # JOBSTAT_FAILED, "running failed"
    KILLED = 12  # JOBSTAT_KILLED, "canceled successfully"
    CANCELED = 13  # JOBSTAT_CANCELED, "canceled"
    LOST = 14  # JOBSTAT_LOST, "lost"
    SCALING = 15  # JOBSTAT_SCALING, "scaling"
    SUBMIT_MODEL_FAILED = 16  # JOBSTAT_SUBMIT_MODEL_FAILED, "model submission failed"
    DEPLOY_SERVICE_FAILED = 17  # JOBSTAT_DEPLOY_SERVICE_FAILED, "service deployment failed"
    CHECK_INIT = 18  # JOBSTAT_CHECK_INIT, "review initializing"
    CHECK_RUNNING = 19  # JOBSTAT_CHECK_RUNNING, "being reviewed"
    CHECK_RUNNING_COMPLETED = 20  # JOBSTAT_CHECK_RUNNING_COMPLETED, "review completed"
    CHECK_FAILED = 21  # JOBSTAT_CHECK_FAILED, "review failed"


V1_MEANINGS: dict[V1Status, Meaning] = {
    V1Status.UNKNOWN: Meaning.UNKNOWN,
    V1Status.INIT: Meaning.ACTIVE,
    V1Status.IMAGE_CREATING: Meaning.ACTIVE,
    V1Status.IMAGE_FAILED: Meaning.FAILED,
    V1Status.SUBMIT_TRYING: Meaning.ACTIVE,
    V1Status.SUBMIT_FAILED: Meaning.FAILED,
    V1Status.DELETE_FAILED: Meaning.FAILED,  # the job is still there: a delete did not take
    V1Status.WAITING: Meaning.ACTIVE,
    V1Status.RUNNING: Meaning.ACTIVE,
    V1Status.KILLING: Meaning.STOPPING,  # what the stop API leads to, on the way to KILLED
    V1Status.COMPLETED: Meaning.SUCCEEDED,
    V1Status.FAILED: Meaning.FAILED,
    V1Status.KILLED: Meaning.STOPPED,
    # "canceled": a stop, by its name; the list page's example for failed jobs
    # (status 3, 5, 6, 13) groups it with failures, a filter example rather than a definition.
    V1Status.CANCELED: Meaning.STOPPED,
    V1Status.LOST: Meaning.FAILED,
    V1Status.SCALING: Meaning.ACTIVE,
    V1Status.SUBMIT_MODEL_FAILED: Meaning.FAILED,
    V1Status.DEPLOY_SERVICE_FAILED: Meaning.FAILED,
    V1Status.CHECK_INIT: Meaning.ACTIVE,
    V1Status.CHECK_RUNNING: Meaning.ACTIVE,
    V1Status.CHECK_RUNNING_COMPLETED: Meaning.SUCCEEDED,
    V1Status.CHECK_FAILED: Meaning.FAILED,
}

# OTC reference, v1 "Stopping a Training Job": a version can be stopped "only when the job is
# running"; the emulator also lets the two states before running be stopped (undocumented).
V1_STOPPABLE = frozenset({V1Status.INIT, V1Status.WAITING, V1Status.RUNNING})


# ---- RES jobs ---------------------------------------------------------------------------------


class ResStatus(StrEnum):
    """RES ``job_status`` values (a string). Undocumented: the RES reference gives the field's type
    only, and the console shows computing / succeeded / failed. These are the emulator's choice."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    KILLED = "KILLED"


RES_MEANINGS: dict[ResStatus, Meaning] = {
    ResStatus.RUNNING: Meaning.ACTIVE,
    ResStatus.SUCCEEDED: Meaning.SUCCEEDED,
    ResStatus.FAILED: Meaning.FAILED,
    ResStatus.KILLED: Meaning.STOPPED,
}

# RES reference: the ``type`` values of "Querying the Job List" (etl, retrieval, filter, ranking,
# nearline, standard, evaluation) and of "Deleting Jobs" (the English page: etl, retrieval, filter,
# standard; the Chinese page writes recall where the English one writes retrieval).
RES_JOB_TYPES = frozenset(
    {"etl", "retrieval", "recall", "filter", "standard", "ranking", "nearline", "evaluation"}
)
# RES reference, "Deleting Jobs": ``offline_platform`` "is mandatory when type is set to etl,
# retrieval, filter, or standard" (the Chinese page: etl, recall, filter, standard).
RES_TYPES_NEEDING_PLATFORM = frozenset({"etl", "retrieval", "recall", "filter", "standard"})
# RES reference, "Deleting Jobs": ``offline_platform.platform`` is DLI only, with an optional
# ``platform_parameter`` object (``cluster_name``) and ``config_load_path``. No lengths are given.
RES_PLATFORMS = frozenset({"DLI"})
RES_PLATFORM_KEYS = frozenset({"platform", "platform_parameter", "config_load_path"})


# ---- ids --------------------------------------------------------------------------------------

# HWC "Deleting a Training Job" page: project_id is 1-64 letters, digits or hyphens.
PROJECT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
# OTC reference, v2 job object: ``metadata.id`` is a UUID (every sample is a lower-case UUID).
V2_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# OTC reference, v1 pages: ``job_id``, ``version_id`` (and a visualization ``job_id``) are Long.
V1_ID_MAX = 2**63 - 1
# RES reference, "Deleting Jobs": job_id "can contain 1 to 20 characters. Only letters, digits,
# hyphens (-), and underscores (_) are allowed."
RES_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,20}")
# OTC reference, v2 job object: ``metadata.name`` is 1-64 letters, digits, ``_`` or ``-``; the
# emulator applies the same rule to v1 and visualization job names (undocumented there).
JOB_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


# ---- errors -----------------------------------------------------------------------------------


class ErrorCode(NamedTuple):
    """An error code and the HTTP status the error table lists it with."""

    status: int
    code: str


# OTC reference, "Appendix: Error Codes" unless noted. Some codes are listed with two statuses;
# the one used is named.
INTERNAL_ERROR = ErrorCode(500, "ModelArts.0010")
# HWC reference error table only: "the resource you requested does not exist". The v1 not-found
# answer of the emulator (the v1 pages document none; an unconfirmed reading).
RESOURCE_NOT_FOUND = ErrorCode(404, "ModelArts.0015")
RESOURCE_NOT_FOUND_MESSAGE = "The resource you requested does not exist."
WORKSPACE_NOT_FOUND = ErrorCode(400, "ModelArts.0102")  # "The workspace does not exist"
PARAMETER_ERROR = ErrorCode(400, "ModelArts.0104")  # "Parameter error"
# In no error table: the v1 and visualization failure samples ("This job can't be delete. job
# status: 9") carry it. The emulator uses it for those refusals (HTTP status per configuration).
JOB_STATE_REFUSED = ErrorCode(400, "ModelArts.0105")
NO_TOKEN = ErrorCode(401, "ModelArts.0201")  # HWC: "No key X-Auth-Token in header"
TOKEN_EXPIRED = ErrorCode(401, "ModelArts.0202")
INVALID_TOKEN = ErrorCode(401, "ModelArts.0203")  # listed with 401 and 403
PROJECT_MISMATCH = ErrorCode(403, "ModelArts.0210")  # project id in the URL is not the token's
TOKEN_WITHOUT_PROJECT = ErrorCode(401, "ModelArts.0212")  # use a project-scoped token
QUERY_PARAMS_ERROR = ErrorCode(400, "ModelArts.2764")  # QueryParamsError
# TrainingJobNotFound, "Training job (ID: %s) not found.": what a v2 job that does not exist
# answers, with HTTP 400.
TRAINING_JOB_NOT_FOUND = ErrorCode(400, "ModelArts.2775")
TRAINING_JOB_NOT_FOUND_MESSAGE = "Training job (ID: {job_id}) not found."
INVALID_JSON_BODY = ErrorCode(400, "ModelArts.2787")  # InvalidJsonBody
INVALID_PARAM = ErrorCode(400, "ModelArts.2788")  # InvalidParam
UNSUPPORTED_SORT_BY = ErrorCode(400, "ModelArts.2790")  # UnsupportedSortBy
NOT_ALLOWED_TO_TERMINATE = ErrorCode(409, "ModelArts.2796")  # NotAllowedToTerminate
TOO_MANY_REQUESTS = ErrorCode(429, "ModelArts.2799")  # TooManyRequests
METHOD_NOT_ALLOWED = ErrorCode(405, "ModelArts.2803")  # MethodNotAllowed
UNSUPPORTED_SEARCH_KEY = ErrorCode(400, "ModelArts.2807")
UNSUPPORTED_SEARCH_OPERATOR = ErrorCode(400, "ModelArts.2808")
UNSUPPORTED_SEARCH_VALUE = ErrorCode(400, "ModelArts.2809")
UNSUPPORTED_ACTION_TYPE = ErrorCode(400, "ModelArts.2812")  # UnsupportedActionType
PATH_NOT_FOUND = ErrorCode(404, "ModelArts.2836")  # PathNotFound

# Gateway docs: every IAM AK/SK failure (a wrong signature, an X-Sdk-Date more than 15 minutes
# off, an AK locked after more than 5 failures in a row) is this one answer.
AKSK_REFUSED = ErrorCode(401, "APIGW.0301")
AKSK_REFUSED_MESSAGE = "Incorrect IAM authentication information: verify aksk signature fail"
SDK_DATE_WINDOW_SECONDS = 15 * 60
LOCKOUT_FAILURES = 5  # "more than 5 consecutive failures"
LOCKOUT_SECONDS = 5 * 60

# RES reference, "Deleting Jobs", failure sample: the token failure of RES, in RES's shape.
RES_TOKEN_REFUSED_CODE = "res.2301"
RES_TOKEN_REFUSED_MESSAGE = "Failed to resolve the token from the request."
# RES error table, seen only in search snippets: "RES.1001 Basic Error - invalid parameter" (400).
RES_INVALID_PARAMETER = ErrorCode(400, "RES.1001")
# Undocumented (RES documents no not-found code): the emulator's answer for a RES job that does
# not exist, in RES's error namespace with a message saying the job does not exist.
RES_JOB_NOT_FOUND = ErrorCode(404, "RES.1002")
RES_JOB_NOT_FOUND_MESSAGE = "The job does not exist."
