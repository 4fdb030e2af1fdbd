"""v1 visualization jobs: create, list, detail, stop, restart, delete and the description update
(``PUT``, as for v1 training jobs).

Status flow: WAITING (7) while creating/pending, RUNNING (8) until stopped (or for
``visualization_run_seconds`` when set, then COMPLETED (10)); stop: KILLING (9) for
``stop_seconds``, then KILLED (12). Stop is refused unless the job is RUNNING; delete is refused
while KILLING, both with ``ModelArts.0105`` and the documented "This job can't be ..." message.
Restart (undocumented rule) is allowed once the job has ended (COMPLETED, FAILED, KILLED, CANCELED
or LOST); otherwise ``ModelArts.0105`` "This job can't be resubmit. job status: N", the documented
sample. A restarted job runs its time line again from INIT (1); ``create_time`` stays.
The detail answer has no ``is_success`` field, neither on success nor (as in the documented
failure sample) on failure; a missing job is HTTP 404 ``ModelArts.0015`` there too. The list is
scoped like the v1 training list (:mod:`.routes_v1`): workspace ``"0"`` by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_modelarts.emulator.defaults import DEFAULT_WORKSPACE
from airflow_provider_modelarts.emulator.documented import JOB_NAME, RESOURCE_NOT_FOUND, V1Status
from airflow_provider_modelarts.emulator.routes_v1 import (
    CANNOT,
    DESCRIPTION_RULE,
    NOT_FOUND_MESSAGE,
    PARAM_ERROR,
    description_of,
    fail,
    list_page,
    list_params,
    not_found,
    numeric,
    ok,
)
from airflow_provider_modelarts.emulator.store import Hints, VisJob
from airflow_provider_modelarts.emulator.web import (
    BadJson,
    Context,
    Request,
    Response,
    RouteSpec,
    caller,
    json_response,
    ms,
    v1_error,
)

P = r"(?P<project_id>[^/]+)"
SORT_KEYS = ("job_id", "job_name", "job_desc", "create_time", "status")
RESTARTABLE = frozenset(
    {V1Status.COMPLETED, V1Status.FAILED, V1Status.KILLED, V1Status.CANCELED, V1Status.LOST}
)


def job_view(ctx: Context, job: VisJob, now: float) -> dict[str, Any]:
    store = ctx.store
    state = store.visibility(job.life.deleted_at, job.life.hints.delete_fails, now)
    status = store.v1_status(job.life, now, ctx.config.visualization_run_seconds, state)
    start, end = store.run_window(job.life, now, ctx.config.visualization_run_seconds)
    return {
        "job_id": job.id,
        "job_name": job.name,
        "status": int(status),
        "create_time": ms(job.life.created_at),
        "duration": ms(end - start) if start is not None else 0,
        "job_desc": job.description,
        "service_url": f"https://console.example/modelarts/visualization/{job.id}",
        "train_url": job.train_url,
        "resource_id": f"emulator-resource-{job.id}",
    }


def create(ctx: Context, request: Request) -> Response:
    try:
        body = request.json_object()
    except BadJson as exc:
        return fail(ctx, PARAM_ERROR, str(exc))
    name = body.get("job_name")
    if not isinstance(name, str) or JOB_NAME.fullmatch(name) is None:
        return fail(ctx, PARAM_ERROR, "job_name: 1-64 letters, digits, '-' or '_' are required")
    try:
        hints = Hints.parse(body.get("emulator"))
    except ValueError as exc:
        return fail(ctx, PARAM_ERROR, str(exc))
    workspace_id = body.get("workspace_id", DEFAULT_WORKSPACE)
    if not isinstance(workspace_id, str) or not workspace_id:
        return fail(ctx, PARAM_ERROR, "workspace_id: a workspace id")
    with ctx.store.locked() as now:
        job = ctx.store.create_vis(
            name,
            description=str(body.get("job_desc") or ""),
            train_url=str(body.get("train_url") or ""),
            hints=hints,
            created_at=now,
            workspace_id=workspace_id,
            owner=caller(ctx, request),
        )
        view = job_view(ctx, job, now)
        keys = ("job_id", "job_name", "status", "create_time", "service_url")
        return ok({key: view[key] for key in keys})


def _job(ctx: Context, request: Request, now: float) -> VisJob | None:
    job_id = numeric(request.params["job_id"])
    return None if job_id is None else ctx.store.vis_visible(job_id, now)


def list_jobs(ctx: Context, request: Request) -> Response:
    with ctx.store.locked() as now:
        params = list_params(ctx, request, SORT_KEYS, "job_id")
        if isinstance(params, Response):
            return params
        jobs = [job for job in ctx.store.vis_all(now) if params.scope.shows(job.workspace_id, job.owner)]
        return list_page(params, [job_view(ctx, job, now) for job in jobs], len(ctx.store.vis))


def detail(ctx: Context, request: Request) -> Response:
    with ctx.store.locked() as now:
        job = _job(ctx, request, now)
        if job is None:
            return v1_error(*RESOURCE_NOT_FOUND, NOT_FOUND_MESSAGE, is_success=False)
        return json_response(200, job_view(ctx, job, now))


def _act(
    ctx: Context,
    request: Request,
    verb: str,
    allowed: Callable[[VisJob, int], bool],
    change: Callable[[VisJob, float], None],
) -> Response:
    """Stop, restart or delete: refused with the documented "This job can't be <verb>" unless
    ``allowed(job, status)``; otherwise ``change(job, now)`` and ``is_success``."""
    with ctx.store.locked() as now:
        job = _job(ctx, request, now)
        if job is None:
            return not_found()
        status = job_view(ctx, job, now)["status"]
        if not allowed(job, status):
            return fail(ctx, CANNOT, f"This job can't be {verb}. job status: {status}")
        change(job, now)
        return ok()


def stop(ctx: Context, request: Request) -> Response:
    def change(job: VisJob, now: float) -> None:
        job.life.stop_at = now

    return _act(ctx, request, "stop", lambda _job, status: status == V1Status.RUNNING, change)


def restart(ctx: Context, request: Request) -> Response:
    def change(job: VisJob, now: float) -> None:
        job.life.restarted_at, job.life.stop_at, job.life.fixed = now, None, None

    def allowed(job: VisJob, status: int) -> bool:
        return status in RESTARTABLE and job.life.deleted_at is None

    return _act(ctx, request, "resubmit", allowed, change)


def delete(ctx: Context, request: Request) -> Response:
    def change(job: VisJob, now: float) -> None:
        deleted_at = job.life.deleted_at
        if deleted_at is None or now >= deleted_at + ctx.config.delete_visible_seconds:
            job.life.deleted_at = now

    return _act(ctx, request, "delete", lambda _job, status: status != V1Status.KILLING, change)


def describe(ctx: Context, request: Request) -> Response:
    try:
        body = request.json_object()
    except BadJson as exc:
        return fail(ctx, PARAM_ERROR, str(exc))
    description = description_of(body)
    if description is None:
        return fail(ctx, PARAM_ERROR, DESCRIPTION_RULE)
    with ctx.store.locked() as now:
        job = _job(ctx, request, now)
        if job is None:
            return not_found()
        job.description = description
        return ok()


V = rf"/v1/{P}/visualization-jobs"
ROUTES: list[RouteSpec] = [
    ("vis", V, {"GET": ("vis.list", list_jobs), "POST": ("vis.create", create)}),
    (
        "vis",
        rf"{V}/(?P<job_id>[^/]+)",
        {"GET": ("vis.detail", detail), "DELETE": ("vis.delete", delete), "PUT": ("vis.update", describe)},
    ),
    ("vis", rf"{V}/(?P<job_id>[^/]+)/stop", {"POST": ("vis.stop", stop)}),
    ("vis", rf"{V}/(?P<job_id>[^/]+)/restart", {"POST": ("vis.restart", restart)}),
]
