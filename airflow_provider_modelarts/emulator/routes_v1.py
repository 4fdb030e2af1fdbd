"""v1 (legacy) training jobs and their versions: create, list, versions, version detail, stop,
delete and the description update (``PUT``). Versions answer in the flat documented shape of
:mod:`.v1_jobs`; a created job starts INIT (1), then WAITING (7), as the documented sample shows.

Failures use ``{"is_success": false, "error_code", "error_message"}`` with the HTTP status
``v1_failure_status`` (default 400; 200 is the other plausible reading of the docs). Unconfirmed
behaviour chosen here: a job or version that does not exist (never created, or deleted and past
``delete_visible_seconds``) answers HTTP 404 ``ModelArts.0015``; during the visible window after a
delete it answers unchanged; deleting the last visible version removes the job; the ``status``
list filter takes one code or several separated by commas (or repeated); ``job_total_count``
counts the jobs matching the filters; the quota is 200 jobs. Parameter errors are ``ModelArts.0104``.

List scope (see :mod:`.scope`): the documented ``workspace_id`` query defaults to ``"0"``, so a list
shows one workspace; an unknown one answers ``ModelArts.0102``. Whether the v1 lists show only the
caller's jobs is undocumented: they do when the config's ``v1_lists_by_user`` is set (default off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_modelarts.emulator import documented, v1_jobs
from airflow_provider_modelarts.emulator.defaults import DEFAULT_WORKSPACE
from airflow_provider_modelarts.emulator.documented import (
    JOB_NAME,
    RESOURCE_NOT_FOUND,
    V1_STOPPABLE,
    V1Status,
)
from airflow_provider_modelarts.emulator.scope import (
    WORKSPACE_MISSING,
    WORKSPACE_MISSING_MESSAGE,
    Scope,
    list_scope,
)
from airflow_provider_modelarts.emulator.store import Hints, V1Job, V1Version, Visibility
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
PARAM_ERROR = documented.PARAMETER_ERROR.code
CANNOT = documented.JOB_STATE_REFUSED.code
QUOTA = 200
SORT_KEYS = ("job_name", "job_desc", "status", "duration", "version_count", "create_time")
NOT_FOUND_MESSAGE = documented.RESOURCE_NOT_FOUND_MESSAGE
DESCRIPTION_RULE = "job_desc: a string of 0 to 256 characters is required"


def fail(ctx: Context, code: str, message: str) -> Response:
    return v1_error(ctx.config.v1_failure_status, code, message)


def not_found() -> Response:
    return v1_error(*RESOURCE_NOT_FOUND, NOT_FOUND_MESSAGE)


def ok(data: dict[str, Any] | None = None, status: int = 200) -> Response:
    return json_response(status, {"is_success": True, **(data or {})})


@dataclass(frozen=True, slots=True)
class ListParams:
    per_page: int
    page: int
    sort_by: str
    order: str
    search: str
    statuses: frozenset[int]
    scope: Scope


def list_params(
    ctx: Context, request: Request, sort_keys: tuple[str, ...], default_sort: str
) -> ListParams | Response:
    """Read ``per_page``, ``page``, ``sortBy``, ``order``, ``search_content``, ``status`` and
    ``workspace_id``, and the list's scope (callers hold the store lock)."""
    values = {"per_page": "10", "page": "1"}
    for key in values:
        raw = request.first(key)
        if raw is not None:
            values[key] = raw
    if not values["per_page"].isdigit() or not 1 <= int(values["per_page"]) <= 1000:
        return fail(ctx, PARAM_ERROR, "per_page: must be from 1 to 1000")
    if not values["page"].isdigit() or not 1 <= int(values["page"]) <= 65535:
        return fail(ctx, PARAM_ERROR, "page: must be from 1 to 65535")
    sort_by = request.first("sortBy") or default_sort
    if sort_by not in sort_keys:
        return fail(ctx, PARAM_ERROR, f"sortBy: one of {', '.join(sort_keys)}")
    order = request.first("order") or "asc"
    if order not in ("asc", "desc"):
        return fail(ctx, PARAM_ERROR, "order: asc or desc")
    search = request.first("search_content") or ""
    if len(search) > 64:
        return fail(ctx, PARAM_ERROR, "search_content: at most 64 characters")
    statuses: set[int] = set()
    for key, value in request.query:
        if key != "status":
            continue
        for part in value.split(","):
            if not part.strip().isdigit():
                return fail(ctx, PARAM_ERROR, f"status: {value!r} is not a status code")
            statuses.add(int(part))
    workspace_id = request.first("workspace_id") or DEFAULT_WORKSPACE
    scope = list_scope(ctx, request, workspace_id, ctx.config.v1_lists_by_user)
    if scope is None:
        return fail(ctx, WORKSPACE_MISSING, WORKSPACE_MISSING_MESSAGE)
    return ListParams(
        int(values["per_page"]), int(values["page"]), sort_by, order, search, frozenset(statuses), scope
    )


def list_page(params: ListParams, views: list[dict[str, Any]], total: int) -> Response:
    """The v1 list answer (training and visualization jobs): filter, sort, then cut one page;
    ``total``, the jobs of the project, sets ``job_count_limit``."""
    views = [
        view
        for view in views
        if params.search in view["job_name"] and (not params.statuses or view["status"] in params.statuses)
    ]
    views.sort(key=lambda v: (v[params.sort_by], v["job_id"]), reverse=params.order == "desc")
    start = (params.page - 1) * params.per_page
    return ok(
        {
            "job_total_count": len(views),
            "job_count_limit": max(QUOTA - total, 0),
            "quotas": QUOTA,
            "jobs": views[start : start + params.per_page],
        }
    )


def numeric(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 19 else None


def version_status(ctx: Context, job: V1Job, version: V1Version, now: float) -> V1Status:
    state = ctx.store.v1_version_state(job, version, now)
    return ctx.store.v1_status(version.life, now, ctx.config.run_seconds, state)


def version_view(ctx: Context, job: V1Job, version: V1Version, now: float, *, detail: bool) -> dict[str, Any]:
    """The documented flat version (:func:`.v1_jobs.version_view`) at ``now``."""
    start, end = ctx.store.run_window(version.life, now, ctx.config.run_seconds)
    identity: dict[str, Any] = {"version_id": version.id, "version_name": version.name}
    if version.pre_version_id is not None:
        identity["pre_version_id"] = version.pre_version_id
    return v1_jobs.version_view(
        version.config,
        identity,
        status=int(version_status(ctx, job, version, now)),
        create_time=ms(version.life.created_at),
        duration=ms(end - start) if start is not None else 0,
        start_time=ms(start) if start is not None else 0,
        resource_id=version.resource_id,
        detail=detail,
    )


def job_view(ctx: Context, job: V1Job, now: float) -> dict[str, Any]:
    versions = ctx.store.v1_versions(job, now)
    latest = versions[0]
    start, end = ctx.store.run_window(latest.life, now, ctx.config.run_seconds)
    return {
        "job_id": job.id,
        "job_name": job.name,
        "version_id": latest.id,
        "status": int(version_status(ctx, job, latest, now)),
        "create_time": ms(job.created_at),
        "duration": ms(end - start) if start is not None else 0,
        "job_desc": job.description,
        "version_count": len(versions),
    }


def _body(ctx: Context, request: Request) -> dict[str, Any] | Response:
    try:
        return request.json_object()
    except BadJson as exc:
        return fail(ctx, PARAM_ERROR, str(exc))


def _created(ctx: Context, job: V1Job, version: V1Version, now: float) -> Response:
    """The answer to creating a job (with its ``resource_id``) or a version of it."""
    answer: dict[str, Any] = {
        "job_id": job.id,
        "job_name": job.name,
        "version_id": version.id,
        "version_name": version.name,
        "status": int(version_status(ctx, job, version, now)),
        "create_time": ms(version.life.created_at),
    }
    if len(job.versions) == 1:
        answer["resource_id"] = version.resource_id
    return ok(answer)


def create(ctx: Context, request: Request) -> Response:
    body = _body(ctx, request)
    if isinstance(body, Response):
        return body
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
    try:
        config = v1_jobs.V1Config.parse(body.get("config"))
    except ValueError as exc:
        return fail(ctx, PARAM_ERROR, str(exc))
    with ctx.store.locked() as now:
        job = ctx.store.create_v1(
            name,
            description=str(body.get("job_desc") or ""),
            hints=hints,
            created_at=now,
            config=config,
            workspace_id=workspace_id,
            owner=caller(ctx, request),
        )
        version = job.versions[-1]
        return _created(ctx, job, version, now)


def _job(ctx: Context, request: Request, now: float) -> V1Job | Response:
    job_id = numeric(request.params["job_id"])
    if job_id is None:
        return fail(ctx, PARAM_ERROR, "job_id: must be a number")
    job = ctx.store.v1_visible(job_id, now)
    return not_found() if job is None else job


def _version(ctx: Context, request: Request, now: float) -> tuple[V1Job, V1Version] | Response:
    job = _job(ctx, request, now)
    if isinstance(job, Response):
        return job
    version_id = numeric(request.params["version_id"])
    if version_id is None:
        return fail(ctx, PARAM_ERROR, "version_id: must be a number")
    for version in ctx.store.v1_versions(job, now):
        if version.id == version_id:
            return job, version
    return not_found()


def create_version(ctx: Context, request: Request) -> Response:
    body = _body(ctx, request)
    if isinstance(body, Response):
        return body
    try:
        hints = Hints.parse(body.get("emulator")) if "emulator" in body else None
        config = v1_jobs.V1Config.parse(body.get("config"))
    except ValueError as exc:
        return fail(ctx, PARAM_ERROR, str(exc))
    with ctx.store.locked() as now:
        job = _job(ctx, request, now)
        if isinstance(job, Response):
            return job
        version = ctx.store.add_version(
            job, description=str(body.get("job_desc") or ""), created_at=now, config=config, hints=hints
        )
        return _created(ctx, job, version, now)


def list_jobs(ctx: Context, request: Request) -> Response:
    with ctx.store.locked() as now:
        params = list_params(ctx, request, SORT_KEYS, "job_name")
        if isinstance(params, Response):
            return params
        jobs = [job for job in ctx.store.v1_all(now) if params.scope.shows(job.workspace_id, job.owner)]
        return list_page(params, [job_view(ctx, job, now) for job in jobs], len(ctx.store.v1))


def list_versions(ctx: Context, request: Request) -> Response:
    per_page_raw, page_raw = request.first("per_page") or "10", request.first("page") or "0"
    if not per_page_raw.isdigit() or not 1 <= int(per_page_raw) <= 1000:
        return fail(ctx, PARAM_ERROR, "per_page: must be from 1 to 1000")
    if not page_raw.isdigit() or int(page_raw) > 65535:
        return fail(ctx, PARAM_ERROR, "page: must be from 0 (no paging) to 65535")
    with ctx.store.locked() as now:
        job = _job(ctx, request, now)
        if isinstance(job, Response):
            return job
        versions = ctx.store.v1_versions(job, now)
        page, per_page = int(page_raw), int(per_page_raw)
        shown = versions if page == 0 else versions[(page - 1) * per_page : page * per_page]
        return ok(
            {
                "job_id": job.id,
                "job_name": job.name,
                "job_desc": job.description,
                "version_count": len(versions),
                "versions": [version_view(ctx, job, version, now, detail=False) for version in shown],
            }
        )


def version_detail(ctx: Context, request: Request) -> Response:
    with ctx.store.locked() as now:
        found = _version(ctx, request, now)
        if isinstance(found, Response):
            return found
        job, version = found
        view = version_view(ctx, job, version, now, detail=True)
        return ok({"job_id": job.id, "job_name": job.name, "job_desc": job.description, **view})


def stop_version(ctx: Context, request: Request) -> Response:
    with ctx.store.locked() as now:
        found = _version(ctx, request, now)
        if isinstance(found, Response):
            return found
        job, version = found
        status = version_status(ctx, job, version, now)
        if status not in V1_STOPPABLE:
            return fail(ctx, CANNOT, f"This job can't be stop. job status: {int(status)}")
        version.life.stop_at = now
        return ok()


def delete_version(ctx: Context, request: Request) -> Response:
    with ctx.store.locked() as now:
        found = _version(ctx, request, now)
        if isinstance(found, Response):
            return found
        version = found[1]
        if version.life.deleted_at is None or _expired(ctx, version.life.deleted_at, now):
            version.life.deleted_at = now
        return ok()


def delete_job(ctx: Context, request: Request) -> Response:
    with ctx.store.locked() as now:
        job = _job(ctx, request, now)
        if isinstance(job, Response):
            return job
        if job.deleted_at is None or _expired(ctx, job.deleted_at, now):
            job.deleted_at = now
        return ok()


def describe(ctx: Context, request: Request) -> Response:
    """``PUT`` a job's description (``job_desc``, 0-256 characters)."""
    body = _body(ctx, request)
    if isinstance(body, Response):
        return body
    description = description_of(body)
    if description is None:
        return fail(ctx, PARAM_ERROR, DESCRIPTION_RULE)
    with ctx.store.locked() as now:
        job = _job(ctx, request, now)
        if isinstance(job, Response):
            return job
        job.description = description
        return ok()


def description_of(body: dict[str, Any]) -> str | None:
    """The mandatory ``job_desc`` of a description update; None when missing or too long."""
    value = body.get("job_desc")
    return value if isinstance(value, str) and len(value) <= 256 else None


def _expired(ctx: Context, deleted_at: float, now: float) -> bool:
    return ctx.store.visibility(deleted_at, True, now) is Visibility.DELETE_FAILED


J = rf"/v1/{P}/training-jobs/(?P<job_id>[^/]+)"
ROUTES: list[RouteSpec] = [
    ("v1", rf"/v1/{P}/training-jobs", {"GET": ("v1.list", list_jobs), "POST": ("v1.create", create)}),
    ("v1", J, {"DELETE": ("v1.delete", delete_job), "PUT": ("v1.update", describe)}),
    (
        "v1",
        rf"{J}/versions",
        {"GET": ("v1.versions", list_versions), "POST": ("v1.version_create", create_version)},
    ),
    (
        "v1",
        rf"{J}/versions/(?P<version_id>[^/]+)",
        {"GET": ("v1.version_detail", version_detail), "DELETE": ("v1.version_delete", delete_version)},
    ),
    ("v1", rf"{J}/versions/(?P<version_id>[^/]+)/stop", {"POST": ("v1.version_stop", stop_version)}),
]
