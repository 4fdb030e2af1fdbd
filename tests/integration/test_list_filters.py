"""A mistyped list filter fails at once, naming itself and the filters there are."""

from __future__ import annotations

import pytest

from airflow_provider_modelarts.emulator import EmulatorServer

from .conftest import Api, requests_to


@pytest.mark.parametrize(
    ("method", "args", "typo", "listed"),
    [
        ("list_training_jobs", (), "nam", ["name", "phases", "created_after_ms", "order"]),
        ("list_training_jobs_v1", (), "statuss", ["search_content", "sort_by", "status"]),
        ("list_visualization_jobs", (), "per_pag", ["order", "per_page", "search_content"]),
        ("list_res_jobs", ("etl",), "jobname", ["job_name", "job_status", "page_size", "workspace_id"]),
    ],
)
async def test_a_mistyped_filter_names_itself(
    api: Api, emu: EmulatorServer, method: str, args: tuple, typo: str, listed: list[str]
) -> None:
    with pytest.raises(ValueError, match=rf"^{typo}: not a filter of the .*\(filters: ") as info:
        await api(method, *args, **{typo: "x"})
    shown = str(info.value).split("(filters: ")[1].rstrip(")").split(", ")
    assert set(listed) <= set(shown)
    assert "got an unexpected keyword argument" not in str(info.value)
    assert requests_to(emu) == {}


async def test_the_right_filters_still_work(api: Api, emu: EmulatorServer) -> None:
    emu.seed("training", 2, name="nightly", status="Completed")
    emu.seed("res", 1, name="etl-job", type="etl")
    assert len(await api("list_training_jobs", name="nightly")) == 2
    assert [job.job_name for job in await api("list_res_jobs", "etl", job_name="etl-job")] == ["etl-job"]


async def test_a_listing_cut_short_by_max_pages_says_so(
    api: Api, emu: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    emu.seed("training_v1", 5, status="COMPLETED")
    with caplog.at_level("WARNING", logger="airflow_provider_modelarts.api.operations"):
        jobs = await api("list_training_jobs_v1", per_page=2, max_pages=1)
    assert len(jobs) == 2
    assert "stopped after 1 pages (max_pages), with 2 items" in caplog.text and "truncated" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="airflow_provider_modelarts.api.operations"):
        assert len(await api("list_training_jobs_v1", per_page=2, max_pages=3)) == 5
    assert "truncated" not in caplog.text
