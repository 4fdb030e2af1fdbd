"""Which jobs a list shows: one workspace (or all) and, when it is user-scoped, the caller's jobs.

A list naming a workspace that does not exist answers ``ModelArts.0102`` "The workspace does not
exist" (HTTP 400 in the error table) in its family's error shape. Detail, delete, stop and version
endpoints are not scoped: ids are project-wide.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_modelarts.emulator.documented import WORKSPACE_NOT_FOUND
from airflow_provider_modelarts.emulator.users import User
from airflow_provider_modelarts.emulator.web import Context, Request, caller

WORKSPACE_MISSING = WORKSPACE_NOT_FOUND.code
WORKSPACE_MISSING_MESSAGE = "The workspace does not exist"


@dataclass(frozen=True, slots=True)
class Scope:
    workspace_id: str | None  # None: every workspace of the project
    owner_id: str | None  # None: every user's jobs

    def shows(self, workspace_id: str, owner: User) -> bool:
        return (self.workspace_id is None or workspace_id == self.workspace_id) and (
            self.owner_id is None or owner.id == self.owner_id
        )


def list_scope(ctx: Context, request: Request, workspace_id: str | None, by_user: bool) -> Scope | None:
    """The scope of one list call; None when ``workspace_id`` names no existing workspace."""
    if workspace_id is not None and not ctx.store.workspace_exists(workspace_id):
        return None
    return Scope(workspace_id, caller(ctx, request).id if by_user else None)
