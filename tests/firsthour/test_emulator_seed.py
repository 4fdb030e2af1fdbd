"""The emulator says which jobs it seeded: family, name, id (and a v1 job's version ids)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from airflow_provider_modelarts.emulator import EmulatorServer
from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook
from tests.emulator.test_cli import _free_port, seeded_cli


def test_seed_jobs_returns_family_name_id_and_versions(emu: EmulatorServer) -> None:
    [v1] = emu.seed_jobs("training_v1", 1, name="v1-job", versions=2, status="COMPLETED")
    [v2] = emu.seed_jobs("training", 1, name="v2-job")
    assert (v1.family, v1.name, len(v1.version_ids)) == ("training_v1", "v1-job", 2)
    assert (v2.family, v2.name, v2.version_ids) == ("training", "v2-job", ())
    hook = ModelArtsHook()
    assert hook.get_training_job(v2.job_id).metadata.name == "v2-job"
    versions = {str(v.version_id) for v in hook.list_training_job_versions(int(v1.job_id))}
    assert versions == set(v1.version_ids)


def test_the_seed_endpoint_answers_each_job(emu: EmulatorServer) -> None:
    answer = httpx.post(
        f"{emu.url}/_emulator/seed", json={"family": "training_v1", "name": "ctl", "versions": 3}, timeout=5
    ).json()
    [job] = answer["jobs"]
    assert answer["created"] == {"training_v1": [job["job_id"]]}
    assert job["family"] == "training_v1" and job["name"] == "ctl" and len(job["version_ids"]) == 3


def test_the_cli_prints_each_seeded_job(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"family": "training", "count": 2, "name": "nightly"},
                                {"family": "training_v1", "name": "old", "versions": 2}]))  # fmt: skip
    port = _free_port()
    process = seeded_cli(port, seed)
    try:
        deadline = time.monotonic() + 15
        for _ in range(300):
            if time.monotonic() > deadline or process.poll() is not None:
                break
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_emulator/stats", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    lines = out.splitlines()
    trained = [line for line in lines if line.startswith("seeded training 'nightly-")]
    assert len(trained) == 2 and all(" id " in line for line in trained)
    [v1] = [line for line in lines if line.startswith("seeded training_v1 'old' id ")]
    assert " versions " in v1
    assert "seeded 2 training job(s)" in lines and "seeded 1 training_v1 job(s)" in lines
