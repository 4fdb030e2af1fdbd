"""The emulator's settings: credentials, durations and the knobs for unconfirmed behaviour.

Scope knobs (the documentation leaves these open):

* ``v2_search_default_workspace``: the workspace a v2 search without ``workspace_id`` covers;
  ``"0"`` (default) or ``None`` for every workspace of the project.
* ``v1_lists_by_user``: whether the v1 training, visualization and RES lists show only the
  caller's jobs (default ``False``: every user's jobs of the listed workspace).
* ``workspaces``: workspace ids that exist besides ``"0"`` and those holding a job.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from airflow_provider_modelarts.emulator import defaults

# Settings the control API may change at run time (credentials stay fixed for a server's life, but
# for the temporary ones: see ``EmulatorServer.rotate_temporary_credentials``).
MUTABLE_SETTINGS = frozenset(
    {
        "create_seconds",
        "pending_seconds",
        "run_seconds",
        "visualization_run_seconds",
        "stop_seconds",
        "delete_visible_seconds",
        "token_ttl_seconds",
        "clock_skew_seconds",
        "v1_failure_status",
        "lockout_enabled",
        "v2_search_default_workspace",
        "v1_lists_by_user",
        "workspaces",
    }
)


@dataclass
class EmulatorConfig:
    """Everything that shapes an emulator; defaults are the documented demo values."""

    access_key: str = defaults.ACCESS_KEY
    secret_key: str = defaults.SECRET_KEY
    temp_access_key: str = defaults.TEMP_ACCESS_KEY
    temp_secret_key: str = defaults.TEMP_SECRET_KEY
    security_token: str = defaults.SECURITY_TOKEN
    project_id: str = defaults.PROJECT_ID
    region: str = defaults.REGION
    domain_id: str = defaults.DOMAIN_ID
    user_id: str = defaults.USER_ID
    iam_user: str = defaults.IAM_USER
    iam_password: str = defaults.IAM_PASSWORD
    iam_domain: str = defaults.IAM_DOMAIN
    second_access_key: str = defaults.SECOND_ACCESS_KEY
    second_secret_key: str = defaults.SECOND_SECRET_KEY
    second_user_id: str = defaults.SECOND_USER_ID
    second_iam_user: str = defaults.SECOND_IAM_USER
    second_iam_password: str = defaults.SECOND_IAM_PASSWORD

    create_seconds: float = defaults.CREATE_SECONDS
    pending_seconds: float = defaults.PENDING_SECONDS
    run_seconds: float | None = defaults.RUN_SECONDS  # None: jobs run until stopped
    visualization_run_seconds: float | None = None  # visualization jobs serve until stopped
    stop_seconds: float = defaults.STOP_SECONDS
    delete_visible_seconds: float = defaults.DELETE_VISIBLE_SECONDS
    token_ttl_seconds: float = defaults.TOKEN_TTL_SECONDS
    clock_skew_seconds: float = 0.0  # added to the server clock when checking X-Sdk-Date
    v1_failure_status: int = defaults.V1_FAILURE_STATUS  # HTTP status of v1 "is_success: false"
    lockout_enabled: bool = False
    v2_search_default_workspace: str | None = defaults.DEFAULT_WORKSPACE  # None: every workspace
    v1_lists_by_user: bool = False
    workspaces: tuple[str, ...] = ()  # declared workspaces besides "0" and those holding a job

    @classmethod
    def for_tests(cls, **overrides: Any) -> EmulatorConfig:
        """Short durations (tenths of a second) for test suites."""
        values: dict[str, Any] = {
            "create_seconds": defaults.TEST_CREATE_SECONDS,
            "pending_seconds": defaults.TEST_PENDING_SECONDS,
            "run_seconds": defaults.TEST_RUN_SECONDS,
            "stop_seconds": defaults.TEST_STOP_SECONDS,
            "delete_visible_seconds": defaults.TEST_DELETE_VISIBLE_SECONDS,
        }
        values.update(overrides)
        return cls(**values)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply run-time changes; raises ``ValueError`` naming a bad key or value."""
        known = {f.name: f for f in fields(self)}
        for key, value in changes.items():
            if key not in MUTABLE_SETTINGS:
                raise ValueError(
                    f"{key}: not a setting that can be changed (one of {sorted(MUTABLE_SETTINGS)})"
                )
            if key in ("lockout_enabled", "v1_lists_by_user"):
                if not isinstance(value, bool):
                    raise ValueError(f"{key}: must be true or false")
            elif key == "v2_search_default_workspace":
                if value is not None and (not isinstance(value, str) or not value):
                    raise ValueError(f"{key}: a workspace id, or null for every workspace")
            elif key == "workspaces":
                if not isinstance(value, list | tuple) or not all(isinstance(w, str) and w for w in value):
                    raise ValueError(f"{key}: a list of workspace ids")
                value = tuple(value)
            elif key == "v1_failure_status":
                if not isinstance(value, int) or isinstance(value, bool) or not 200 <= value <= 599:
                    raise ValueError(f"{key}: must be an HTTP status such as 200 or 400")
            elif value is None and key in ("run_seconds", "visualization_run_seconds"):
                pass
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key}: must be a number")
            elif key != "clock_skew_seconds" and value < 0:
                raise ValueError(f"{key}: must not be negative")
            if key not in known:  # pragma: no cover - MUTABLE_SETTINGS names fields only
                raise ValueError(key)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            setattr(self, key, float(value) if numeric and key != "v1_failure_status" else value)

    def public(self) -> dict[str, Any]:
        """The settings without the secret key (for the stats answer)."""
        data = asdict(self)
        secrets = ("secret_key", "temp_secret_key", "iam_password", "security_token")
        for secret in (*secrets, "second_secret_key", "second_iam_password"):
            data.pop(secret)
        return data
