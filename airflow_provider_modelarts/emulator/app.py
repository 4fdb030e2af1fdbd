"""The ASGI application: routing, authentication, faults, counters and the control API.

Every answer carries ``X-Request-Id``. An unknown path is 404 ``ModelArts.2836``; a known path
with another method is 405 ``ModelArts.2803``. Faults apply to job and IAM routes (not to the
control API) before authentication; injected errors use the route family's error shape with
``ModelArts.2799`` (429, with ``Retry-After``) or ``ModelArts.0010`` (5xx). A dropped connection is
closed without any answer and counted with status ``0``.

Control API (no authentication), all JSON:

* ``GET /_emulator/stats``: counters, job counts, fault rules, settings, clock.
* ``POST /_emulator/faults``: ``{"seed": int?, "clear": true | [route, ...]?, "set": {route: rule}?}``.
* ``POST /_emulator/reset``: forget jobs, tokens, counters, fault rules and AK lockouts.
* ``POST /_emulator/config``: change durations, ``clock_skew_seconds``, ``v1_failure_status``...
* ``POST /_emulator/seed``: one seed entry (see :meth:`JobStore.seed`) or ``{"jobs": [entry, ...]}``;
  answers the ids by family (``created``) and each job's family, name, id and v1 version ids (``jobs``).
* ``POST /_emulator/clock/advance``: ``{"seconds": n}``.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from airflow_provider_modelarts.emulator import (
    routes_iam,
    routes_res,
    routes_v1,
    routes_v2,
    routes_visualization,
)
from airflow_provider_modelarts.emulator.auth import Authenticator, TokenRegistry
from airflow_provider_modelarts.emulator.clock import Clock
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.emulator.documented import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    PATH_NOT_FOUND,
    TOO_MANY_REQUESTS,
)
from airflow_provider_modelarts.emulator.faults import ALL_ROUTES, FaultInjector, FaultRule, Stats
from airflow_provider_modelarts.emulator.store import JobStore, SeededJob
from airflow_provider_modelarts.emulator.users import Directory, User
from airflow_provider_modelarts.emulator.web import (
    BadJson,
    Context,
    Handler,
    Request,
    Response,
    family_error,
    json_response,
    v2_error,
)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY = 16 * 1024 * 1024
UNKNOWN_ROUTE = "unknown"
METHOD_NOT_ALLOWED_ROUTE = "method_not_allowed"
CONTROL_PREFIX = "/_emulator/"
_FAULT_CODES = {429: (TOO_MANY_REQUESTS.code, "Too many requests, please retry later.")}


@dataclass(frozen=True, slots=True)
class Route:
    family: str
    pattern: re.Pattern[str]
    methods: Mapping[str, tuple[str, Handler]]


def compile_routes() -> list[Route]:
    specs = [
        *routes_iam.ROUTES,
        *routes_v2.ROUTES,
        *routes_v1.ROUTES,
        *routes_visualization.ROUTES,
        *routes_res.ROUTES,
    ]
    return [Route(family, re.compile(pattern + r"/?"), methods) for family, pattern, methods in specs]


ROUTES = compile_routes()
ROUTE_NAMES = frozenset(name for route in ROUTES for name, _ in route.methods.values())


class EmulatorApp:
    """One emulator: its settings, clock, jobs, tokens, counters and fault rules, as an ASGI app."""

    def __init__(
        self, config: EmulatorConfig | None = None, clock: Clock | None = None, fault_seed: int | None = None
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.users = Directory(self.config)
        self.store = JobStore(self.config, self.clock, self.users)
        self.stats = Stats()
        self.faults = FaultInjector(fault_seed, self.stats)
        self.tokens = TokenRegistry()
        self.auth = Authenticator(self.config, self.clock, self.tokens, self.stats, self.users)
        self.context = Context(self.config, self.store, self.stats, self.users, self._issue_token)
        self._control: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "stats"): lambda _r: json_response(200, self.stats_view()),
            ("POST", "faults"): self._control_faults,
            ("POST", "reset"): lambda _r: json_response(200, self.reset()),
            ("POST", "config"): self._control_config,
            ("POST", "seed"): self._control_seed,
            ("POST", "clock/advance"): self._control_advance,
        }

    # ---- state ------------------------------------------------------------------------------

    def _issue_token(self, project_id: str | None, user: User) -> tuple[str, float, float]:
        token = self.tokens.issue(project_id, user, self.clock.now(), self.config.token_ttl_seconds)
        self.stats.token_issued()
        return token.value, token.issued_at, token.expires_at

    def reset(self) -> dict[str, Any]:
        self.store.reset()
        self.tokens.clear()
        self.stats.reset()
        self.faults.clear()
        self.auth.reset()
        return {"reset": True}

    def stats_view(self) -> dict[str, Any]:
        return {
            **self.stats.snapshot(),
            "jobs": self.store.counts(),
            "fault_rules": self.faults.rules(),
            "config": self.config.public(),
            "clock": {"now": self.clock.now(), "offset": self.clock.offset},
        }

    def seed(self, entries: Iterable[Mapping[str, Any]]) -> list[SeededJob]:
        """Create the jobs of seed entries (all validated by the store); each created job."""
        created: list[SeededJob] = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise ValueError("each seed entry must be an object")
            created.extend(self.store.seed_jobs(entry))
        return created

    # ---- control API ------------------------------------------------------------------------

    def _control_faults(self, request: Request) -> Response:
        body = request.json_object()
        unknown = set(body) - {"seed", "clear", "set"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; use seed, clear, set")
        rules = body.get("set", {})
        if not isinstance(rules, dict):
            raise ValueError("set: an object of route name to fault rule")
        for route in rules:
            _check_route_name(route)
        parsed = {
            route: FaultRule.parse(rule if isinstance(rule, dict) else {}) for route, rule in rules.items()
        }
        if "seed" in body:
            seed = body["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise ValueError("seed: an integer or null")
            self.faults.seed(seed)
        clear = body.get("clear")
        if clear is True:
            self.faults.clear()
        elif isinstance(clear, list):
            for route in clear:
                self.faults.clear(_check_route_name(route))
        elif clear not in (None, False):
            raise ValueError("clear: true or a list of route names")
        for route, rule in parsed.items():
            self.faults.set(route, rule)
        return json_response(200, {"fault_rules": self.faults.rules()})

    def _control_config(self, request: Request) -> Response:
        self.config.update(request.json_object())
        return json_response(200, {"config": self.config.public()})

    def _control_seed(self, request: Request) -> Response:
        body = request.json_object()
        entries = body["jobs"] if set(body) == {"jobs"} else [body]
        if not isinstance(entries, list):
            raise ValueError("jobs: a list of seed entries")
        jobs = self.seed(entries)
        created: dict[str, list[str]] = {}
        for job in jobs:
            created.setdefault(job.family, []).append(job.job_id)
        return json_response(200, {"created": created, "jobs": [job.as_dict() for job in jobs]})

    def _control_advance(self, request: Request) -> Response:
        seconds = request.json_object().get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValueError("seconds: a non-negative number")
        return json_response(200, {"now": self.clock.advance(float(seconds))})

    def _handle_control(self, request: Request) -> Response:
        action = request.path[len(CONTROL_PREFIX) :].strip("/")
        handler = self._control.get((request.method, action))
        if handler is None:
            known = any(name == action for _m, name in self._control)
            status = 405 if known else 404
            return json_response(status, {"error": f"no control action {request.method} {request.path}"})
        try:
            return handler(request)
        except (BadJson, ValueError, KeyError) as exc:
            return json_response(400, {"error": str(exc).strip("'\"")})

    # ---- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - websockets are not served
            return
        body = await _read_body(receive)
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        request = Request(
            method=scope["method"].upper(),
            path=raw_path.decode("latin-1").split("?", 1)[0],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=_headers(scope.get("headers", [])),
            body=body,
            request_id=uuid.uuid4().hex,
        )
        response = await self.handle(request, send)
        if response is None:
            return
        response.headers.append(("x-request-id", request.request_id))
        response.headers.append(("content-length", str(len(response.body))))
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers],
            }
        )
        await send({"type": "http.response.body", "body": response.body})

    async def handle(self, request: Request, send: Send | None = None) -> Response | None:
        """Answer one request; ``None`` when a fault dropped the connection."""
        if request.path.startswith(CONTROL_PREFIX):
            request.route = "control." + request.path[len(CONTROL_PREFIX) :].strip("/")
            self.stats.request(request.route)
            answer = self._handle_control(request)
            self.stats.response(request.route, answer.status)
            return answer
        handler = self._match(request)
        self.stats.request(request.route)
        if isinstance(handler, Response):
            self.stats.response(request.route, handler.status)
            return handler
        decision = self.faults.decide(request.route)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.action == "drop":
            self.stats.response(request.route, 0)
            if send is not None and await _abort(send):
                return None
            raise ConnectionAbortedError("fault: connection dropped")
        response: Response | None = None
        if decision.action is not None:
            code, message = _FAULT_CODES.get(decision.status, (INTERNAL_ERROR.code, "Internal error"))
            response = family_error(request.family, decision.status, code, message)
            if decision.retry_after is not None:
                response.headers.append(("retry-after", str(decision.retry_after)))
        if response is None and request.route not in routes_iam.PUBLIC_ROUTES:
            response = self.auth.check(request, _unquote(request.params.get("project_id")))
        if response is None:
            response = handler(self.context, request)
        self.stats.response(request.route, response.status)
        return response

    def _match(self, request: Request) -> Handler | Response:
        """The handler of the request's route (filling in its name and parameters), or the 404/405."""
        path_matched = False
        for route in ROUTES:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            path_matched = True
            found = route.methods.get(request.method)
            if found is None:
                continue
            request.route, handler = found
            request.family = route.family
            request.params = {k: unquote(v) for k, v in match.groupdict().items()}
            return handler
        if path_matched:
            request.route = METHOD_NOT_ALLOWED_ROUTE
            return v2_error(*METHOD_NOT_ALLOWED, f"Method {request.method} is not allowed here")
        request.route = UNKNOWN_ROUTE
        return v2_error(*PATH_NOT_FOUND, f"The path {request.path} was not found")


def _check_route_name(route: object) -> str:
    if route != ALL_ROUTES and route not in ROUTE_NAMES:
        raise ValueError(f"unknown route {route!r}; one of * or {', '.join(sorted(ROUTE_NAMES))}")
    return str(route)


def _unquote(value: str | None) -> str | None:
    return None if value is None else unquote(value)


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    return headers


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _abort(send: Send) -> bool:
    """Close the connection without an answer (uvicorn's ``send`` belongs to an object with
    ``transport``); returns False when that is not possible (the server then answers 500)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.abort()
    for _ in range(3):  # let the server notice the lost connection before the app returns
        await asyncio.sleep(0)
    return True


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
