"""A link from the task to the region's ModelArts job list in the public web console.

The link points at the list, not at the job: after a teardown the job page no longer exists.
A connection whose ModelArts endpoint is overridden (a private deployment, the emulator) gets no
link: the public console would show another deployment's jobs. A task without a link stores no
link XCom at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.sdk.types import TaskInstanceKey

XCOM_KEY = "modelarts_console_url"


class ModelArtsConsoleLink(BaseOperatorLink):
    name = "ModelArts Console"

    @staticmethod
    def hide(task: Any) -> None:
        """No link for this try until :meth:`persist` stores one: Airflow asks every link of a task
        when the task ends, and a task that failed before storing its link (a bad argument, say)
        would otherwise log an unrelated "XCom not found" error, then store an empty link."""
        task.operator_extra_links = ()

    @staticmethod
    def persist(context: Any, console_url: Callable[[], str | None], task: Any = None) -> None:
        """Store the link when there is one (nothing when there is none, or when the connection
        cannot be read: that error still raises); ``task`` shows its link only then."""
        url = ""
        try:
            url = console_url() or ""
        finally:
            if url:
                context["ti"].xcom_push(key=XCOM_KEY, value=url)
            if task is not None:
                task.operator_extra_links = type(task).operator_extra_links if url else ()

    @staticmethod
    def resumed(task: Any, console_url: Callable[[], str | None]) -> None:
        """A task resumed after a deferral is a new object: show its link again only if it has one
        (stored by the first part of the run)."""
        try:
            url = console_url()
        except Exception:
            url = None
        task.operator_extra_links = type(task).operator_extra_links if url else ()

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        url = XCom.get_value(key=XCOM_KEY, ti_key=ti_key)
        return url if isinstance(url, str) else ""
