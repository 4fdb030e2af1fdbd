"""A link from the task to the region's ModelArts job list in the web console.

The link points at the list, not at the job: after a teardown the job page no longer exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.sdk.types import TaskInstanceKey

XCOM_KEY = "modelarts_console_url"


class ModelArtsConsoleLink(BaseOperatorLink):
    name = "ModelArts Console"

    @staticmethod
    def persist(context: Any, url: str) -> None:
        context["ti"].xcom_push(key=XCOM_KEY, value=url)

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        url = XCom.get_value(key=XCOM_KEY, ti_key=ti_key)
        return url if isinstance(url, str) else ""
