"""What every task of this provider shares: the connection parameters, the hook, and the pace and
limit of its waits, with the same names on operators, sensors and triggers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, conf

from airflow_provider_modelarts.api.waiting import (
    DEFAULT_MAX_POLL_FAILURES,
    DEFAULT_POLL_INTERVAL,
    poll_failures,
    seconds,
)
from airflow_provider_modelarts.hooks import DEFAULT_CONN_ID
from airflow_provider_modelarts.links.modelarts import ModelArtsConsoleLink

if TYPE_CHECKING:
    from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

DEFAULT_TIMEOUT = timedelta(hours=1)


class ModelArtsTask(BaseOperator):
    """The parameters every teardown task takes.

    :param modelarts_conn_id: Airflow connection of type ``modelarts`` (templated).
    :param region: Overrides the connection's region (templated).
    :param project_id: Overrides the connection's project id (templated).
    :param wait_for_completion: Wait until the jobs are stopped/gone (default) or return right after
        the requests.
    :param deferrable: Wait in the triggerer instead of the worker (default from
        ``[operators] default_deferrable``).
    :param poll_interval: Seconds (or ``timedelta``) between status checks while waiting.
    :param timeout: Longest wait (seconds or ``timedelta``) for each goal; then the task fails.
    :param max_poll_failures: Consecutive polls that may fail transiently (after the client's own
        retries) before the task fails.
    """

    template_fields: Sequence[str] = ("modelarts_conn_id", "region", "project_id")
    operator_extra_links = (ModelArtsConsoleLink(),)
    ui_color = "#e6f1fb"

    def __init__(
        self,
        *,
        modelarts_conn_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        project_id: str | None = None,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float | timedelta = DEFAULT_POLL_INTERVAL,
        timeout: float | timedelta = DEFAULT_TIMEOUT,
        max_poll_failures: int = DEFAULT_MAX_POLL_FAILURES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.modelarts_conn_id = modelarts_conn_id
        self.region = region
        self.project_id = project_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = seconds(poll_interval, "poll_interval")
        self.timeout = seconds(timeout, "timeout")
        self.max_poll_failures = poll_failures(max_poll_failures)

    @cached_property
    def hook(self) -> ModelArtsHook:
        # Imported when the task runs, not when a DAG file that uses the operator is parsed.
        from airflow_provider_modelarts.hooks.modelarts import ModelArtsHook

        return ModelArtsHook(self.modelarts_conn_id, region=self.region, project_id=self.project_id)
