"""The client's reading of the documentation against the emulator's (:mod:`.documented`).

Both were written from the same vendor pages, separately; where both readings of a fact exist
they must agree: status values and what each means, the not-found answers (code and HTTP status,
also as the emulator actually serves them), id rules, RES job types and the ``offline_platform``
rules, the batch-delete limit. Every difference allowed is listed next to the check that allows
it, with its reason.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from airflow_provider_modelarts.api import errors, ids, operations, statuses
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.emulator import EmulatorServer, documented
from airflow_provider_modelarts.emulator.routes_res import delete_problem
from airflow_provider_modelarts.emulator.store import Family

# ---- statuses -----------------------------------------------------------------------------------


def test_the_families_are_the_same() -> None:
    assert {family.value for family in Family} == {family.value for family in JobFamily}


def test_v2_phases_and_their_meanings_agree() -> None:
    assert {p.value for p in documented.V2Phase} == {p.value for p in statuses.V2Phase}
    for phase, meaning in documented.V2_MEANINGS.items():
        assert statuses.v2_category(phase.value).value == meaning.value, phase


def test_v1_status_codes_names_and_meanings_agree() -> None:
    assert {(s.name, s.value) for s in documented.V1Status} == {(s.name, s.value) for s in statuses.V1Status}
    for status, meaning in documented.V1_MEANINGS.items():
        # The client reads codes as numbers or as numeric strings; both must mean the same.
        assert statuses.v1_category(int(status)).value == meaning.value, status
        assert statuses.v1_category(str(int(status))).value == meaning.value, status


def test_every_res_status_the_emulator_serves_means_the_same_to_the_client() -> None:
    # Allowed difference: the RES job_status strings are undocumented. The emulator serves four
    # values of its own choosing; the client accepts many spellings (running, computing, killed,
    # cancelled, ...) so as not to misread the real service. Only the emulator's four are compared.
    for status, meaning in documented.RES_MEANINGS.items():
        assert statuses.res_category(status.value).value == meaning.value, status


def test_the_meanings_name_the_same_categories() -> None:
    assert {m.value for m in documented.Meaning} == {c.value for c in statuses.Category}


# ---- not found ----------------------------------------------------------------------------------

V2_JOB = JobRef(JobFamily.TRAINING, "3faf5c03-aaa1-4cbe-879d-24b05d997347")
V1_JOB = JobRef(JobFamily.TRAINING_V1, "42")
VIS_JOB = JobRef(JobFamily.VISUALIZATION, "42")
RES_JOB = JobRef(JobFamily.RES, "res-job-1")


def test_the_v2_not_found_answer_agrees() -> None:
    status, code = documented.TRAINING_JOB_NOT_FOUND
    assert code == errors.V2_NOT_FOUND
    message = documented.TRAINING_JOB_NOT_FOUND_MESSAGE.format(job_id=V2_JOB.job_id)
    assert errors.is_job_not_found(V2_JOB, status, code, message)
    # Allowed difference: the client also takes 404 with this code (whether the service ever
    # answers 404 here is unconfirmed); the emulator serves the documented 400 only.
    assert errors.is_job_not_found(V2_JOB, 404, code, message)
    other = documented.TRAINING_JOB_NOT_FOUND_MESSAGE.format(job_id="another-job")
    assert not errors.is_job_not_found(V2_JOB, status, code, other)


@pytest.mark.parametrize("job", [V1_JOB, VIS_JOB], ids=["training_v1", "visualization"])
def test_the_v1_not_found_answer_agrees(job: JobRef) -> None:
    status, code = documented.RESOURCE_NOT_FOUND
    assert code == errors.RESOURCE_NOT_FOUND
    # Allowed difference: the client also takes 200 and 400 with this code (whether v1 failures
    # come as HTTP 200 with is_success false or as 4xx is unconfirmed); the emulator serves 404.
    for any_status in (status, 200, 400):
        assert errors.is_job_not_found(job, any_status, code, documented.RESOURCE_NOT_FOUND_MESSAGE)


def test_the_res_not_found_answer_is_read_as_not_found() -> None:
    # Allowed difference: RES documents no not-found code. The emulator's choice (RES.1002, "The job
    # does not exist.") must be one the client's rule (a RES code, words saying the job is missing)
    # recognizes; the client does not know the code itself.
    status, code = documented.RES_JOB_NOT_FOUND
    assert errors.is_job_not_found(RES_JOB, status, code, documented.RES_JOB_NOT_FOUND_MESSAGE)


def test_no_other_emulator_error_is_read_as_not_found() -> None:
    others = [
        value
        for name, value in vars(documented).items()
        if isinstance(value, documented.ErrorCode)
        and name not in {"TRAINING_JOB_NOT_FOUND", "RESOURCE_NOT_FOUND", "RES_JOB_NOT_FOUND"}
    ]
    assert len(others) > 15
    for job in (V2_JOB, V1_JOB, VIS_JOB, RES_JOB):
        for status, code in others:
            # The client's RES rule reads the message, not the code (RES documents no not-found
            # code), so a RES code is not-found by its message: the emulator's RES.1001 messages
            # name a parameter and never say that a job is missing. Not compared here.
            if job.family is JobFamily.RES and code.upper().startswith("RES."):
                continue
            assert not errors.is_job_not_found(job, status, code, "The job does not exist."), (job, code)


def _read(response: httpx.Response) -> tuple[int, str | None, str]:
    code, message = errors.parse_error_body(response.content, response.headers.get("content-type"))
    return response.status_code, code, message


def test_the_not_found_answers_as_served_are_read_as_not_found(
    emu: EmulatorServer, client: httpx.Client, p: str
) -> None:
    missing = str(uuid.uuid4())
    served = {
        JobRef(JobFamily.TRAINING, missing): client.get(f"/v2/{p}/training-jobs/{missing}"),
        V1_JOB: client.get(f"/v1/{p}/training-jobs/{V1_JOB.job_id}/versions"),
        VIS_JOB: client.get(f"/v1/{p}/visualization-jobs/{VIS_JOB.job_id}"),
        RES_JOB: client.get(f"/v1/{p}/jobs/{RES_JOB.job_id}"),
    }
    for job, response in served.items():
        assert errors.is_job_not_found(job, *_read(response)), (job, response.text)
    unknown_path = client.get(f"/v2/{p}/no-such-thing")
    assert unknown_path.status_code == 404
    assert not errors.is_job_not_found(V2_JOB, *_read(unknown_path))


# ---- ids ----------------------------------------------------------------------------------------

SAMPLES = ["a", "A-b_c", "x" * 20, "x" * 21, "x" * 64, "x" * 65, "bad id", "a/b", "é", "", "0", "-a", "a.b"]


def _accepts(check: Any, value: object) -> bool:
    try:
        check(value)
    except ValueError:
        return False
    return True


def test_res_job_id_rules_agree() -> None:
    for value in SAMPLES:
        assert (documented.RES_JOB_ID.fullmatch(value) is not None) == _accepts(ids.res_job_id, value), value


def test_project_id_rules_agree() -> None:
    for value in [*SAMPLES, "0123456789abcdef0123456789abcdef"]:
        assert (documented.PROJECT_ID.fullmatch(value) is not None) == _accepts(ids.project_id, value), value


def test_every_documented_v2_job_id_is_accepted_by_the_client() -> None:
    # Allowed difference: the documentation shows v2 ids as UUIDs, which is all the emulator mints;
    # the client accepts any 1-64 letters, digits or hyphens, so as not to refuse an id of
    # another form the service might mint. Only the inclusion is required.
    for _ in range(20):
        job_id = str(uuid.uuid4())
        assert documented.V2_JOB_ID.fullmatch(job_id) is not None
        assert ids.training_job_id(job_id) == job_id
    assert (
        _accepts(ids.training_job_id, "not-a-uuid") and documented.V2_JOB_ID.fullmatch("not-a-uuid") is None
    )


def test_v1_id_rules_agree() -> None:
    assert ids.numeric_id(str(documented.V1_ID_MAX)) == str(documented.V1_ID_MAX)
    assert not _accepts(ids.numeric_id, str(documented.V1_ID_MAX + 1))


# ---- RES rules ----------------------------------------------------------------------------------


def test_res_job_types_agree() -> None:
    assert documented.RES_JOB_TYPES == ids.RES_JOB_TYPES
    assert documented.RES_TYPES_NEEDING_PLATFORM == ids.RES_TYPES_NEEDING_PLATFORM


PLATFORMS: list[Any] = [
    None,
    {"platform": "DLI"},
    {},
    {"platform": "MRS"},
    {"platform": "DLI", "platform_parameter": {"cluster_name": "c1"}},
    {"platform": "DLI", "platform_parameter": {"cluster_name": 5}},
    {"platform": "DLI", "platform_parameter": "c1"},
    {"platform": "DLI", "config_load_path": "obs://bucket/conf"},
    {"platform": "DLI", "config_load_path": 5},
    {"platform": "DLI", "other": 1},
    "DLI",
]


@pytest.mark.parametrize("job_type", sorted(documented.RES_JOB_TYPES))
def test_res_offline_platform_rules_agree(job_type: str) -> None:
    for platform in PLATFORMS:
        body = {"job_id": "j1", "type": job_type, "offline_platform": platform}
        emulator_accepts = delete_problem(body) is None
        assert emulator_accepts == _accepts(lambda p: ids.res_offline_platform(job_type, p), platform), (
            job_type,
            platform,
        )


def test_res_offline_platform_lengths_are_the_clients_own() -> None:
    # Allowed difference: the client refuses an empty or over-128-character cluster_name and a
    # config_load_path over 1024 characters; the RES reference gives no lengths, so the emulator
    # enforces none. The client is stricter than the emulator, never the other way round.
    for platform in (
        {"platform": "DLI", "platform_parameter": {"cluster_name": ""}},
        {"platform": "DLI", "platform_parameter": {"cluster_name": "c" * 129}},
        {"platform": "DLI", "config_load_path": "p" * 1025},
    ):
        assert delete_problem({"job_id": "j1", "type": "etl", "offline_platform": platform}) is None
        assert not _accepts(lambda p: ids.res_offline_platform("etl", p), platform)


def test_the_batch_delete_limit_agrees() -> None:
    assert documented.V2_BATCH_DELETE_LIMIT == operations.BATCH_DELETE_LIMIT
