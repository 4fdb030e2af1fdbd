"""Contract tests: every served endpoint answers in its documented shape (types included).

v2 answers are checked against the official SDK's response models (recorded in
``shapes/sdk_models.json``) and sent with bodies that fit the SDK's request models; v1, visualization,
RES and IAM answers against the API reference's field tables (``shapes.DOCUMENTED``). Each
``expect(..., route=...)`` names the route it covers; the last test checks that every served route
is covered.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.emulator.app import ROUTE_NAMES

from .shapes import check

RES_LIST = {"type": "etl", "current-page": 1, "page-size": 10}
PLATFORM = {"platform": "DLI", "platform_parameter": {"cluster_name": "c1"}}

# A create body as the SDK's request model ``Job`` defines it (checked below).
V2_CREATE = {
    "kind": "job",
    "metadata": {
        "name": "contract",
        "description": "contract test",
        "annotations": {"job_template": "Template DL"},
        "training_experiment_reference": {"id": "exp-1", "name": "experiment"},
    },
    "algorithm": {
        "code_dir": "/bucket/code/",
        "boot_file": "/bucket/code/train.py",
        "parameters": [{"name": "lr", "value": "0.01"}],
        "inputs": [{"name": "data_url", "remote": {"obs": {"obs_url": "/bucket/data/"}}}],
        "outputs": [{"name": "train_url", "remote": {"obs": {"obs_url": "/bucket/out/"}}}],
        "engine": {"engine_name": "PyTorch", "engine_version": "PyTorch-1.8.0-python3.7"},
        "environments": {"MY_FLAG": "1", "OTHER": "x"},
    },
    "spec": {
        "resource": {"flavor_id": "modelarts.vm.cpu.8u", "node_count": 2},
        "log_export_path": {"obs_url": "/bucket/logs/"},
    },
    "endpoints": {"ssh": {"key_pair_names": ["my-key"]}},
    "emulator": {"run_seconds": None},
}
V2_REQUIRED = (  # every job
    "kind",
    "metadata.id",
    "metadata.workspace_id",
    "metadata.user_name",
    "metadata.create_time",
    "metadata.annotations",
    "status.phase",
    "status.secondary_phase",
    "status.duration",
    "status.start_time",
    "status.tasks",
    "algorithm",
    "spec.resource",
)
RICH = ("metadata.training_experiment_reference", "algorithm.environments", "algorithm.inputs", "endpoints")
STARTED = ("status.node_count_metrics", "status.running_records", "status.task_ips")


def expect(
    response: httpx.Response, status: int, model: str | None, *, route: str, required: tuple[str, ...] = ()
) -> Any:
    """Assert the status and the shape of one answer (``None``: an empty body); its JSON."""
    assert route in ROUTE_NAMES
    assert response.status_code == status, response.text
    if model is None:
        assert response.content == b""
        return None
    body = response.json()
    check(body, model, route, required)
    return body


# ---- v2 training jobs -----------------------------------------------------------------------


SEARCH = {"limit": 10, "offset": 0, "workspace_id": "0", "train_type": "job", "filters": []}


def test_v2_job_answers_have_the_sdk_shapes(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    check({k: v for k, v in V2_CREATE.items() if k != "emulator"}, "Job")  # what the SDK would send
    check(SEARCH, "JobSearches")
    check({"action_type": "terminate"}, "JobActionType")
    created = expect(
        client.post(f"/v2/{p}/training-jobs", json=V2_CREATE),
        201,
        "CreateTrainingJobResponse",
        route="v2.create",
        required=(*V2_REQUIRED, *RICH),
    )
    assert created["algorithm"]["environments"] == [{"MY_FLAG": "1"}, {"OTHER": "x"}]
    assert created["status"]["tasks"] == ["worker-0", "worker-1"] and "task_ips" not in created["status"]
    job_id = created["metadata"]["id"]
    emu.advance(1)
    detail = expect(
        client.get(f"/v2/{p}/training-jobs/{job_id}"),
        200,
        "ShowTrainingJobDetailsResponse",
        route="v2.detail",
        required=(*V2_REQUIRED, *RICH, *STARTED),
    )
    status = detail["status"]
    assert status["phase"] == "Running" and len(status["task_ips"]) == 2
    assert [metric[1] for metric in status["node_count_metrics"]] == [2]
    assert detail["endpoints"]["ssh"]["key_pair_names"] == ["my-key"]
    assert len(detail["endpoints"]["ssh"]["task_urls"]) == 2
    page = expect(
        client.post(f"/v2/{p}/training-job-searches", json=SEARCH),
        200,
        "ListTrainingJobsResponse",
        route="v2.search",
        required=("total", "count", "items", "train_type", "workspace_id", "ai_project"),
    )
    assert [item["metadata"]["id"] for item in page["items"]] == [job_id]
    for item in page["items"]:
        check(item, "JobResponse", "v2.search.items", (*V2_REQUIRED, *RICH, *STARTED))
    stopped = expect(
        client.post(f"/v2/{p}/training-jobs/{job_id}/actions", json={"action_type": "terminate"}),
        202,
        "StopTrainingJobResponse",
        route="v2.terminate",
        required=(*V2_REQUIRED, *RICH, *STARTED),
    )
    assert stopped["status"]["phase"] == "Terminating"
    emu.advance(1)
    ended = client.get(f"/v2/{p}/training-jobs/{job_id}").json()
    check(
        ended, "ShowTrainingJobDetailsResponse", "v2.detail", (*V2_REQUIRED, *STARTED, "status.task_statuses")
    )
    assert ended["status"]["phase"] == "Terminated"
    assert {s["exit_code"] for s in ended["status"]["task_statuses"]} == {137}
    assert [metric[1] for metric in ended["status"]["node_count_metrics"]] == [2, 0]
    assert ended["status"]["running_records"][0]["end_reason"] == "job terminated"


def test_v2_minimal_job_still_has_every_documented_part(client: httpx.Client, p: str) -> None:
    body = {"kind": "job", "metadata": {"name": "bare"}}
    created = expect(
        client.post(f"/v2/{p}/training-jobs", json=body), 201, "CreateTrainingJobResponse", route="v2.create"
    )
    check(created, "JobResponse", required=V2_REQUIRED)
    assert created["algorithm"] == {} and "tasks" not in created and "endpoints" not in created


def test_v2_request_fields_of_the_wrong_type_are_refused(client: httpx.Client, p: str) -> None:
    bad = {"kind": "job", "metadata": {"name": "bad"}, "algorithm": {"environments": ["A=1"]}}
    expect(client.post(f"/v2/{p}/training-jobs", json=bad), 400, "V2Error", route="v2.create")


def test_v2_heterogeneous_tasks(client: httpx.Client, p: str) -> None:
    body = {
        "kind": "job",
        "metadata": {"name": "hetero"},
        "tasks": [
            {
                "role": "worker",
                "algorithm": {"code_dir": "/c/", "boot_file": "/c/a.py", "environments": {"A": "1"}},
                "task_resource": {"flavor_id": "modelarts.vm.cpu.8u", "node_count": 1},
            }
        ],
    }
    check({k: v for k, v in body.items()}, "Job")
    created = expect(
        client.post(f"/v2/{p}/training-jobs", json=body), 201, "CreateTrainingJobResponse", route="v2.create"
    )
    (task,) = created["tasks"]
    assert task["algorithm"]["environments"] == {"A": "1"}
    assert task["task_resource"]["flavor_id"] == "modelarts.vm.cpu.8u"


def test_v2_events(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    (job_id,) = emu.seed("training", name="events")
    emu.advance(5)
    events = expect(
        client.get(f"/v2/{p}/training-jobs/{job_id}/events"),
        200,
        "ListTrainingJobEventsResponse",
        route="v2.events",
        required=("total", "limit", "offset", "order", "start_time", "end_time", "events"),
    )
    messages = [event["message"] for event in events["events"]]
    assert messages[0] == "Training job completed." and messages[-1] == "Training job created."
    assert events["total"] == 5 and events["limit"] == 50 and events["order"] == "desc"
    oldest = client.get(
        f"/v2/{p}/training-jobs/{job_id}/events", params={"order": "asc", "limit": 2, "offset": 1}
    ).json()
    assert [e["message"] for e in oldest["events"]] == [
        "Training job is queuing.",
        "Training job is running.",
    ]
    tasks = client.get(f"/v2/{p}/training-jobs/{job_id}/events", params={"source": "Task"}).json()
    assert [e["message"] for e in tasks["events"]] == ["[worker-0] training started."]
    expect(
        client.get(f"/v2/{p}/training-jobs/{job_id}/events", params={"limit": 0}),
        400,
        "V2Error",
        route="v2.events",
    )
    missing = "00000000-0000-0000-0000-000000000000"
    gone = expect(client.get(f"/v2/{p}/training-jobs/{missing}/events"), 400, "V2Error", route="v2.events")
    assert gone["error_code"] == "ModelArts.2775"


def test_v2_description_update_and_empty_answers(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    ids = emu.seed("training", 2, name="put")
    check({"description": "renamed"}, "JobUpdateRequestBody")
    expect(
        client.put(f"/v2/{p}/training-jobs/{ids[0]}", json={"description": "renamed"}),
        200,
        None,
        route="v2.update",
    )
    assert client.get(f"/v2/{p}/training-jobs/{ids[0]}").json()["metadata"]["description"] == "renamed"
    expect(
        client.put(f"/v2/{p}/training-jobs/{ids[0]}", json={"description": 5}),
        400,
        "V2Error",
        route="v2.update",
    )
    expect(client.delete(f"/v2/{p}/training-jobs/{ids[0]}"), 202, None, route="v2.delete")
    batch = {"jobs": [{"kind": "job", "metadata": {"id": ids[1]}}]}
    expect(client.post(f"/v2/{p}/training-jobs/batch-delete", json=batch), 202, None, route="v2.batch_delete")
    emu.advance(1)
    gone = expect(client.get(f"/v2/{p}/training-jobs/{ids[0]}"), 400, "V2Error", route="v2.detail")
    assert gone["error_code"] == "ModelArts.2775"


# ---- v1 training jobs -----------------------------------------------------------------------

V1_CONFIG = {
    "worker_server_num": 1,
    "app_url": "/bucket/app/",
    "boot_file_url": "/bucket/app/boot.py",
    "parameter": [{"label": "learning_rate", "value": "0.01"}],
    "data_url": "/bucket/data/",
    "spec_id": 1,
    "engine_id": 1,
    "train_url": "/bucket/train/",
    "log_url": "/bucket/log/",
    "volumes": [{"host_path": {"src_path": "/root/work", "dest_path": "/home/mind", "read_only": False}}],
}


def test_v1_answers_have_the_documented_flat_shapes(
    emu: EmulatorServer, client: httpx.Client, p: str
) -> None:
    body = {"job_name": "contract", "job_desc": "d", "config": V1_CONFIG, "workspace_id": "0"}
    created = expect(
        client.post(f"/v1/{p}/training-jobs", json=body),
        200,
        "V1CreatedJob",
        route="v1.create",
        required=tuple(DOCUMENTED_KEYS["V1CreatedJob"]),
    )
    assert created["status"] == 1 and created["resource_id"]
    job = created["job_id"]
    version = expect(
        client.post(f"/v1/{p}/training-jobs/{job}/versions", json={"job_desc": "v2", "config": V1_CONFIG}),
        200,
        "V1CreatedVersion",
        route="v1.version_create",
    )
    flat = (
        "app_url",
        "boot_file_url",
        "engine_id",
        "spec_id",
        "train_url",
        "data_url",
        "log_url",
        "worker_server_num",
        "parameter",
        "resource_id",
        "volumes",
    )
    detail = expect(
        client.get(f"/v1/{p}/training-jobs/{job}/versions/{version['version_id']}"),
        200,
        "V1VersionDetail",
        route="v1.version_detail",
        required=(*flat, "pre_version_id", "spec_code", "system_metric_list"),
    )
    assert (detail["app_url"], detail["engine_id"], detail["worker_server_num"]) == ("/bucket/app/", 1, 1)
    assert detail["parameter"] == [{"label": "learning_rate", "value": "0.01"}]
    assert isinstance(detail["system_metric_list"], dict) and "config" not in detail
    versions = expect(
        client.get(f"/v1/{p}/training-jobs/{job}/versions"),
        200,
        "V1Versions",
        route="v1.versions",
        required=("versions", "version_count"),
    )
    for item in versions["versions"]:
        check(item, "V1ListedVersion", "v1.versions", flat)
    assert "pre_version_id" not in versions["versions"][-1]  # the first version has none
    page = expect(
        client.get(f"/v1/{p}/training-jobs"),
        200,
        "V1JobList",
        route="v1.list",
        required=("jobs", "job_total_count", "job_count_limit", "quotas"),
    )
    assert [j["job_id"] for j in page["jobs"]] == [job]
    expect(
        client.put(f"/v1/{p}/training-jobs/{job}", json={"job_desc": "changed"}),
        200,
        "V1Ok",
        route="v1.update",
    )
    assert client.get(f"/v1/{p}/training-jobs").json()["jobs"][0]["job_desc"] == "changed"
    expect(client.put(f"/v1/{p}/training-jobs/{job}", json={}), 400, "V1Error", route="v1.update")
    emu.advance(0.45)
    stop_path = f"/v1/{p}/training-jobs/{job}/versions/{version['version_id']}/stop"
    expect(client.post(stop_path), 200, "V1Ok", route="v1.version_stop")
    expect(client.post(stop_path), 400, "V1Error", route="v1.version_stop")
    expect(
        client.delete(f"/v1/{p}/training-jobs/{job}/versions/{version['version_id']}"),
        200,
        "V1Ok",
        route="v1.version_delete",
    )
    expect(client.delete(f"/v1/{p}/training-jobs/{job}"), 200, "V1Ok", route="v1.delete")
    emu.advance(1)
    expect(client.get(f"/v1/{p}/training-jobs/{job}/versions"), 404, "V1Error", route="v1.versions")


def test_v1_config_fields_of_the_wrong_type_are_refused(client: httpx.Client, p: str) -> None:
    body = {"job_name": "bad", "config": {"worker_server_num": "one"}}
    expect(client.post(f"/v1/{p}/training-jobs", json=body), 400, "V1Error", route="v1.create")


# ---- visualization jobs ---------------------------------------------------------------------


def test_visualization_answers_and_restart(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    created = expect(
        client.post(f"/v1/{p}/visualization-jobs", json={"job_name": "vis", "train_url": "/b/out/"}),
        200,
        "VisCreated",
        route="vis.create",
    )
    assert created["status"] == 1
    job = created["job_id"]
    path = f"/v1/{p}/visualization-jobs/{job}"
    expect(
        client.get(path), 200, "VisDetail", route="vis.detail", required=tuple(DOCUMENTED_KEYS["VisDetail"])
    )
    page = expect(client.get(f"/v1/{p}/visualization-jobs"), 200, "VisList", route="vis.list")
    assert [j["job_id"] for j in page["jobs"]] == [job]
    expect(client.put(path, json={"job_desc": "tensorboard"}), 200, "V1Ok", route="vis.update")
    assert client.get(path).json()["job_desc"] == "tensorboard"
    expect(client.post(f"{path}/restart"), 400, "V1Error", route="vis.restart")  # not ended yet
    emu.advance(1)
    refused = expect(client.post(f"{path}/restart"), 400, "V1Error", route="vis.restart")
    assert refused["error_message"] == "This job can't be resubmit. job status: 8"
    expect(client.post(f"{path}/stop"), 200, "V1Ok", route="vis.stop")
    emu.advance(1)
    assert client.get(path).json()["status"] == 12
    expect(client.post(f"{path}/restart"), 200, "V1Ok", route="vis.restart")
    assert client.get(path).json()["status"] == 1
    emu.advance(1)
    assert client.get(path).json()["status"] == 8
    expect(client.post(f"{path}/stop"), 200, "V1Ok", route="vis.stop")
    emu.advance(1)
    expect(client.delete(path), 200, "V1Ok", route="vis.delete")
    emu.advance(1)
    expect(client.get(path), 404, "VisDetailError", route="vis.detail")
    expect(client.post(f"{path}/restart"), 404, "V1Error", route="vis.restart")


# ---- RES ------------------------------------------------------------------------------------


def test_res_answers(emu: EmulatorServer, client: httpx.Client, p: str) -> None:
    owner = emu.config.second_iam_user
    (job_id,) = emu.seed("res", job_id="res-contract", type="etl", owner=owner)
    page = expect(client.get(f"/v1/{p}/jobs", params=RES_LIST), 200, "ResList", route="res.list")
    assert [j["job_id"] for j in page["jobs"]] == [job_id]
    detail = expect(
        client.get(f"/v1/{p}/jobs/{job_id}"),
        200,
        "ResDetail",
        route="res.detail",
        required=tuple(f"job.{k}" for k in DOCUMENTED_KEYS["ResJob"]),
    )
    assert detail["job"]["user_id"] == emu.config.second_user_id  # the owner
    body = {"job_id": job_id, "type": "etl", "offline_platform": PLATFORM}
    expect(client.request("DELETE", f"/v1/{p}/del-job", json=body), 200, "ResDeleted", route="res.delete")
    expect(client.request("DELETE", f"/v1/{p}/del-job", json={}), 400, "ResError", route="res.delete")


# ---- IAM ------------------------------------------------------------------------------------


def test_iam_answers(emu: EmulatorServer, client: httpx.Client, raw: httpx.Client) -> None:
    version = expect(raw.get("/v3"), 200, "KeystoneVersion", route="iam.version", required=("version.links",))
    assert version["version"]["links"][0]["href"] == f"{emu.url}/v3/"
    c = emu.credentials
    user = {"name": c.iam_user, "password": c.iam_password, "domain": {"name": c.iam_domain}}
    auth = {"identity": {"methods": ["password"], "password": {"user": user}}}
    body = {"auth": {**auth, "scope": {"project": {"id": c.project_id}}}}
    expect(raw.post("/v3/auth/tokens", json=body), 201, "KeystoneToken", route="iam.tokens")
    expect(client.get("/v3/projects"), 200, "KeystoneProjects", route="iam.projects")


# ---- coverage -------------------------------------------------------------------------------

DOCUMENTED_KEYS = {
    "V1CreatedJob": (
        "job_id",
        "job_name",
        "status",
        "create_time",
        "version_id",
        "resource_id",
        "version_name",
    ),
    "VisDetail": ("job_id", "job_name", "status", "create_time", "duration", "service_url", "resource_id"),
    "ResJob": ("job_id", "job_name", "user_id", "operating_time", "job_status", "type"),
}


def test_every_served_route_has_a_contract_test() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    covered = set(re.findall(r'route="([a-z0-9_.]+)"', source))
    assert covered == set(ROUTE_NAMES), sorted(set(ROUTE_NAMES) ^ covered)
