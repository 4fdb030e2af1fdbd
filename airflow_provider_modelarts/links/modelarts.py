"""A link from the task to the region's ModelArts job list in the public web console.

The link points at the list, not at the job: after a teardown the job page no longer exists.
A connection whose ModelArts endpoint is overridden (a private deployment, the emulator) gets no
link: the public console would show another deployment's jobs.
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
    def persist(context: Any, console_url: Callable[[], str | None]) -> None:
        """Store the link; an empty one if there is none or the connection cannot be read (the error
        still raises), so that Airflow finds the key when it renders links at the end of a task."""
        url = ""
        try:
            url = console_url() or ""
        finally:
            context["ti"].xcom_push(key=XCOM_KEY, value=url)

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        url = XCom.get_value(key=XCOM_KEY, ti_key=ti_key)
        return url if isinstance(url, str) else ""
