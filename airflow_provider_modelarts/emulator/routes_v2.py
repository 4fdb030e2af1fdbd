"""v2 training jobs: create, detail, search, delete, terminate, batch delete, description update
(``PUT``, 200 with no content) and events.

The job object of every answer is :func:`.v2_jobs.job_view`. Events are the job's time line
(created, queuing, running, each worker's start, the terminate action, the end), newest first by
default; ``offset`` counts rows; ``limit`` is 1-100 (default 50); ``start_time``/``end_time``
(milliseconds, both or neither), ``level`` (``Info``, ``Warning``, ``Error``), ``pattern`` and
``source`` (``Job``, ``Task``, ``K8S``) filter them; a bad query is 400 ``ModelArts.2764``. The
documented table types ``total``/``limit``/``offset`` as strings; the SDK and the sample send
integers, and so does the emulator.

Scope of the search (see :mod:`.scope`): the documented ``total``/``count`` are "jobs of the current
user", so a search shows only the caller's jobs; a body ``workspace_id`` restricts it to that
workspace (``ModelArts.0102`` if it does not exist). Without ``workspace_id`` (undocumented) it covers
the config's ``v2_search_default_workspace``: ``"0"`` by default, every workspace when ``None``.
A search without ``train_type`` covers both types (``job``, ``ftjob``; answered as ``""``); ``tags``
and ``host_ips`` (Huawei Cloud only) are accepted and not applied (the search answers as without them).

Search filters accept the documented keys (``name``, ``create_time``, ``phase``,
``algorithm_name``, ``kind``, ``user_id``, ``runtime_type``) and operators (``between``, ``like``,
``in``, ``not``); a filter on ``id`` is undocumented and refused like any unknown key (2807).
Without ``limit`` a page holds 10 jobs. ``sort_by`` accepts ``create_time``, ``name``, ``duration``
and ``phase`` (2790 otherwise). A batch delete naming an unknown job deletes nothing and answers
400 ``ModelArts.2775`` for the first unknown id; one naming jobs of more than one workspace (the
documented rule: all jobs of a batch in one workspace; its error is not documented) deletes
nothing and answers 400 ``ModelArts.2788``. A deleted job created with ``delete_fails`` stays
visible unchanged (there is no v2 "deletion failed" phase).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from airflow_provider_modelarts.emulator import v2_jobs
from airflow_provider_modelarts.emulator.defaults import DEFAULT_WORKSPACE
from airflow_provider_modelarts.emulator.documented import (
    INVALID_JSON_BODY,
    INVALID_PARAM,
    JOB_NAME,
    NOT_ALLOWED_TO_TERMINATE,
    QUERY_PARAMS_ERROR,
    TRAINING_JOB_NOT_FOUND,
    TRAINING_JOB_NOT_FOUND_MESSAGE,
    UNSUPPORTED_ACTION_TYPE,
    UNSUPPORTED_SEARCH_KEY,
    UNSUPPORTED_SEARCH_OPERATOR,
    UNSUPPORTED_SEARCH_VALUE,
    UNSUPPORTED_SORT_BY,
    V2_BATCH_DELETE_LIMIT,
    V2_TERMINABLE,
    V2Phase,
)
from airflow_provider_modelarts.emulator.scope import WORKSPACE_MISSING, WORKSPACE_MISSING_MESSAGE, list_scope
from airflow_provider_modelarts.emulator.store import Hints, JobStore, V2Job
from airflow_provider_modelarts.emulator.web import (
    BadJson,
    Context,
    Request,
    Response,
    RouteSpec,
    caller,
    empty,
    json_response,
    ms,
    v2_error,
)

P = r"(?P<project_id>[^/]+)"
FILTER_KEYS = frozenset({"name", "create_time", "phase", "algorithm_name", "kind", "user_id", "runtime_type"})
OPERATORS = frozenset({"between", "like", "in", "not"})
SORT_KEYS = frozenset({"create_time", "name", "duration", "phase"})
DEFAULT_LIMIT = 10
TRAIN_TYPES = ("job", "ftjob")


def _body(request: Request) -> dict[str, Any] | Response:
    """The JSON object of a request, or the documented 400 ``ModelArts.2787``."""
    try:
        return request.json_object()
    except BadJson as exc:
        return v2_error(*INVALID_JSON_BODY, str(exc))


def not_found(job_id: str) -> Response:
    return v2_error(*TRAINING_JOB_NOT_FOUND, TRAINING_JOB_NOT_FOUND_MESSAGE.format(job_id=job_id))


def job_view(ctx: Context, job: V2Job, now: float) -> dict[str, Any]:
    moment = ctx.store.v2_moment(job, now)
    return v2_jobs.job_view(
        job.id, job.name, job.description, job.workspace_id, job.owner.name, job.body, moment
    )


def create(ctx: Context, request: Request) -> Response:
    body = _body(request)
    if isinstance(body, Response):
        return body
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or JOB_NAME.fullmatch(name) is None:
        return v2_error(*INVALID_PARAM, "metadata.name: 1-64 letters, digits, '-' or '_' are required")
    description = metadata.get("description", "") if isinstance(metadata, dict) else ""
    workspace_id = metadata.get("workspace_id", DEFAULT_WORKSPACE) if isinstance(metadata, dict) else None
    if not isinstance(workspace_id, str) or not workspace_id:
        return v2_error(*INVALID_PARAM, "metadata.workspace_id: a workspace id")
    try:
        hints = Hints.parse(body.get("emulator"))
        state = v2_jobs.V2Body.parse(body)
    except ValueError as exc:
        return v2_error(*INVALID_PARAM, str(exc))
    with ctx.store.locked() as now:
        job = ctx.store.create_v2(
            name,
            description=str(description or ""),
            hints=hints,
            created_at=now,
            body=state,
            workspace_id=workspace_id,
            owner=caller(ctx, request),
        )
        return json_response(201, job_view(ctx, job, now))


def detail(ctx: Context, request: Request) -> Response:
    job_id = request.params["job_id"]
    with ctx.store.locked() as now:
        job = ctx.store.v2_visible(job_id, now)
        if job is None:
            return not_found(job_id)
        return json_response(200, job_view(ctx, job, now))


def delete(ctx: Context, request: Request) -> Response:
    job_id = request.params["job_id"]
    with ctx.store.locked() as now:
        job = ctx.store.v2_visible(job_id, now)
        if job is None:
            return not_found(job_id)
        if job.life.deleted_at is None or now >= job.life.deleted_at + ctx.config.delete_visible_seconds:
            job.life.deleted_at = now
        return empty(202)


def terminate(ctx: Context, request: Request) -> Response:
    job_id = request.params["job_id"]
    body = _body(request)
    if isinstance(body, Response):
        return body
    action = body.get("action_type")
    if action != "terminate":
        return v2_error(*UNSUPPORTED_ACTION_TYPE, f"Unsupported action type: {action}")
    with ctx.store.locked() as now:
        job = ctx.store.v2_visible(job_id, now)
        if job is None:
            return not_found(job_id)
        phase = ctx.store.v2_phase(job, now)
        if phase not in V2_TERMINABLE:
            return v2_error(
                *NOT_ALLOWED_TO_TERMINATE,
                f"Training job (ID: {job_id}) can not be terminated in phase {phase.value}.",
            )
        job.life.stop_at = now
        return json_response(202, job_view(ctx, job, now))


def batch_delete(ctx: Context, request: Request) -> Response:
    body = _body(request)
    if isinstance(body, Response):
        return body
    jobs = body.get("jobs")
    if not isinstance(jobs, list) or not 1 <= len(jobs) <= V2_BATCH_DELETE_LIMIT:
        return v2_error(*INVALID_PARAM, f"jobs: a list of 1-{V2_BATCH_DELETE_LIMIT} jobs is required")
    ids: list[str] = []
    for index, item in enumerate(jobs):
        metadata = item.get("metadata") if isinstance(item, dict) else None
        job_id = metadata.get("id") if isinstance(metadata, dict) else None
        if not isinstance(job_id, str) or not job_id or not isinstance(item.get("kind", "job"), str):
            return v2_error(*INVALID_PARAM, f"jobs[{index}].metadata.id: a job id is required")
        ids.append(job_id)
    with ctx.store.locked() as now:
        found = [ctx.store.v2_visible(job_id, now) for job_id in ids]
        for job_id, job in zip(ids, found, strict=True):
            if job is None:
                return not_found(job_id)
        if len({job.workspace_id for job in found if job is not None}) > 1:
            return v2_error(*INVALID_PARAM, "jobs: the jobs of a batch delete must be in one workspace")
        for job in found:
            if job is not None and job.life.deleted_at is None:
                job.life.deleted_at = now
        return empty(202)


def update(ctx: Context, request: Request) -> Response:
    job_id = request.params["job_id"]
    body = _body(request)
    if isinstance(body, Response):
        return body
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 256:
        return v2_error(*INVALID_PARAM, "description: a string of at most 256 characters")
    with ctx.store.locked() as now:
        job = ctx.store.v2_visible(job_id, now)
        if job is None:
            return not_found(job_id)
        job.description = description
        return empty(200)


# ---- events ---------------------------------------------------------------------------------

Event = tuple[float, str, str, str]  # time, level, source, message
EVENT_LEVELS = ("Info", "Warning", "Error")
EVENT_SOURCES = ("Job", "Task", "K8S")
_END_EVENTS = {
    V2Phase.COMPLETED: ("Info", "Training job completed."),
    V2Phase.TERMINATED: ("Info", "Training job terminated."),
    V2Phase.FAILED: ("Error", "Training job failed."),
    V2Phase.ABNORMAL: ("Error", "Training job is abnormal."),
}


def _timeline(ctx: Context, job: V2Job, now: float) -> list[Event]:
    life, moment = job.life, ctx.store.v2_moment(job, now)
    found: list[Event] = [(life.created_at, "Info", "Job", "Training job created.")]
    queued = life.origin + ctx.config.create_seconds
    if life.fixed is None and now >= queued and (life.stop_at is None or life.stop_at >= queued):
        found.append((queued, "Info", "Job", "Training job is queuing."))
    if moment.start is not None:
        found.append((moment.start, "Info", "Job", "Training job is running."))
        found += [(moment.start, "Info", "Task", f"[{w}] training started.") for w in job.body.workers]
    if life.stop_at is not None:
        found.append((life.stop_at, "Info", "K8S", "ExecuteAction: Start to execute action TerminateJob"))
    if moment.phase in _END_EVENTS:
        level, message = _END_EVENTS[moment.phase]
        found.append((moment.end if moment.start is not None else life.created_at, level, "Job", message))
    return found


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def events(ctx: Context, request: Request) -> Response:
    job_id = request.params["job_id"]
    query = {key: request.first(key) for key in ("offset", "limit", "order", "start_time", "end_time")}
    query |= {key: request.first(key) for key in ("level", "pattern", "source")}
    offset, limit = query["offset"] or "0", query["limit"] or "50"
    order = query["order"] or "desc"
    start, end = query["start_time"], query["end_time"]
    problem = None
    if not offset.isdigit() or not limit.isdigit() or not 1 <= int(limit) <= 100:
        problem = "offset: a number >= 0; limit: 1-100"
    elif order not in ("asc", "desc"):
        problem = "order: asc or desc"
    elif (start is None) != (end is None) or not all(v.isdigit() for v in (start or "0", end or "0")):
        problem = "start_time and end_time: both or neither, in milliseconds"
    elif query["level"] not in (None, *EVENT_LEVELS) or query["source"] not in (None, *EVENT_SOURCES):
        problem = f"level: one of {', '.join(EVENT_LEVELS)}; source: one of {', '.join(EVENT_SOURCES)}"
    elif len(query["pattern"] or "") > 256:
        problem = "pattern: at most 256 characters"
    if problem is not None:
        return v2_error(*QUERY_PARAMS_ERROR, problem)
    with ctx.store.locked() as now:
        job = ctx.store.v2_visible(job_id, now)
        if job is None:
            return not_found(job_id)
        found = _timeline(ctx, job, now)
        low, high = (int(start) / 1000, int(end) / 1000) if start and end else (job.life.created_at, now)
    pattern = query["pattern"] or ""
    found = [
        event
        for event in found
        if (not (start and end) or low <= event[0] <= high)
        and query["level"] in (None, event[1])
        and query["source"] in (None, event[2])
        and pattern in event[3]
    ]
    found.sort(key=lambda event: event[0], reverse=order == "desc")
    page = found[int(offset) : int(offset) + int(limit)]
    return json_response(
        200,
        {
            "total": len(found),
            "limit": int(limit),
            "offset": int(offset),
            "order": order,
            "start_time": _iso(low),
            "end_time": _iso(high),
            "events": [{"time": _iso(t), "level": lv, "source": src, "message": m} for t, lv, src, m in page],
        },
    )


# ---- search ---------------------------------------------------------------------------------

Predicate = Callable[[V2Job, V2Phase], bool]


def _filter(ctx: Context, item: object, index: int) -> Predicate | Response:
    if not isinstance(item, dict):
        return v2_error(*INVALID_PARAM, f"filters[{index}]: must be an object")
    key, operator, values = item.get("key"), item.get("operator"), item.get("value")
    if key not in FILTER_KEYS:
        return v2_error(*UNSUPPORTED_SEARCH_KEY, f"Unsupported search condition key: {key}")
    if operator not in OPERATORS:
        return v2_error(*UNSUPPORTED_SEARCH_OPERATOR, f"Unsupported search condition operator: {operator}")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values) or not values:
        return v2_error(*UNSUPPORTED_SEARCH_VALUE, f"Unsupported search condition value: {values}")
    getters: dict[str, Callable[[V2Job, V2Phase], str]] = {
        "name": lambda job, _phase: job.name,
        "phase": lambda _job, phase: phase.value,
        "kind": lambda job, _phase: job.body.kind,
        "user_id": lambda job, _phase: job.owner.id,
        "algorithm_name": lambda job, _phase: job.body.algorithm.texts.get("name", ""),
        "runtime_type": lambda _job, _phase: "",
    }
    text = getters.get(key, _no_text)  # create_time only supports "between", handled below

    if operator == "between":
        if key != "create_time" or len(values) != 2 or not all(v.isdigit() for v in values):
            return v2_error(*UNSUPPORTED_SEARCH_VALUE, f"Unsupported search condition value: {values}")
        low, high = int(values[0]), int(values[1])
        return lambda job, _phase: low <= ms(job.life.created_at) <= high
    if key == "create_time":
        return v2_error(*UNSUPPORTED_SEARCH_OPERATOR, f"Unsupported search condition operator: {operator}")
    if operator == "like":
        return lambda job, phase: any(v in text(job, phase) for v in values)
    allowed = frozenset(values)
    if operator == "in":
        return lambda job, phase: text(job, phase) in allowed
    return lambda job, phase: text(job, phase) not in allowed


def _no_text(_job: V2Job, _phase: V2Phase) -> str:
    return ""


def _int(body: dict[str, Any], key: str, default: int) -> int | None:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def search(ctx: Context, request: Request) -> Response:
    body = _body(request)
    if isinstance(body, Response):
        return body
    offset, limit = _int(body, "offset", 0), _int(body, "limit", DEFAULT_LIMIT)
    if offset is None or offset < 0:
        return v2_error(*INVALID_PARAM, "offset: a page index >= 0 is required")
    if limit is None or not 1 <= limit <= 50:
        return v2_error(*INVALID_PARAM, "limit: must be from 1 to 50")
    sort_by, order = body.get("sort_by", "create_time"), body.get("order", "desc")
    if sort_by not in SORT_KEYS:
        return v2_error(*UNSUPPORTED_SORT_BY, f"Unsupported sort by: {sort_by}")
    if order not in ("asc", "desc"):
        return v2_error(*INVALID_PARAM, f"order: {order!r} is not asc or desc")
    raw_filters = body.get("filters", [])
    if not isinstance(raw_filters, list):
        return v2_error(*INVALID_PARAM, "filters: must be a list")
    predicates: list[Predicate] = []
    for index, item in enumerate(raw_filters):
        made = _filter(ctx, item, index)
        if isinstance(made, Response):
            return made
        predicates.append(made)
    needs_phase = any(isinstance(item, dict) and item.get("key") == "phase" for item in raw_filters)
    workspace_id = body.get("workspace_id", ctx.config.v2_search_default_workspace)
    if workspace_id is not None and not isinstance(workspace_id, str):
        return v2_error(*INVALID_PARAM, "workspace_id: a workspace id")
    train_type = body.get("train_type")
    if train_type is not None and train_type not in TRAIN_TYPES:
        return v2_error(*INVALID_PARAM, f"train_type: one of {', '.join(TRAIN_TYPES)}")
    with ctx.store.locked() as now:
        scope = list_scope(ctx, request, workspace_id, by_user=True)
        if scope is None:
            return v2_error(400, WORKSPACE_MISSING, WORKSPACE_MISSING_MESSAGE)
        store = ctx.store
        jobs = store.v2_of(now, caller(ctx, request).id, scope.workspace_id)
        if train_type is not None:
            jobs = [job for job in jobs if job.body.train_type == train_type]
        total = len(jobs)
        phases: dict[str, V2Phase] = {}
        if predicates:
            if needs_phase:
                phases = {job.id: store.v2_phase(job, now) for job in jobs}
                jobs = [job for job in jobs if all(p(job, phases[job.id]) for p in predicates)]
            else:  # no phase needed: skip computing it for every job
                jobs = [job for job in jobs if all(p(job, V2Phase.RUNNING) for p in predicates)]
        if sort_by == "phase" and not phases:
            phases = {job.id: store.v2_phase(job, now) for job in jobs}
        reverse = order == "desc"
        jobs.sort(key=_sort_key(store, sort_by, phases, now), reverse=reverse)
        page = jobs[offset * limit : (offset + 1) * limit]
        return json_response(
            200,
            {
                "total": total,
                "count": len(jobs),
                "limit": limit,
                "offset": offset,
                "sort_by": sort_by,
                "order": order,
                "group_by": body.get("group_by", ""),
                "workspace_id": "" if workspace_id is None else workspace_id,
                "ai_project": "default-ai-project",
                "train_type": train_type or "",
                "items": [job_view(ctx, job, now) for job in page],
            },
        )


def _sort_key(
    store: JobStore, sort_by: str, phases: dict[str, V2Phase], now: float
) -> Callable[[V2Job], Any]:
    if sort_by == "name":
        return lambda job: (job.name, job.life.created_at)
    if sort_by == "phase":
        return lambda job: (phases[job.id].value, job.life.created_at)
    if sort_by == "duration":

        def duration(job: V2Job) -> tuple[float, float]:
            start, end = store.run_window(job.life, now, store.config.run_seconds)
            return (end - start if start is not None else 0.0), job.life.created_at

        return duration
    return lambda job: job.life.created_at


ROUTES: list[RouteSpec] = [
    ("v2", rf"/v2/{P}/training-job-searches", {"POST": ("v2.search", search)}),
    ("v2", rf"/v2/{P}/training-jobs/batch-delete", {"POST": ("v2.batch_delete", batch_delete)}),
    ("v2", rf"/v2/{P}/training-jobs", {"POST": ("v2.create", create)}),
    (
        "v2",
        rf"/v2/{P}/training-jobs/(?P<job_id>[^/]+)/actions",
        {"POST": ("v2.terminate", terminate)},
    ),
    ("v2", rf"/v2/{P}/training-jobs/(?P<job_id>[^/]+)/events", {"GET": ("v2.events", events)}),
    (
        "v2",
        rf"/v2/{P}/training-jobs/(?P<job_id>[^/]+)",
        {"GET": ("v2.detail", detail), "DELETE": ("v2.delete", delete), "PUT": ("v2.update", update)},
    ),
]
