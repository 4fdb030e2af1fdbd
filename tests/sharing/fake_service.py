"""A small scripted fake of the ModelArts list and detail endpoints, for ``httpx.MockTransport``.

The emulator answers every request from one consistent store, so it cannot show a page that
shifts between two page requests. This fake can: ``before_page`` runs before each list page is
served and may delete or create jobs, so the next page is cut from the changed list. Only what
the sharing and walking code asks is implemented: v2 ``training-job-searches`` and detail, and the
v1 training job list (``page``/``per_page``, ``sortBy``/``order``) and versions list.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.retry import NO_RETRY
from airflow_provider_modelarts.api.session import ModelArtsSession

PROJECT = "0123456789abcdef0123456789abcdef"
HOST = "https://modelarts.fake.example"
_V2_DETAIL = re.compile(rf"/v2/{PROJECT}/training-jobs/(?P<id>[^/]+)")
_V1_VERSIONS = re.compile(rf"/v1/{PROJECT}/training-jobs/(?P<id>\d+)/versions")


@dataclass
class FakeJob:
    job_id: str
    name: str
    status: Any
    create_time: int


@dataclass
class FakeService:
    """Jobs in memory; ``log`` records every request as ``(kind, argument)``."""

    jobs: dict[str, FakeJob] = field(default_factory=dict)
    log: list[tuple[str, Any]] = field(default_factory=list)
    # Jobs the detail endpoints know but the lists never show (another workspace or IAM user).
    unlisted: set[str] = field(default_factory=set)
    # v1 jobs with several versions: job id -> [(version id, status), ...], newest first.
    versions: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    before_page: Callable[[FakeService, int], None] | None = None
    report_count: bool = True
    page_override: Callable[[int, list[FakeJob]], list[FakeJob]] | None = None
    _clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1_700_000_000_000, 1000))

    # ---- the scripted world ------------------------------------------------------------------

    def add(self, job_id: str, *, name: str | None = None, status: Any = "Running") -> FakeJob:
        job = FakeJob(job_id, name or f"job-{job_id}", status, next(self._clock))
        self.jobs[job_id] = job
        return job

    def delete(self, job_id: str) -> None:
        del self.jobs[job_id]

    def listed(self) -> list[FakeJob]:
        return [job for job in self.jobs.values() if job.job_id not in self.unlisted]

    def ordered_v2(self) -> list[FakeJob]:
        return sorted(self.listed(), key=lambda j: (j.create_time, j.job_id), reverse=True)

    def requests(self, kind: str) -> list[Any]:
        return [arg for k, arg in self.log if k == kind]

    # ---- the endpoints -----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == f"/v2/{PROJECT}/training-job-searches":
            body = json.loads(request.content)
            return self._v2_search(int(body["offset"]), int(body["limit"]))
        if request.method == "GET" and (match := _V2_DETAIL.fullmatch(path)):
            self.log.append(("detail", match["id"]))
            job = self.jobs.get(match["id"])
            if job is None:
                return httpx.Response(400, json={"error_code": "ModelArts.2775", "error_msg": "not found."})
            return httpx.Response(200, json=_v2_view(job))
        if request.method == "GET" and path == f"/v1/{PROJECT}/training-jobs":
            params = request.url.params
            return self._v1_list(
                int(params["page"]),
                int(params["per_page"]),
                params.get("sortBy", "job_name"),
                params.get("order", "asc"),
            )
        if request.method == "GET" and (match := _V1_VERSIONS.fullmatch(path)):
            self.log.append(("versions", match["id"]))
            job = self.jobs.get(match["id"])
            if job is None:
                return httpx.Response(404, json={"error_code": "ModelArts.0015", "error_message": "gone"})
            pairs = self.versions.get(job.job_id, [(int(job.job_id) + 1, job.status)])
            versions = [{"version_id": number, "status": status} for number, status in pairs]
            return httpx.Response(
                200, json={"is_success": True, "job_id": int(job.job_id), "versions": versions}
            )
        return httpx.Response(404, json={"error_code": "ModelArts.2836", "error_msg": f"no route {path}"})

    def _page(self, index: int, ordered: list[FakeJob], size: int) -> list[FakeJob]:
        page = ordered[index * size : (index + 1) * size]
        return self.page_override(index, page) if self.page_override else page

    def _v2_search(self, offset: int, limit: int) -> httpx.Response:
        self.log.append(("search", offset))
        if self.before_page is not None:
            self.before_page(self, offset)
        ordered = self.ordered_v2()
        body: dict[str, Any] = {"items": [_v2_view(job) for job in self._page(offset, ordered, limit)]}
        if self.report_count:
            body.update(total=len(ordered), count=len(ordered))
        return httpx.Response(200, json=body)

    def _v1_list(self, page: int, per_page: int, sort_by: str, order: str) -> httpx.Response:
        self.log.append(("v1.list", (page, sort_by, order)))
        if self.before_page is not None:
            self.before_page(self, page)
        keys: dict[str, Callable[[FakeJob], Any]] = {
            "job_name": lambda j: (j.name, int(j.job_id)),
            "create_time": lambda j: (j.create_time, int(j.job_id)),
        }
        ordered = sorted(self.listed(), key=keys[sort_by], reverse=order == "desc")
        jobs = [
            {"job_id": int(j.job_id), "job_name": j.name, "status": j.status, "create_time": j.create_time}
            for j in self._page(page - 1, ordered, per_page)
        ]
        body: dict[str, Any] = {"is_success": True, "jobs": jobs}
        if self.report_count:
            body["job_total_count"] = len(ordered)
        return httpx.Response(200, json=body)

    # ---- a session that talks to it ----------------------------------------------------------

    def session(self) -> ModelArtsSession:
        config = ConnectionConfig.from_connection_fields(
            login="FAKEACCESSKEY",
            password="fake-secret-key",
            host=HOST,
            extra={"region": "eu-de", "project_id": PROJECT},
            environ={},
        )
        transport = httpx.MockTransport(self.handle)
        return ModelArtsSession(config, policy=NO_RETRY, transport=transport, async_transport=transport)


def _v2_view(job: FakeJob) -> dict[str, Any]:
    return {
        "kind": "job",
        "metadata": {"id": job.job_id, "name": job.name, "create_time": job.create_time},
        "status": {"phase": job.status},
    }


def v2_ids(count: int) -> list[str]:
    """Valid v2 job ids (UUID shaped), in a stable order."""
    return [f"00000000-0000-4000-8000-{index:012d}" for index in range(count)]
