"""``ModelArtsHook``: an authenticated ModelArts / IAM / RES client behind an Airflow connection."""

from __future__ import annotations

import asyncio
import copy
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_modelarts.api import ids
from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.exchange import Plan
from airflow_provider_modelarts.api.models import (
    JobSnapshot,
    ResJob,
    TrainingJob,
    TrainingJobV1,
    TrainingJobVersion,
    VisualizationJob,
)
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.api.session import ModelArtsSession, shared_session
from airflow_provider_modelarts.api.statuses import JobFamily
from airflow_provider_modelarts.api.watch import Gone
from airflow_provider_modelarts.auth.secrets import amask, mask
from airflow_provider_modelarts.hooks import DEFAULT_CONN_ID

T = TypeVar("T")
CONFIG_CACHE_SECONDS = 30.0
# Parsed connections by (conn id, region, project id): when their read started, and what it found.
_RECENT_CONFIGS: dict[tuple[str, str | None, str | None], tuple[float, ConnectionConfig]] = {}
# Connection look-ups under way, per event loop (when each started): concurrent callers await one.
_LOOKUPS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop,
    dict[tuple[str, str | None, str | None], tuple[float, asyncio.Task[ConnectionConfig]]],
] = weakref.WeakKeyDictionary()

# Ids are checked against a syntactically valid project before the real project id is looked up,
# so a bad id fails before any request, including the IAM look-up.
_VALIDATION_PROJECT = "validation-only"
TEST_CONNECTION_POLICY = RetryPolicy(max_attempts=2, base_delay=0.5, max_delay=1.0, total_timeout=10.0)


class ModelArtsHook(BaseHook):
    """Talks to ModelArts (v2 and v1 training, v1 visualization), IAM and RES for one connection.

    The connection is read lazily, on the first call, never in ``__init__``: DAG files that build
    operators parse without it, and triggers resolve it asynchronously (see the ``a*`` methods).

    :param modelarts_conn_id: Airflow connection of type ``modelarts``.
    :param region: Overrides the connection's ``region`` extra.
    :param project_id: Overrides the connection's ``project_id`` extra.
    :param retry_policy: Retries of transport errors, 429 and 5xx (bounded; see ``RetryPolicy``).
    """

    conn_name_attr = "modelarts_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "modelarts"
    hook_name = "Huawei Cloud ModelArts"

    UI_FIELD_BEHAVIOUR: ClassVar[dict[str, Any]] = {
        "hidden_fields": ["schema", "port"],
        "relabeling": {
            "login": "Access Key ID (or IAM user name)",
            "password": "Secret Access Key (or IAM password)",
            "host": "ModelArts endpoint override (optional, full URL)",
        },
        "placeholders": {
            "host": "https://modelarts.cn-north-4.myhuaweicloud.com",
            "extra": '{"region": "cn-north-4", "project_id": "<project id>", "cloud": "huaweicloud"}',
        },
    }

    def __init__(
        self,
        modelarts_conn_id: str = default_conn_name,
        *,
        region: str | None = None,
        project_id: str | None = None,
        retry_policy: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self.retry_policy = retry_policy
        self._config: ConnectionConfig | None = None
        self._config_read_at = 0.0  # time.monotonic() when the read of _config started
        self._session: ModelArtsSession | None = None  # set by asession(): the session of _session_config
        self._session_config: ConnectionConfig | None = None

    # ---- connection ----------------------------------------------------------------------------

    @staticmethod
    def forget_cached_connections() -> None:
        """Drop the process-wide cache of parsed connections (after changing a connection)."""
        _RECENT_CONFIGS.clear()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form labels for Airflow 3.1 (3.2+ reads them from the provider info)."""
        return copy.deepcopy(cls.UI_FIELD_BEHAVIOUR)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra form fields for Airflow 3.1 (3.2+ reads ``conn-fields`` from the provider info).

        One field per ``conn-fields`` entry, with its label and description; 3.1 has no way to
        mark a field required or to offer examples, so the descriptions say what to enter.
        """
        try:
            from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
            from wtforms import BooleanField, IntegerField, PasswordField, StringField
            from wtforms.validators import any_of
        except ImportError:  # pragma: no cover - no Flask UI installed
            return {}
        from airflow_provider_modelarts.get_provider_info import CONN_FIELDS

        widgets: dict[str, Any] = {}
        for name, field in CONN_FIELDS.items():
            schema, label, description = field["schema"], field["label"], field["description"]
            kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if schema.get("format") == "password":
                widgets[name] = PasswordField(label, widget=BS3PasswordFieldWidget(), description=description)
            elif "boolean" in kinds:
                widgets[name] = BooleanField(label, default=schema.get("default"), description=description)
            elif "number" in kinds:
                widgets[name] = IntegerField(label, widget=BS3TextFieldWidget(), description=description)
            else:
                choices = schema.get("enum")
                widgets[name] = StringField(
                    label,
                    widget=BS3TextFieldWidget(),
                    description=description,
                    default=schema.get("default"),
                    validators=[any_of(choices)] if choices else [],
                )
        return widgets

    def _overrides(self) -> dict[str, Any]:
        return {"region": self.region, "project_id": self.project_id}

    def _config_from(self, conn: Any, extra: Mapping[str, Any]) -> ConnectionConfig:
        return ConnectionConfig.from_connection_fields(
            login=conn.login, password=conn.password, host=conn.host, extra=extra, overrides=self._overrides()
        )

    def get_config(self) -> ConnectionConfig:
        """The parsed connection (cached); secrets are registered with the log masker."""
        if self._config is None:
            conn = self.get_connection(self.modelarts_conn_id)
            config = self._config_from(conn, conn.extra_dejson)
            for secret in config.secrets():
                mask(secret)
            self._config, self._config_read_at = config, time.monotonic()
        return self._config

    async def aget_config(self) -> ConnectionConfig:
        """Async twin of :meth:`get_config` for triggers: never blocks the event loop.

        The connection is read again once the read this hook holds is ``CONFIG_CACHE_SECONDS``
        old, so a long wait picks up rotated credentials. Reads are shared by all hooks of the
        process for that long, and hooks that ask for the same connection at the same time share
        one look-up, so a triggerer running a thousand waits on one connection reads it once per
        period, not a thousand times.
        """
        if self._config is not None and time.monotonic() - self._config_read_at < CONFIG_CACHE_SECONDS:
            return self._config
        return await self._aread_config(time.monotonic() - CONFIG_CACHE_SECONDS)

    async def areread_config(self, refused_at: float) -> ConnectionConfig:
        """Read the connection again because its credentials were refused at ``refused_at`` (a
        ``time.monotonic()`` value): only a read that started since then is good enough, so waits
        refused together share one read, and a read from before the refusal is never trusted.

        The next :meth:`asession` is the session of what was read.
        """
        return await self._aread_config(refused_at)

    async def _aread_config(self, not_before: float) -> ConnectionConfig:
        """The connection, from a read (finished, or under way) that started at ``not_before`` or later."""
        key = self._owner()
        cached = _RECENT_CONFIGS.get(key)
        if cached is not None and cached[0] >= not_before:
            read_at, config = cached
        else:
            loop = asyncio.get_running_loop()
            lookups = _LOOKUPS.setdefault(loop, {})
            lookup = lookups.get(key)
            if lookup is None or lookup[0] < not_before:
                started = time.monotonic()
                mine = lookup = lookups[key] = (started, loop.create_task(self._alookup_config(key, started)))

                def done(_task: asyncio.Task[ConnectionConfig]) -> None:
                    if lookups.get(key) is mine:  # not a later look-up that replaced this one
                        del lookups[key]

                lookup[1].add_done_callback(done)
            # shielded: a waiter cancelled meanwhile must not cancel the look-up of the others
            read_at, config = lookup[0], await asyncio.shield(lookup[1])
        self._config, self._config_read_at = config, read_at
        return config

    async def _alookup_config(
        self, key: tuple[str, str | None, str | None], started: float
    ) -> ConnectionConfig:
        from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson

        conn = await get_async_connection(self.modelarts_conn_id, hook=self)
        config = self._config_from(conn, await get_async_extra_dejson(conn))
        for secret in config.secrets():
            await amask(secret)
        cached = _RECENT_CONFIGS.get(key)
        if cached is None or cached[0] <= started:  # a later read that finished first stays
            _RECENT_CONFIGS[key] = (started, config)
        return config

    @property
    def session(self) -> ModelArtsSession:
        """The process-wide session of this connection (one pool and one token for all callers)."""
        return shared_session(self.get_config(), self.retry_policy, self._owner())

    async def asession(self) -> ModelArtsSession:
        """The process-wide session of the connection as last read (see :meth:`aget_config`): after
        a read that found other credentials, the session of the new ones."""
        config = await self.aget_config()
        if self._session is None or self._session_config is not config:
            self._session = shared_session(config, self.retry_policy, self._owner())
            self._session_config = config
        return self._session

    def _owner(self) -> tuple[str, str | None, str | None]:
        return (self.modelarts_conn_id, self.region, self.project_id)

    async def aclose_session(self) -> None:
        """Close the HTTP client this event loop used, if this hook opened a session (the loop ends)."""
        if self._session is not None:
            await self._session.aclose()

    def console_url(self) -> str | None:
        """The region's job list in the public console, or ``None`` for an overridden endpoint."""
        return self.get_config().console_url()

    # ---- running operations --------------------------------------------------------------------

    def _run(self, operation: Callable[..., Plan[T]], project_id: str | None, *args: Any, **kwargs: Any) -> T:
        project = ids.project_id(project_id) if project_id is not None else self.get_config().project_id
        if project is None:
            operation(_VALIDATION_PROJECT, *args, **kwargs)
            project = self.session.project_id()
        return self.session.run(operation(project, *args, **kwargs))

    async def _arun(
        self, operation: Callable[..., Plan[T]], project_id: str | None, *args: Any, **kwargs: Any
    ) -> T:
        config = await self.aget_config()
        project = ids.project_id(project_id) if project_id is not None else config.project_id
        session = await self.asession()
        if project is None:
            operation(_VALIDATION_PROJECT, *args, **kwargs)
            project = await session.aproject_id()
        return await session.arun(operation(project, *args, **kwargs))

    # ---- v2 training jobs ----------------------------------------------------------------------

    def delete_training_job(self, training_job_id: str, *, project_id: str | None = None) -> None:
        """Delete a v2 training job (202; the service removes it asynchronously)."""
        self._run(ops.delete_training_job, project_id, training_job_id)

    async def adelete_training_job(self, training_job_id: str, *, project_id: str | None = None) -> None:
        await self._arun(ops.delete_training_job, project_id, training_job_id)

    def get_training_job(self, training_job_id: str, *, project_id: str | None = None) -> TrainingJob:
        return self._run(ops.get_training_job, project_id, training_job_id)

    async def aget_training_job(self, training_job_id: str, *, project_id: str | None = None) -> TrainingJob:
        return await self._arun(ops.get_training_job, project_id, training_job_id)

    def terminate_training_job(
        self, training_job_id: str, *, project_id: str | None = None
    ) -> TrainingJob | None:
        """Ask a creating, pending or running v2 job to stop (409 ``ModelArts.2796`` otherwise)."""
        return self._run(ops.terminate_training_job, project_id, training_job_id)

    async def aterminate_training_job(
        self, training_job_id: str, *, project_id: str | None = None
    ) -> TrainingJob | None:
        return await self._arun(ops.terminate_training_job, project_id, training_job_id)

    def batch_delete_training_jobs(
        self, training_job_ids: Sequence[str], *, project_id: str | None = None
    ) -> None:
        """Delete up to 100 v2 jobs of one workspace in one call (Huawei Cloud only)."""
        self._run(ops.batch_delete_training_jobs, project_id, list(training_job_ids))

    async def abatch_delete_training_jobs(
        self, training_job_ids: Sequence[str], *, project_id: str | None = None
    ) -> None:
        await self._arun(ops.batch_delete_training_jobs, project_id, list(training_job_ids))

    def list_training_jobs(self, *, project_id: str | None = None, **filters: Any) -> list[TrainingJob]:
        """Every v2 job matching ``filters`` (``name``, ``phases``, ``created_after_ms``,
        ``created_before_ms``, ``workspace_id``, ``order``), walking all pages."""
        return self._run(ops.list_training_jobs, project_id, **filters)

    async def alist_training_jobs(
        self, *, project_id: str | None = None, **filters: Any
    ) -> list[TrainingJob]:
        return await self._arun(ops.list_training_jobs, project_id, **filters)

    async def awalk_training_jobs(
        self, *, project_id: str | None = None, **filters: Any
    ) -> ops.Walk[TrainingJob]:
        """Like :meth:`alist_training_jobs`, and whether the walk is known to be complete."""
        return await self._arun(ops.walk_training_jobs, project_id, **filters)

    # ---- v1 training jobs ----------------------------------------------------------------------

    def delete_training_job_v1(self, job_id: str | int, *, project_id: str | None = None) -> None:
        """Delete a v1 training job with all its versions (asynchronous on the service side)."""
        self._run(ops.delete_training_job_v1, project_id, job_id)

    async def adelete_training_job_v1(self, job_id: str | int, *, project_id: str | None = None) -> None:
        await self._arun(ops.delete_training_job_v1, project_id, job_id)

    def list_training_jobs_v1(self, *, project_id: str | None = None, **filters: Any) -> list[TrainingJobV1]:
        """Every v1 job matching ``filters`` (``search_content``, ``status``, ``sort_by``, ``order``)."""
        return self._run(ops.list_training_jobs_v1, project_id, **filters)

    async def alist_training_jobs_v1(
        self, *, project_id: str | None = None, **filters: Any
    ) -> list[TrainingJobV1]:
        return await self._arun(ops.list_training_jobs_v1, project_id, **filters)

    def list_training_job_versions(
        self, job_id: str | int, *, project_id: str | None = None
    ) -> list[TrainingJobVersion]:
        return self._run(ops.list_training_job_versions, project_id, job_id)

    async def alist_training_job_versions(
        self, job_id: str | int, *, project_id: str | None = None
    ) -> list[TrainingJobVersion]:
        return await self._arun(ops.list_training_job_versions, project_id, job_id)

    def get_training_job_version(
        self, job_id: str | int, version_id: str | int, *, project_id: str | None = None
    ) -> TrainingJobVersion:
        return self._run(ops.get_training_job_version, project_id, job_id, version_id)

    async def aget_training_job_version(
        self, job_id: str | int, version_id: str | int, *, project_id: str | None = None
    ) -> TrainingJobVersion:
        return await self._arun(ops.get_training_job_version, project_id, job_id, version_id)

    def stop_training_job_version(
        self, job_id: str | int, version_id: str | int, *, project_id: str | None = None
    ) -> None:
        """Stop a running v1 version (asynchronous: KILLING, then KILLED)."""
        self._run(ops.stop_training_job_version, project_id, job_id, version_id)

    async def astop_training_job_version(
        self, job_id: str | int, version_id: str | int, *, project_id: str | None = None
    ) -> None:
        await self._arun(ops.stop_training_job_version, project_id, job_id, version_id)

    def delete_training_job_version(
        self, job_id: str | int, version_id: str | int, *, project_id: str | None = None
    ) -> None:
        self._run(ops.delete_training_job_version, project_id, job_id, version_id)

    async def adelete_training_job_version(
        self, job_id: str | int, version_id: str | int, *, project_id: str | None = None
    ) -> None:
        await self._arun(ops.delete_training_job_version, project_id, job_id, version_id)

    # ---- v1 visualization jobs -----------------------------------------------------------------

    def delete_visualization_job(self, job_id: str | int, *, project_id: str | None = None) -> None:
        """Delete a visualization job (refused by the service while it is KILLING)."""
        self._run(ops.delete_visualization_job, project_id, job_id)

    async def adelete_visualization_job(self, job_id: str | int, *, project_id: str | None = None) -> None:
        await self._arun(ops.delete_visualization_job, project_id, job_id)

    def get_visualization_job(self, job_id: str | int, *, project_id: str | None = None) -> VisualizationJob:
        return self._run(ops.get_visualization_job, project_id, job_id)

    async def aget_visualization_job(
        self, job_id: str | int, *, project_id: str | None = None
    ) -> VisualizationJob:
        return await self._arun(ops.get_visualization_job, project_id, job_id)

    def list_visualization_jobs(
        self, *, project_id: str | None = None, **filters: Any
    ) -> list[VisualizationJob]:
        return self._run(ops.list_visualization_jobs, project_id, **filters)

    async def alist_visualization_jobs(
        self, *, project_id: str | None = None, **filters: Any
    ) -> list[VisualizationJob]:
        return await self._arun(ops.list_visualization_jobs, project_id, **filters)

    def stop_visualization_job(self, job_id: str | int, *, project_id: str | None = None) -> None:
        self._run(ops.stop_visualization_job, project_id, job_id)

    async def astop_visualization_job(self, job_id: str | int, *, project_id: str | None = None) -> None:
        await self._arun(ops.stop_visualization_job, project_id, job_id)

    # ---- RES -----------------------------------------------------------------------------------

    def delete_res_job(
        self,
        job_id: str,
        job_type: str,
        offline_platform: Mapping[str, Any] | None = None,
        *,
        project_id: str | None = None,
    ) -> str | None:
        """RES ``del-job``: deletes the job and its data; returns the service's message."""
        return self._run(ops.delete_res_job, project_id, job_id, job_type, offline_platform)

    async def adelete_res_job(
        self,
        job_id: str,
        job_type: str,
        offline_platform: Mapping[str, Any] | None = None,
        *,
        project_id: str | None = None,
    ) -> str | None:
        return await self._arun(ops.delete_res_job, project_id, job_id, job_type, offline_platform)

    def get_res_job(self, job_id: str, *, project_id: str | None = None) -> ResJob:
        return self._run(ops.get_res_job, project_id, job_id)

    async def aget_res_job(self, job_id: str, *, project_id: str | None = None) -> ResJob:
        return await self._arun(ops.get_res_job, project_id, job_id)

    def list_res_jobs(self, job_type: str, *, project_id: str | None = None, **filters: Any) -> list[ResJob]:
        """Every RES job of ``job_type`` (the list API requires a type), walking all pages."""
        return self._run(ops.list_res_jobs, project_id, job_type, **filters)

    async def alist_res_jobs(
        self, job_type: str, *, project_id: str | None = None, **filters: Any
    ) -> list[ResJob]:
        return await self._arun(ops.list_res_jobs, project_id, job_type, **filters)

    async def aresolve_project_id(self) -> str:
        """The project id in effect (override, connection, or looked up once per session)."""
        config = await self.aget_config()
        if self.project_id or config.project_id:
            return ids.project_id(self.project_id or config.project_id)
        return await (await self.asession()).aproject_id()

    # ---- any family ----------------------------------------------------------------------------

    def stop_job(
        self,
        family: JobFamily | str,
        job_id: str | int,
        version_id: str | int | None = None,
        *,
        project_id: str | None = None,
    ) -> int:
        """Ask a job of any family (or a v1 version) to stop; the number of stop requests sent
        (a whole v1 job: one per running version). RES jobs cannot be stopped (``ValueError``)."""
        return self._run(ops.stop_job, project_id, family, job_id, version_id)

    async def astop_job(
        self,
        family: JobFamily | str,
        job_id: str | int,
        version_id: str | int | None = None,
        *,
        project_id: str | None = None,
    ) -> int:
        return await self._arun(ops.stop_job, project_id, family, job_id, version_id)

    def delete_job(
        self,
        family: JobFamily | str,
        job_id: str | int,
        version_id: str | int | None = None,
        *,
        job_type: str | None = None,
        offline_platform: Mapping[str, Any] | None = None,
        project_id: str | None = None,
    ) -> str | None:
        """Delete a job of any family (or a v1 version); RES's answer message, if any."""
        return self._run(
            ops.delete_job,
            project_id,
            family,
            job_id,
            version_id,
            job_type=job_type,
            offline_platform=offline_platform,
        )

    async def adelete_job(
        self,
        family: JobFamily | str,
        job_id: str | int,
        version_id: str | int | None = None,
        *,
        job_type: str | None = None,
        offline_platform: Mapping[str, Any] | None = None,
        project_id: str | None = None,
    ) -> str | None:
        return await self._arun(
            ops.delete_job,
            project_id,
            family,
            job_id,
            version_id,
            job_type=job_type,
            offline_platform=offline_platform,
        )

    # ---- waiting -------------------------------------------------------------------------------

    def observe(
        self,
        family: JobFamily | str,
        job_id: str | int,
        version_id: str | int | None = None,
        *,
        project_id: str | None = None,
    ) -> JobSnapshot | Gone:
        """The job's state now, or ``None`` when the service says it does not exist."""
        return self._run(ops.observe, project_id, family, job_id, version_id)

    async def aobserve(
        self,
        family: JobFamily | str,
        job_id: str | int,
        version_id: str | int | None = None,
        *,
        project_id: str | None = None,
    ) -> JobSnapshot | Gone:
        return await self._arun(ops.observe, project_id, family, job_id, version_id)

    # ---- connection test -----------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated call (a one-item v2 job search); never raises."""
        try:
            config = self.get_config()
            session = ModelArtsSession(
                config.model_copy(update={"timeout": min(config.timeout, 10.0)}),
                policy=TEST_CONNECTION_POLICY,
            )
            try:
                project = self.project_id or session.project_id()
                body = ops.training_job_search_body(page=0, limit=1)
                page = session.run(ops.search_training_jobs(project, body))
            finally:
                session.close()
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        total = page.total if page.total is not None else len(page.items)
        return True, (
            f"Connected to ModelArts ({config.cloud.value}, {config.region}, project {project}) "
            f"with {config.auth_description()}; {total} training job(s) visible"
        )
