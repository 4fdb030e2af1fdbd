"""The official Huawei Cloud SDK drives the emulator: its signer, its requests, its response models.

The SDK (``huaweicloudsdkmodelarts``) is not a dependency of this project (it brings some fifteen
packages); the contract tests check the same shapes from models recorded out of it. This module
runs where the SDK is installed, e.g. ``uv pip install huaweicloudsdkmodelarts`` in the venv.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer

from .test_contract import V2_CREATE

sdk = pytest.importorskip("huaweicloudsdkmodelarts.v1", reason="the official SDK is not installed")
credentials = pytest.importorskip("huaweicloudsdkcore.auth.credentials")
exceptions = pytest.importorskip("huaweicloudsdkcore.exceptions.exceptions")


def _client(emu: EmulatorServer) -> Any:
    c = emu.credentials
    auth = credentials.BasicCredentials(c.access_key, c.secret_key, c.project_id)
    return sdk.ModelArtsClient.new_builder().with_credentials(auth).with_endpoints([emu.url]).build()


def test_the_sdk_creates_reads_lists_stops_and_deletes(emu: EmulatorServer) -> None:
    client = _client(emu)
    body = {k: v for k, v in V2_CREATE.items() if k != "emulator"}
    created = client.create_training_job(sdk.CreateTrainingJobRequest(body=body))
    job_id = created.metadata.id
    assert created.algorithm.environments == [{"MY_FLAG": "1"}, {"OTHER": "x"}]
    emu.advance(0.5)  # running (the SDK cannot send the emulator's hints)
    shown = client.show_training_job_details(sdk.ShowTrainingJobDetailsRequest(training_job_id=job_id))
    assert shown.status.phase == "Running" and len(shown.status.task_ips) == 2
    assert shown.metadata.training_experiment_reference.name == "experiment"
    listed = client.list_training_jobs(sdk.ListTrainingJobsRequest(body=sdk.JobSearches(limit=10)))
    assert [item.metadata.id for item in listed.items] == [job_id] and listed.count == 1
    events = client.list_training_job_events(sdk.ListTrainingJobEventsRequest(training_job_id=job_id))
    assert events.total == len(events.events) > 0
    stopped = client.stop_training_job(
        sdk.StopTrainingJobRequest(training_job_id=job_id, body=sdk.JobActionType(action_type="terminate"))
    )
    assert stopped.status.phase == "Terminating"
    client.change_training_job_description(
        sdk.ChangeTrainingJobDescriptionRequest(
            training_job_id=job_id, body=sdk.JobUpdateRequestBody(description="changed")
        )
    )
    client.delete_training_job(sdk.DeleteTrainingJobRequest(training_job_id=job_id))
    emu.advance(5)
    with pytest.raises(exceptions.ClientRequestException) as gone:
        client.show_training_job_details(sdk.ShowTrainingJobDetailsRequest(training_job_id=job_id))
    assert gone.value.status_code == 400 and gone.value.error_code == "ModelArts.2775"
