"""Request and response values shared by the routes, and the documented error body shapes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from airflow_provider_modelarts.emulator.clock import ms
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.emulator.faults import Stats
from airflow_provider_modelarts.emulator.store import JobStore
from airflow_provider_modelarts.emulator.users import Directory, User

JSON_TYPE = "application/json;charset=utf-8"
__all__ = ["ms"]  # routes take the time helper from here with the rest


class BadJson(ValueError):
    """The body is not JSON (or not the JSON type a route needs)."""


@dataclass(slots=True)
class Request:
    method: str
    path: str  # the raw path as received (percent-encoding kept)
    query_string: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    request_id: str = ""
    route: str = ""
    family: str = ""
    token_project: str | None = None
    user: User | None = None  # who calls, once authenticated

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    def first(self, name: str) -> str | None:
        return next((value for key, value in self.query if key == name), None)

    def json(self) -> Any:
        """The decoded body; raises :class:`BadJson` when it is not valid JSON."""
        if not self.body.strip():
            raise BadJson("the request body is empty")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadJson(f"the request body is not valid JSON: {exc}") from None

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise BadJson("the request body must be a JSON object")
        return data


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, data: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, body, [("content-type", JSON_TYPE), *(headers or [])])


def empty(status: int) -> Response:
    return Response(status, b"", [("content-type", JSON_TYPE)])


def v2_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error_code": code, "error_msg": message})


def v1_error(status: int, code: str, message: str, *, is_success: bool = True) -> Response:
    body: dict[str, Any] = {"is_success": False} if is_success else {}
    body.update({"error_code": code, "error_message": message})
    return json_response(status, body)


def res_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"is_success": False, "error_code": code, "error_msg": message})


def gateway_error(status: int, code: str, message: str, request_id: str) -> Response:
    return json_response(status, {"error_msg": message, "error_code": code, "request_id": request_id})


_KEYSTONE_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


def keystone_error(status: int, message: str) -> Response:
    title = _KEYSTONE_TITLES.get(status, "Error")
    return json_response(status, {"error": {"code": status, "title": title, "message": message}})


def family_error(family: str, status: int, code: str, message: str) -> Response:
    """An error in the body shape of a route family (``v2``, ``v1``, ``vis``, ``res``, ``iam``)."""
    if family in ("v1", "vis"):
        return v1_error(status, code, message)
    if family == "res":
        return res_error(status, code, message)
    if family == "iam":
        return keystone_error(status, message)
    return v2_error(status, code, message)


@dataclass(slots=True)
class Context:
    """What a route handler may use."""

    config: EmulatorConfig
    store: JobStore
    stats: Stats
    users: Directory
    # (project id or None for unscoped, user) -> (token, issued_at, expires_at)
    issue_token: Callable[[str | None, User], tuple[str, float, float]] = field(
        default=lambda _p, _u: ("", 0.0, 0.0)
    )


def caller(ctx: Context, request: Request) -> User:
    """The authenticated user of a request (the default user if none was established)."""
    return request.user or ctx.users.default


Handler = Callable[[Context, Request], Response]
RouteSpec = tuple[str, str, Mapping[str, tuple[str, Handler]]]  # family, path regex, method → (name, fn)
