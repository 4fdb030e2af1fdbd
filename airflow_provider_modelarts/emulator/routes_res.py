"""RES (Recommender System) jobs: list, detail and ``del-job``.

There is no documented single-job create, so RES jobs come from the seed API or a seed file.
Statuses are :class:`~.documented.ResStatus` values: RUNNING for the run duration, then SUCCEEDED
or FAILED (KILLED only when seeded so). ``del-job`` checks its body by the documented rules
(:mod:`.documented`): ``job_id`` 1-20 letters, digits, ``-`` or ``_``; a known ``type``;
``offline_platform`` required for the types that need it, with ``platform`` DLI, an optional
``platform_parameter`` object holding a ``cluster_name`` string and an optional
``config_load_path`` string (no lengths are documented, so none are enforced; other keys are
refused). Choices for undocumented behaviour: ``page-size`` is 1-1000; a
``del-job`` whose ``type`` differs from the job's type answers the not-found form (404 RES.1002);
``job-name`` matches a substring, ``job-status`` one status; list order is by ``operating_time``
(``sortby``/``order`` accept ``operating_time``/``job_name`` and ``asc``/``desc``, default desc).
The list is scoped like the v1 lists (:mod:`.routes_v1`): the documented ``workspace_id`` query
defaults to ``"0"``; an unknown workspace answers ``ModelArts.0102`` in the RES error shape; with
``v1_lists_by_user`` only the caller's jobs are listed.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_modelarts.emulator.defaults import DEFAULT_WORKSPACE
from airflow_provider_modelarts.emulator.documented import (
    RES_INVALID_PARAMETER,
    RES_JOB_ID,
    RES_JOB_NOT_FOUND,
    RES_JOB_NOT_FOUND_MESSAGE,
    RES_JOB_TYPES,
    RES_PLATFORM_KEYS,
    RES_PLATFORMS,
    RES_TYPES_NEEDING_PLATFORM,
)
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


def not_found() -> Response:
    return res_error(*RES_JOB_NOT_FOUND, RES_JOB_NOT_FOUND_MESSAGE)


def bad(message: str) -> Response:
    return res_error(*RES_INVALID_PARAMETER, message)


def delete_problem(body: dict[str, Any]) -> str | None:
    """What is wrong with a ``del-job`` body by the documented rules, or ``None``."""
    job_id, job_type, platform = body.get("job_id"), body.get("type"), body.get("offline_platform")
    if not isinstance(job_id, str) or RES_JOB_ID.fullmatch(job_id) is None:
        return "job_id: 1-20 letters, digits, '-' or '_'"
    if not isinstance(job_type, str) or job_type not in RES_JOB_TYPES:
        return f"type: one of {', '.join(sorted(RES_JOB_TYPES))}"
    if platform is None:
        return (
            f"offline_platform: required when type is {job_type}"
            if job_type in RES_TYPES_NEEDING_PLATFORM
            else None
        )
    if not isinstance(platform, dict):
        return "offline_platform: must be an object"
    if set(platform) - RES_PLATFORM_KEYS:
        return f"offline_platform: unknown keys {sorted(set(platform) - RES_PLATFORM_KEYS)}"
    if platform.get("platform", "DLI") not in RES_PLATFORMS:
        return f"offline_platform.platform: one of {', '.join(sorted(RES_PLATFORMS))}"
    parameter = platform.get("platform_parameter")
    if parameter is not None and (
        not isinstance(parameter, dict) or not isinstance(parameter.get("cluster_name"), str)
    ):
        return "offline_platform.platform_parameter: an object with a cluster_name string"
    if not isinstance(platform.get("config_load_path", ""), str):
        return "offline_platform.config_load_path: must be a string"
    return None


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
    problem = delete_problem(body)
    if problem is not None:
        return bad(problem)
    job_id, job_type = body["job_id"], body["type"]
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
