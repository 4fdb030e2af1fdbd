"""Every API call this provider makes, as a plan: validate ids, build the request, parse the answer.

Plans validate eagerly (a bad id raises ``ValueError`` before any request exists) and page lists
with each family's own rules: v2 ``offset`` is a page index, v1 ``page`` counts from 1, RES uses
``current-page``/``page-size``. Every walk is bounded by ``max_pages``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from inspect import Parameter, signature
from typing import Any, Generic, TypedDict, TypeVar, Unpack

from pydantic import BaseModel, ValidationError

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api.endpoints import Service
from airflow_provider_modelarts.api.errors import (
    ModelArtsApiError,
    ModelArtsConflictError,
    ModelArtsNotFoundError,
    ModelArtsResponseError,
)
from airflow_provider_modelarts.api.exchange import ApiRequest, ApiResponse, Plan
from airflow_provider_modelarts.api.ids import JobRef
from airflow_provider_modelarts.api.models import (
    IamTokenBody,
    JobSnapshot,
    ResJob,
    ResJobPage,
    TrainingJob,
    TrainingJobPage,
    TrainingJobV1,
    TrainingJobV1Page,
    TrainingJobVersion,
    TrainingJobVersionPage,
    VisualizationJob,
    VisualizationJobPage,
    read_light_v2_search_page,
)
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import NOT_FOUND, Gone

M = TypeVar("M", bound=BaseModel)
Item = TypeVar("Item")

log = logging.getLogger(__name__)
V2_PAGE_SIZE = 50
V1_PAGE_SIZE = 100
RES_PAGE_SIZE = 100
BATCH_DELETE_LIMIT = 100
DEFAULT_MAX_PAGES = 2_000
_SORT_ORDERS = ("asc", "desc")


def _parse(model: type[M], data: Any, response: ApiResponse, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise ModelArtsResponseError(
            f"{what}: unexpected answer ({where}: {first.get('msg')})", request_id=response.request_id
        ) from None


def _object(response: ApiResponse, what: str) -> Mapping[str, Any]:
    if not isinstance(response.data, Mapping):
        raise ModelArtsResponseError(f"{what}: expected a JSON object", request_id=response.request_id)
    return response.data


def _order(value: str | None, field: str = "order") -> str | None:
    if value is not None and value not in _SORT_ORDERS:
        raise ValueError(f"{field}: {value!r} is not 'asc' or 'desc'")
    return value


def _max_pages(value: int) -> int:
    if value < 1:
        raise ValueError("max_pages: must be at least 1")
    return value


def _request(
    service: Service, method: str, *segments: str, params: Iterable[tuple[str, object]] = (), **kw: Any
) -> ApiRequest:
    query = tuple((k, str(v)) for k, v in params if v is not None)
    return ApiRequest(service, method, ids.path(*segments), query, **kw)


@dataclass(frozen=True, slots=True)
class Walk(Generic[Item]):
    """Every item of a paged list, and whether the walk is known to be complete.

    ``complete`` holds when every page reported the same count and exactly that many distinct
    items were seen. When new items sort first (newest first), no page then shifted under a
    concurrent create or delete, and a job missing from ``items`` is not in the list. In other
    orders a create on a later page can hide a delete on an earlier one. Otherwise absence proves
    nothing.
    """

    items: list[Item]
    complete: bool
    pages: int


PageFetch = Callable[[int], Plan[tuple[list[Item], int | None]]]


def _walk(
    fetch: PageFetch[Item], *, first: int, size: int, max_pages: int, key: Callable[[Item], str]
) -> Plan[Walk[Item]]:
    items: list[Item] = []
    seen: set[str] = set()
    counts: list[int | None] = []
    for index in range(max_pages):
        page, count = yield from fetch(first + index)
        counts.append(count)
        for item in page:
            if key(item) not in seen:
                seen.add(key(item))
                items.append(item)
        if len(page) < size or (count is not None and len(seen) >= count):
            break
    else:
        log.warning(
            "A list walk stopped after %s pages (max_pages), with %s items; the service may have more: "
            "the listing is truncated",
            max_pages,
            len(items),
        )
    complete = counts[0] is not None and len(set(counts)) == 1 and len(seen) == counts[0]
    return Walk(items, complete, len(counts))


def items_of(walk: Plan[Walk[M]]) -> Plan[list[M]]:
    """The items of a walk, as a plan (the walk validated its arguments when it was built)."""
    return (yield from walk).items


# ---- v2 training jobs -------------------------------------------------------------------------


def _v2(project: str, *rest: str) -> list[str]:
    return ["v2", ids.project_id(project), *rest]


def delete_training_job(project_id: str, training_job_id: str) -> Plan[None]:
    job = ids.training_job_id(training_job_id)
    segments = _v2(project_id, "training-jobs", job)

    def plan() -> Plan[None]:
        yield _request(
            Service.MODELARTS, "DELETE", *segments, expect_body=False, about=JobRef(JobFamily.TRAINING, job)
        )

    return plan()


def get_training_job(project_id: str, training_job_id: str) -> Plan[TrainingJob]:
    job = ids.training_job_id(training_job_id)
    segments = _v2(project_id, "training-jobs", job)

    def plan() -> Plan[TrainingJob]:
        response = yield _request(Service.MODELARTS, "GET", *segments, about=JobRef(JobFamily.TRAINING, job))
        return _parse(TrainingJob, response.data, response, "training job detail")

    return plan()


def terminate_training_job(project_id: str, training_job_id: str) -> Plan[TrainingJob | None]:
    job = ids.training_job_id(training_job_id)
    segments = _v2(project_id, "training-jobs", job, "actions")

    def plan() -> Plan[TrainingJob | None]:
        response = yield _request(
            Service.MODELARTS,
            "POST",
            *segments,
            json={"action_type": "terminate"},
            expect_body=False,
            about=JobRef(JobFamily.TRAINING, job),
        )
        if isinstance(response.data, Mapping) and "metadata" in response.data:
            return _parse(TrainingJob, response.data, response, "terminate answer")
        return None

    return plan()


def batch_delete_training_jobs(
    project_id: str, training_job_ids: Sequence[str], kind: str = "job"
) -> Plan[None]:
    """Huawei Cloud's batch delete: at most 100 jobs of one workspace per call."""
    checked = [
        ids.training_job_id(job_id, f"training_job_ids[{i}]") for i, job_id in enumerate(training_job_ids)
    ]
    if not 1 <= len(checked) <= BATCH_DELETE_LIMIT:
        raise ValueError(f"training_job_ids: {len(checked)} ids given; a batch holds 1-{BATCH_DELETE_LIMIT}")
    segments = _v2(project_id, "training-jobs", "batch-delete")
    body = {"jobs": [{"kind": kind, "metadata": {"id": job_id}} for job_id in checked]}

    def plan() -> Plan[None]:
        yield _request(Service.MODELARTS, "POST", *segments, json=body, expect_body=False)

    return plan()


def training_job_search_body(
    *,
    page: int,
    limit: int = V2_PAGE_SIZE,
    name: str | None = None,
    phases: Sequence[str] | None = None,
    exclude_phases: Sequence[str] | None = None,
    created_after_ms: int | None = None,
    created_before_ms: int | None = None,
    workspace_id: str | None = None,
    sort_by: str = "create_time",
    order: str = "desc",
) -> dict[str, Any]:
    """The ``training-job-searches`` body; ``page`` is the page index the API calls ``offset``."""
    filters: list[dict[str, Any]] = []
    if name:
        filters.append({"key": "name", "operator": "like", "value": [name]})
    if phases:
        filters.append({"key": "phase", "operator": "in", "value": list(phases)})
    if exclude_phases:
        filters.append({"key": "phase", "operator": "not", "value": list(exclude_phases)})
    if created_after_ms is not None or created_before_ms is not None:
        low = created_after_ms if created_after_ms is not None else 0
        high = created_before_ms if created_before_ms is not None else 2**53
        filters.append({"key": "create_time", "operator": "between", "value": [str(low), str(high)]})
    body: dict[str, Any] = {"offset": page, "limit": limit, "sort_by": sort_by, "order": order}
    if filters:
        body["filters"] = filters
    if workspace_id is not None:
        body["workspace_id"] = workspace_id
    return body


def search_training_jobs(project_id: str, body: Mapping[str, Any]) -> Plan[TrainingJobPage]:
    """One page of ``training-job-searches``."""
    segments = _v2(project_id, "training-job-searches")

    def plan() -> Plan[TrainingJobPage]:
        response = yield _request(Service.MODELARTS, "POST", *segments, json=dict(body))
        return _parse(TrainingJobPage, response.data, response, "training job search")

    return plan()


def walk_training_jobs(
    project_id: str,
    *,
    name: str | None = None,
    phases: Sequence[str] | None = None,
    exclude_phases: Sequence[str] | None = None,
    created_after_ms: int | None = None,
    created_before_ms: int | None = None,
    workspace_id: str | None = None,
    order: str = "desc",
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Plan[Walk[TrainingJob]]:
    """Every v2 job matching the filters (``exclude_phases``: the documented ``not`` operator), and
    whether the walk is known to be complete."""
    ids.project_id(project_id)
    _order(order)
    _max_pages(max_pages)

    def page(index: int) -> Plan[tuple[list[TrainingJob], int | None]]:
        body = training_job_search_body(
            page=index,
            name=name,
            phases=phases,
            exclude_phases=exclude_phases,
            created_after_ms=created_after_ms,
            created_before_ms=created_before_ms,
            workspace_id=workspace_id,
            order=order,
        )
        result = yield from search_training_jobs(project_id, body)
        return result.items, result.count if result.count is not None else result.total

    return _walk(page, first=0, size=V2_PAGE_SIZE, max_pages=max_pages, key=lambda job: job.id)


def _v2_item_snapshot(item: Any, known: Mapping[str, JobSnapshot]) -> JobSnapshot | None:
    """The snapshot of a plain, well-formed search item, read without building models (``None``:
    the item is not plain, let the model judge it). An equal snapshot in ``known`` is returned
    instead of a new one."""
    if type(item) is not dict:
        return None
    metadata, status = item.get("metadata"), item.get("status", {})
    if type(metadata) is not dict or type(status) is not dict:
        return None
    job_id, phase = metadata.get("id"), status.get("phase")
    name, created = metadata.get("name"), metadata.get("create_time")
    if (
        type(job_id) is not str
        or (phase is not None and type(phase) is not str)
        or (name is not None and type(name) is not str)
        or (created is not None and type(created) is not int)
    ):
        return None
    seen = known.get(job_id)
    if (
        seen is not None
        and seen.family is JobFamily.TRAINING
        and seen.version_id is None
        and seen.status == phase
        and seen.name == name
        and seen.create_time == created
    ):
        return seen
    return JobSnapshot(JobFamily.TRAINING, job_id, phase, name=name, create_time=created)


def _v2_page_snapshots(
    data: Any, response: ApiResponse, known: Mapping[str, JobSnapshot]
) -> tuple[list[JobSnapshot], int | None]:
    """A search page as snapshots: plain items are read directly (a walk of a thousand jobs then
    leaves a thousand small snapshots behind, not a thousand models); the rest through the model."""
    items = data.get("items", []) if type(data) is dict else None
    count = data.get("count") if type(data) is dict else None
    count = data.get("total") if count is None and type(data) is dict else count
    if type(items) is not list or (count is not None and type(count) is not int):
        page = _parse(TrainingJobPage, data, response, "training job search")
        return [job.snapshot() for job in page.items], page.count if page.count is not None else page.total
    snapshots = []
    for item in items:
        snapshot = _v2_item_snapshot(item, known)
        if snapshot is None:
            snapshot = _parse(TrainingJob, item, response, "training job search item").snapshot()
        snapshots.append(snapshot)
    return snapshots, count


def walk_training_job_snapshots(
    project_id: str,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    known: Mapping[str, JobSnapshot] | None = None,
    workspace_id: str | None = None,
) -> Plan[Walk[JobSnapshot]]:
    """Every v2 job of the search's scope (``workspace_id``, else the search's default) as a
    :class:`JobSnapshot` (id, phase, name, create time): the light walk behind shared waits, same
    pages and completeness rules as :func:`walk_training_jobs`.

    A job whose snapshot in ``known`` (job id -> snapshot) still holds is answered with that same
    object: a walk of unchanged jobs then creates no snapshots, so none of them outlive the
    round into the oldest GC generation."""
    known = {} if known is None else known
    ids.project_id(project_id)
    _max_pages(max_pages)
    segments = _v2(project_id, "training-job-searches")

    def page(index: int) -> Plan[tuple[list[JobSnapshot], int | None]]:
        body = training_job_search_body(page=index, workspace_id=workspace_id)
        response = yield _request(
            Service.MODELARTS, "POST", *segments, json=body, read=read_light_v2_search_page
        )
        return _v2_page_snapshots(response.data, response, known)

    return _walk(page, first=0, size=V2_PAGE_SIZE, max_pages=max_pages, key=lambda job: job.job_id)


def check_filters(given: Iterable[str], known: Iterable[str], what: str) -> None:
    """A mistyped filter fails naming itself and the filters there are (not as a ``TypeError``)."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"{unknown[0]}: not a filter of the {what} (filters: {', '.join(sorted(known))})")


def _keywords(function: Callable[..., Any]) -> list[str]:
    return [p.name for p in signature(function).parameters.values() if p.kind is Parameter.KEYWORD_ONLY]


def list_training_jobs(project_id: str, **filters: Any) -> Plan[list[TrainingJob]]:
    """Every v2 job matching ``filters`` (see :func:`walk_training_jobs`)."""
    check_filters(filters, _keywords(walk_training_jobs), "v2 training job list")
    return items_of(walk_training_jobs(project_id, **filters))


# ---- v1 training jobs -------------------------------------------------------------------------


def _v1(project: str, *rest: str) -> list[str]:
    return ["v1", ids.project_id(project), *rest]


class V1ListFilters(TypedDict, total=False):
    """The query of the v1 list APIs (training and visualization jobs)."""

    search_content: str | None
    status: int | None
    sort_by: str | None
    order: str | None
    workspace_id: str | None
    per_page: int
    max_pages: int


def _check_search(search_content: str | None) -> None:
    if search_content is not None and len(search_content) > 64:
        raise ValueError("search_content: at most 64 characters")


def walk_training_jobs_v1(project_id: str, **filters: Unpack[V1ListFilters]) -> Plan[Walk[TrainingJobV1]]:
    return _walk_v1(TrainingJobV1Page, "v1 training job list", _v1(project_id, "training-jobs"), filters)


def list_training_jobs_v1(project_id: str, **filters: Any) -> Plan[list[TrainingJobV1]]:
    """Every v1 training job matching ``filters`` (see :func:`walk_training_jobs_v1`)."""
    return items_of(walk_training_jobs_v1(project_id, **filters))


def _walk_v1(
    page_model: type[TrainingJobV1Page] | type[VisualizationJobPage],
    what: str,
    segments: list[str],
    filters: V1ListFilters,
) -> Plan[Walk[Any]]:
    """The v1 list walk shared by training and visualization jobs: ``page`` counts from 1."""
    check_filters(filters, V1ListFilters.__annotations__, "v1 list APIs")
    search_content = filters.get("search_content")
    per_page = filters.get("per_page", V1_PAGE_SIZE)
    max_pages = filters.get("max_pages", DEFAULT_MAX_PAGES)
    _check_search(search_content)
    _order(filters.get("order"))
    _max_pages(max_pages)
    if not 1 <= per_page <= 1000:
        raise ValueError("per_page: must be 1-1000")
    query: list[tuple[str, object]] = [
        ("sortBy", filters.get("sort_by")),
        ("order", filters.get("order")),
        ("search_content", search_content),
        ("status", filters.get("status")),
        ("workspace_id", filters.get("workspace_id")),
    ]

    def page(index: int) -> Plan[tuple[list[Any], int | None]]:
        params = [("per_page", per_page), ("page", index), *query]
        response = yield _request(Service.MODELARTS, "GET", *segments, params=params)
        result = _parse(page_model, response.data, response, what)
        return list(result.jobs), result.job_total_count

    return _walk(page, first=1, size=per_page, max_pages=max_pages, key=lambda job: job.job_id)


def delete_training_job_v1(project_id: str, job_id: str | int) -> Plan[None]:
    job = ids.numeric_id(job_id)
    segments = _v1(project_id, "training-jobs", job)

    def plan() -> Plan[None]:
        yield _request(
            Service.MODELARTS,
            "DELETE",
            *segments,
            expect_body=False,
            about=JobRef(JobFamily.TRAINING_V1, job),
        )

    return plan()


def list_training_job_versions(
    project_id: str, job_id: str | int, *, per_page: int = V1_PAGE_SIZE, max_pages: int = DEFAULT_MAX_PAGES
) -> Plan[list[TrainingJobVersion]]:
    job = ids.numeric_id(job_id)
    segments = _v1(project_id, "training-jobs", job, "versions")
    _max_pages(max_pages)

    def page(index: int) -> Plan[tuple[list[TrainingJobVersion], int | None]]:
        params = [("per_page", per_page), ("page", index)]
        response = yield _request(
            Service.MODELARTS, "GET", *segments, params=params, about=JobRef(JobFamily.TRAINING_V1, job)
        )
        result = _parse(TrainingJobVersionPage, response.data, response, "v1 version list")
        versions = [v if v.job_id else v.model_copy(update={"job_id": job}) for v in result.versions]
        return versions, result.version_count

    return items_of(_walk(page, first=1, size=per_page, max_pages=max_pages, key=lambda v: v.version_id))


def get_training_job_version(
    project_id: str, job_id: str | int, version_id: str | int
) -> Plan[TrainingJobVersion]:
    job, version = ids.numeric_id(job_id), ids.numeric_id(version_id, "version_id")
    segments = _v1(project_id, "training-jobs", job, "versions", version)

    def plan() -> Plan[TrainingJobVersion]:
        response = yield _request(
            Service.MODELARTS, "GET", *segments, about=JobRef(JobFamily.TRAINING_V1, job, version)
        )
        found = _parse(TrainingJobVersion, response.data, response, "v1 version detail")
        return found if found.job_id else found.model_copy(update={"job_id": job})

    return plan()


def stop_training_job_version(project_id: str, job_id: str | int, version_id: str | int) -> Plan[None]:
    job, version = ids.numeric_id(job_id), ids.numeric_id(version_id, "version_id")
    segments = _v1(project_id, "training-jobs", job, "versions", version, "stop")

    def plan() -> Plan[None]:
        yield _request(
            Service.MODELARTS,
            "POST",
            *segments,
            expect_body=False,
            about=JobRef(JobFamily.TRAINING_V1, job, version),
        )

    return plan()


def delete_training_job_version(project_id: str, job_id: str | int, version_id: str | int) -> Plan[None]:
    job, version = ids.numeric_id(job_id), ids.numeric_id(version_id, "version_id")
    segments = _v1(project_id, "training-jobs", job, "versions", version)

    def plan() -> Plan[None]:
        yield _request(
            Service.MODELARTS,
            "DELETE",
            *segments,
            expect_body=False,
            about=JobRef(JobFamily.TRAINING_V1, job, version),
        )

    return plan()


# ---- v1 visualization jobs --------------------------------------------------------------------


def walk_visualization_jobs(
    project_id: str, **filters: Unpack[V1ListFilters]
) -> Plan[Walk[VisualizationJob]]:
    return _walk_v1(
        VisualizationJobPage, "visualization job list", _v1(project_id, "visualization-jobs"), filters
    )


def list_visualization_jobs(project_id: str, **filters: Any) -> Plan[list[VisualizationJob]]:
    """Every visualization job matching ``filters`` (see :func:`walk_visualization_jobs`)."""
    return items_of(walk_visualization_jobs(project_id, **filters))


def get_visualization_job(project_id: str, job_id: str | int) -> Plan[VisualizationJob]:
    job = ids.numeric_id(job_id)
    segments = _v1(project_id, "visualization-jobs", job)

    def plan() -> Plan[VisualizationJob]:
        response = yield _request(
            Service.MODELARTS, "GET", *segments, about=JobRef(JobFamily.VISUALIZATION, job)
        )
        return _parse(VisualizationJob, response.data, response, "visualization job detail")

    return plan()


def stop_visualization_job(project_id: str, job_id: str | int) -> Plan[None]:
    job = ids.numeric_id(job_id)
    segments = _v1(project_id, "visualization-jobs", job, "stop")

    def plan() -> Plan[None]:
        yield _request(
            Service.MODELARTS,
            "POST",
            *segments,
            expect_body=False,
            about=JobRef(JobFamily.VISUALIZATION, job),
        )

    return plan()


def delete_visualization_job(project_id: str, job_id: str | int) -> Plan[None]:
    job = ids.numeric_id(job_id)
    segments = _v1(project_id, "visualization-jobs", job)

    def plan() -> Plan[None]:
        yield _request(
            Service.MODELARTS,
            "DELETE",
            *segments,
            expect_body=False,
            about=JobRef(JobFamily.VISUALIZATION, job),
        )

    return plan()


# ---- RES ------------------------------------------------------------------------------------


def delete_res_job(
    project_id: str, job_id: str, job_type: str, offline_platform: Mapping[str, Any] | None = None
) -> Plan[str | None]:
    """``DELETE /v1/{project_id}/del-job``: the JSON body is sent (and signed) with the DELETE."""
    segments = _v1(project_id, "del-job")
    job = ids.res_job_id(job_id)
    body: dict[str, Any] = {"job_id": job, "type": ids.res_job_type(job_type)}
    platform = ids.res_offline_platform(job_type, offline_platform)
    if platform is not None:
        body["offline_platform"] = platform

    def plan() -> Plan[str | None]:
        response = yield _request(
            Service.RES, "DELETE", *segments, json=body, expect_body=False, about=JobRef(JobFamily.RES, job)
        )
        message = response.data.get("message") if isinstance(response.data, Mapping) else None
        return str(message) if message is not None else None

    return plan()


def get_res_job(project_id: str, job_id: str) -> Plan[ResJob]:
    job = ids.res_job_id(job_id)
    segments = _v1(project_id, "jobs", job)

    def plan() -> Plan[ResJob]:
        response = yield _request(Service.RES, "GET", *segments, about=JobRef(JobFamily.RES, job))
        data = _object(response, "RES job detail")
        return _parse(ResJob, data.get("job", data), response, "RES job detail")

    return plan()


def list_res_jobs(project_id: str, job_type: str, **filters: Any) -> Plan[list[ResJob]]:
    """Every RES job of ``job_type`` matching ``filters`` (``job_name``, ``job_status``, ...)."""
    check_filters(filters, _keywords(_res_jobs), "RES job list")
    return _res_jobs(project_id, job_type, **filters)


def _res_jobs(
    project_id: str,
    job_type: str,
    *,
    job_name: str | None = None,
    job_status: str | None = None,
    workspace_id: str | None = None,
    page_size: int = RES_PAGE_SIZE,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Plan[list[ResJob]]:
    segments = _v1(project_id, "jobs")
    ids.res_job_type(job_type)
    _max_pages(max_pages)

    def page(index: int) -> Plan[tuple[list[ResJob], int | None]]:
        params: list[tuple[str, object]] = [
            ("type", job_type),
            ("current-page", index),
            ("page-size", page_size),
            ("job-name", job_name),
            ("job-status", job_status),
            ("workspace_id", workspace_id),
        ]
        response = yield _request(Service.RES, "GET", *segments, params=params)
        result = _parse(ResJobPage, response.data, response, "RES job list")
        return result.jobs, result.total_items

    return items_of(_walk(page, first=1, size=page_size, max_pages=max_pages, key=lambda job: job.job_id))


# ---- IAM ------------------------------------------------------------------------------------


def issue_token(
    *, username: str, password: str, domain_name: str, project_id: str | None, region: str
) -> Plan[tuple[str, IamTokenBody]]:
    """A project-scoped token (by project id, or by project name = region); 201 + ``X-Subject-Token``."""
    scope = {"id": ids.project_id(project_id)} if project_id else {"name": ids.region(region)}
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": username, "password": password, "domain": {"name": domain_name}}
                },
            },
            "scope": {"project": scope},
        }
    }

    def plan() -> Plan[tuple[str, IamTokenBody]]:
        response = yield _request(
            Service.IAM,
            "POST",
            "v3",
            "auth",
            "tokens",
            params=[("nocatalog", "true")],
            json=body,
            authenticate=False,
        )
        token = response.headers.get("X-Subject-Token")
        data = _object(response, "IAM token")
        if not token:
            raise ModelArtsResponseError(
                "IAM token: no X-Subject-Token header", request_id=response.request_id
            )
        return token, _parse(IamTokenBody, data.get("token"), response, "IAM token")

    return plan()


def find_project_id(region: str) -> Plan[str]:
    """The id of the project named after ``region`` (IAM ``GET /v3/projects?name=``)."""
    name = ids.region(region)

    def plan() -> Plan[str]:
        response = yield _request(Service.IAM, "GET", "v3", "projects", params=[("name", name)])
        projects = _object(response, "IAM project list").get("projects")
        for project in projects if isinstance(projects, list) else []:
            if isinstance(project, Mapping) and project.get("name") == name and project.get("id"):
                return ids.project_id(str(project["id"]), "project id from IAM")
        raise ModelArtsResponseError(
            f"IAM has no project named {name!r}; set extra 'project_id'", request_id=response.request_id
        )

    return plan()


# ---- the teardown requests of any family: which call stops or deletes what ----------------------


def stop_job(
    project_id: str, family: JobFamily | str, job_id: str | int, version_id: str | int | None = None
) -> Plan[int]:
    """Ask a job to stop: v2 terminate, a v1 version's stop (every running version for a whole v1
    job), a visualization job's stop. Returns the number of stop requests sent. RES has no stop API."""
    fam, job, version = ids.job_target(family, job_id, version_id)
    if fam is JobFamily.RES:
        raise ValueError("job_family: RES jobs cannot be stopped through the API")
    if fam is JobFamily.TRAINING:
        return _counted(terminate_training_job(project_id, job))
    if fam is JobFamily.VISUALIZATION:
        return _counted(stop_visualization_job(project_id, job))
    if version is not None:
        return _counted(stop_training_job_version(project_id, job, version))

    def every_running_version() -> Plan[int]:
        versions = yield from list_training_job_versions(project_id, job)
        running = [v.version_id for v in versions if not v.is_terminal]
        for number in running:
            try:
                yield from stop_training_job_version(project_id, job, number)
            except ModelArtsApiError as exc:
                # Refused ("can't be stop", 409) or gone: that version finished since the list;
                # the others still stop. Auth, throttling and server errors are not that.
                if type(exc) not in (ModelArtsApiError, ModelArtsConflictError, ModelArtsNotFoundError):
                    raise
        return len(running)

    return every_running_version()


def delete_job(
    project_id: str,
    family: JobFamily | str,
    job_id: str | int,
    version_id: str | int | None = None,
    *,
    job_type: str | None = None,
    offline_platform: Mapping[str, Any] | None = None,
) -> Plan[str | None]:
    """Delete a job (or a v1 version); RES's answer message, if any (RES needs ``job_type``)."""
    fam, job, version = ids.job_target(family, job_id, version_id)
    if fam is JobFamily.TRAINING:
        return _nothing(delete_training_job(project_id, job))
    if fam is JobFamily.VISUALIZATION:
        return _nothing(delete_visualization_job(project_id, job))
    if fam is JobFamily.TRAINING_V1:
        if version is not None:
            return _nothing(delete_training_job_version(project_id, job, version))
        return _nothing(delete_training_job_v1(project_id, job))
    return delete_res_job(project_id, job, ids.res_job_type(job_type), offline_platform)


def _counted(plan: Plan[Any]) -> Plan[int]:
    yield from plan
    return 1


def _nothing(plan: Plan[None]) -> Plan[str | None]:
    yield from plan
    return None


# ---- looking at a job: what exists now, or Gone -------------------------------------------------


def v1_job_state(job_id: str, versions: list[JobSnapshot]) -> JobSnapshot:
    """A v1 job's full state from its versions: the first that has not finished, else the newest
    (a job is stopped only when every version is)."""
    if not versions:
        return JobSnapshot(JobFamily.TRAINING_V1, job_id, None)
    running = [v for v in versions if not v.is_terminal]
    return running[0] if running else versions[0]


def observe(
    project_id: str, family: JobFamily | str, job_id: str | int, version_id: str | int | None = None
) -> Plan[JobSnapshot | Gone]:
    """The job (or v1 version) as the service sees it now, or :class:`..watch.Gone` when its detail
    endpoint answers the family's documented "does not exist" (see ``errors.is_job_not_found``)."""
    fam, job, version = ids.job_target(family, job_id, version_id)
    ids.project_id(project_id)

    def plan() -> Plan[JobSnapshot | Gone]:
        try:
            if fam is JobFamily.TRAINING:
                return (yield from get_training_job(project_id, job)).snapshot()
            if fam is JobFamily.VISUALIZATION:
                return (yield from get_visualization_job(project_id, job)).snapshot()
            if fam is JobFamily.RES:
                return (yield from get_res_job(project_id, job)).snapshot()
            if version is not None:
                return (yield from get_training_job_version(project_id, job, version)).snapshot()
            versions = yield from list_training_job_versions(project_id, job)
            return v1_job_state(job, [v.snapshot() for v in versions])
        except ModelArtsNotFoundError:
            return Gone(job, NOT_FOUND)

    return plan()
