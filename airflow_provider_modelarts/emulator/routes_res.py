"""RES (Recommender System) jobs: list, detail and ``del-job``.

There is no documented single-job create, so RES jobs come from the seed API or a seed file.
Statuses are :class:`ResStatus` values: RUNNING for the run duration, then SUCCEEDED or FAILED
(KILLED only when seeded so). Choices for undocumented behaviour: ``page-size`` is 1-1000; a
``del-job`` whose ``type`` differs from the job's type answers the not-found form (404 RES.1002);
``job-name`` matches a substring, ``job-status`` one status; list order is by ``operating_time``
(``sortby``/``order`` accept ``operating_time``/``job_name`` and ``asc``/``desc``, default desc).
The list is scoped like the v1 lists (:mod:`.routes_v1`): the documented ``workspace_id`` query
defaults to ``"0"``; an unknown workspace answers ``ModelArts.0102`` in the RES error shape; with
``v1_lists_by_user`` only the caller's jobs are listed.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.operations import RES_JOB_TYPES, res_offline_platform
from airflow_provider_modelarts.emulator.defaults import DEFAULT_WORKSPACE
from airflow_provider_modelarts.emulator.scope import WORKSPACE_MISSING, WORKSPACE_MISSING_MESSAGE, list_scope
from airflow_provider_modelarts.emulator.store import ResJob
from airflow_provider_modelarts.emulator.web import (
    BadJson,
    Context,
    Request,
    Response,
    RouteSpec,
    json_response,
    ms,
    res_error,
)

P = r"(?P<project_id>[^/]+)"
BAD = "RES.1001"
NOT_FOUND = "RES.1002"


def not_found() -> Response:
    return res_error(404, NOT_FOUND, "The job does not exist.")


def bad(message: str) -> Response:
    return res_error(400, BAD, message)


def job_view(ctx: Context, job: ResJob, now: float) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "job_name": job.name,
        "job_description": job.description,
        "project_id": ctx.config.project_id,
        "user_id": job.owner.id,
        "operating_time": ms(job.life.created_at),
        "request_info": "",
        "response_info": "",
        "job_status": ctx.store.res_status(job, now).value,
        "resource": "DLI",
        "is_use": 1,
        "type": job.type,
    }


def _positive(request: Request, name: str, upper: int) -> int | Response:
    raw = request.first(name)
    if raw is None or raw == "":
        return bad(f"{name} is mandatory")
    if not raw.isdigit() or not 1 <= int(raw) <= upper:
        return bad(f"{name}: must be from 1 to {upper}")
    return int(raw)


def list_jobs(ctx: Context, request: Request) -> Response:
    job_type = request.first("type")
    if not job_type:
        return bad("type is mandatory")
    if job_type not in RES_JOB_TYPES:
        return bad(f"type: one of {', '.join(sorted(RES_JOB_TYPES))}")
    page = _positive(request, "current-page", 2**31 - 1)
    if isinstance(page, Response):
        return page
    size = _positive(request, "page-size", 1000)
    if isinstance(size, Response):
        return size
    order = request.first("order") or "desc"
    sort_by = request.first("sortby") or "operating_time"
    if order not in ("asc", "desc") or sort_by not in ("operating_time", "job_name"):
        return bad("sortby: operating_time or job_name; order: asc or desc")
    name, status = request.first("job-name") or "", request.first("job-status") or ""
    workspace_id = request.first("workspace_id") or DEFAULT_WORKSPACE
    with ctx.store.locked() as now:
        scope = list_scope(ctx, request, workspace_id, ctx.config.v1_lists_by_user)
        if scope is None:
            return res_error(400, WORKSPACE_MISSING, WORKSPACE_MISSING_MESSAGE)
        views = [
            job_view(ctx, job, now)
            for job in ctx.store.res_all(now)
            if job.type == job_type and scope.shows(job.workspace_id, job.owner)
        ]
        views = [v for v in views if name in v["job_name"] and (not status or v["job_status"] == status)]
        views.sort(key=lambda v: (v[sort_by], v["job_id"]), reverse=order == "desc")
        start = (page - 1) * size
        return json_response(
            200, {"is_success": True, "total_items": len(views), "jobs": views[start : start + size]}
        )


def detail(ctx: Context, request: Request) -> Response:
    with ctx.store.locked() as now:
        job = ctx.store.res_visible(request.params["job_id"], now)
        if job is None:
            return not_found()
        return json_response(200, {"is_success": True, "job": job_view(ctx, job, now)})


def delete(ctx: Context, request: Request) -> Response:
    try:
        body = request.json_object()
    except BadJson as exc:
        return bad(str(exc))
    job_type = body.get("type")
    try:
        job_id = ids.res_job_id(body.get("job_id"))
        if not isinstance(job_type, str) or job_type not in RES_JOB_TYPES:
            raise ValueError(f"type: one of {', '.join(sorted(RES_JOB_TYPES))}")
        res_offline_platform(job_type, body.get("offline_platform"))
    except ValueError as exc:
        return bad(str(exc))
    with ctx.store.locked() as now:
        job = ctx.store.res_visible(job_id, now)
        if job is None or job.type != job_type:
            return not_found()
        deleted_at = job.life.deleted_at
        if deleted_at is None or now >= deleted_at + ctx.config.delete_visible_seconds:
            job.life.deleted_at = now
        return json_response(200, {"is_success": True, "message": "Succeed to delete train log."})


ROUTES: list[RouteSpec] = [
    ("res", rf"/v1/{P}/jobs", {"GET": ("res.list", list_jobs)}),
    ("res", rf"/v1/{P}/jobs/(?P<job_id>[^/]+)", {"GET": ("res.detail", detail)}),
    ("res", rf"/v1/{P}/del-job", {"DELETE": ("res.delete", delete)}),
]
