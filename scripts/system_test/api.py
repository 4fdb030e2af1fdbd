"""The few calls of Airflow's REST API the system test makes (an all-admins API server on 127.0.0.1)."""

from __future__ import annotations

import time
from typing import Any

import httpx

TERMINAL_RUN_STATES = {"success", "failed"}


class AirflowApi:
    def __init__(self, port: int) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0)

    def close(self) -> None:
        self.client.close()

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise RuntimeError(
                f"{response.request.method} {response.request.url.path}: {response.status_code}"
            )
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self._json(self.client.get(f"/api/v2{path}", params=params))

    def health(self) -> dict[str, str]:
        """Component name -> status, or {} while the API server does not answer."""
        try:
            answer = self.client.get("/api/v2/monitor/health", timeout=5.0).json()
        except (httpx.HTTPError, ValueError):
            return {}
        return {name: str((part or {}).get("status")) for name, part in answer.items()}

    def has_dag(self, dag_id: str) -> bool:
        try:
            return self.client.get(f"/api/v2/dags/{dag_id}", timeout=5.0).status_code == 200
        except httpx.HTTPError:
            return False

    def unpause(self, dag_id: str) -> None:
        self._json(self.client.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False}))

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        body = {"logical_date": None, "conf": conf}
        return str(self._json(self.client.post(f"/api/v2/dags/{dag_id}/dagRuns", json=body))["dag_run_id"])

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/dags/{dag_id}/dagRuns", limit=100)["dag_runs"])

    def asset_events(self, asset_name: str) -> list[dict[str, Any]]:
        """Every event of the asset named ``asset_name`` (at most 1,000), oldest first."""
        events = self.get("/assets/events", limit=1000, order_by="timestamp")["asset_events"]
        return [event for event in events if event.get("name") == asset_name]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=1000)["task_instances"])

    def task_state(self, dag_id: str, run_id: str, task_id: str) -> str | None:
        response = self.client.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
        return str(response.json().get("state")) if response.status_code == 200 else None

    def put_connection(self, conn_id: str, connection: dict[str, Any]) -> None:
        """Create or replace a connection through the REST API (its audit entry masks the extras)."""
        body = {"connection_id": conn_id, **connection}
        if self.client.get(f"/api/v2/connections/{conn_id}").status_code == 404:
            self._json(self.client.post("/api/v2/connections", json=body))
        else:
            self._json(self.client.patch(f"/api/v2/connections/{conn_id}", json=body))

    def test_connection_as_the_ui_does(self, conn_id: str) -> tuple[int, dict[str, Any]]:
        """The body the UI's Test button sends for a stored connection (secrets masked, port 0)."""
        stored = self.get(f"/connections/{conn_id}")
        body = {
            "connection_id": conn_id,
            "conn_type": stored["conn_type"],
            "description": stored.get("description") or "",
            "extra": stored.get("extra") or "{}",
            "host": stored.get("host") or "",
            "login": stored.get("login") or "",
            "password": stored.get("password") or "",
            "port": int(stored.get("port") or 0),
            "schema": stored.get("schema") or "",
        }
        response = self.client.post("/api/v2/connections/test", json=body)
        return response.status_code, response.json()

    def wait_for_runs(self, dag_id: str, run_ids: list[str], seconds: float) -> dict[str, str]:
        """Poll until every run is finished or ``seconds`` have passed; run id -> state."""
        deadline = time.monotonic() + seconds
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = {
                r["dag_run_id"]: str(r["state"]) for r in self.runs(dag_id) if r["dag_run_id"] in run_ids
            }
            if len(states) == len(run_ids) and set(states.values()) <= TERMINAL_RUN_STATES:
                break
            time.sleep(1.0)
        return states
