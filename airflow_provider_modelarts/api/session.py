"""The HTTP session: one place that turns plans into real requests, sync or async.

A session owns the connection config, the auth flow and the httpx clients: one sync client, and
one async client per event loop, reused for every call. :func:`shared_session` hands every caller
in the process with the same connection the same session, so a triggerer running many waits
keeps one connection pool and one IAM token. When a connection's credentials change (temporary
credentials are rotated), the session of the old ones is retired: it closes its clients as soon
as no call is running on it, and is released.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.config import AuthType, ConnectionConfig
from airflow_provider_modelarts.api.endpoints import Service
from airflow_provider_modelarts.api.errors import (
    ModelArtsError,
    ModelArtsHostNotFoundError,
    ModelArtsResponseError,
    ModelArtsTransportError,
    request_id_of,
)
from airflow_provider_modelarts.api.exchange import (
    TRANSPORT_FAILURES,
    ApiRequest,
    Outcome,
    Plan,
    Sleep,
    execute,
)
from airflow_provider_modelarts.api.redaction import Redactor, redact_error
from airflow_provider_modelarts.api.retry import RetryPolicy
from airflow_provider_modelarts.auth.aksk import SECURITY_TOKEN_HEADER, AkSkAuth
from airflow_provider_modelarts.auth.secrets import amask, mask, protect_http_trace_logs
from airflow_provider_modelarts.auth.token import (
    TOKEN_EXTENSION,
    TOKEN_HEADER,
    TOKENS,
    IamToken,
    IamTokenAuth,
    TokenCache,
    TokenKey,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
USER_AGENT = "airflow-provider-modelarts"
MAX_BODY_BYTES = 16 * 1024 * 1024  # no documented answer comes close; a bigger body is not read
# The monotonic time by which a request must have its whole answer (see ``ModelArtsSession._send``).
DEADLINE_EXTENSION = "modelarts_deadline"
_verify_warned: set[str] = set()
_insecure_warned: set[str] = set()
protect_http_trace_logs()


class RequestDeadlineExceeded(httpx.TimeoutException):
    """No whole answer within the connection's timeout: a transport failure, retried like one."""


def _deadline_exceeded(request: ApiRequest, response: httpx.Response) -> RequestDeadlineExceeded:
    return RequestDeadlineExceeded(
        f"{request.describe()}: no whole answer within the connection's timeout", request=response.request
    )


def _deadline_of(response: httpx.Response) -> float | None:
    deadline = response.request.extensions.get(DEADLINE_EXTENSION)
    return deadline if isinstance(deadline, float) else None


def _credentials_of(response: httpx.Response) -> list[str]:
    """The credentials a request carried (and an issued token its answer did), to keep out of errors."""
    sent = response.request.headers
    found = [sent.get(TOKEN_HEADER), sent.get(SECURITY_TOKEN_HEADER), response.headers.get("X-Subject-Token")]
    authorization = sent.get("Authorization")
    if authorization:
        found += [authorization, authorization.rpartition("Signature=")[2]]
    return [value for value in found if value]


def _too_large(request: ApiRequest, response: httpx.Response, limit: int) -> ModelArtsResponseError:
    return ModelArtsResponseError(
        f"{request.describe()}: HTTP {response.status_code} with a body larger than {limit} bytes; not read",
        request_id=request_id_of(response.headers),
    )


def _declared_too_large(response: httpx.Response, limit: int) -> bool:
    declared = response.headers.get("Content-Length", "")
    return declared.isdigit() and int(declared) > limit


def _buffered(response: httpx.Response, chunks: list[bytes]) -> httpx.Response:
    """The answer with its (decoded) body in memory, for :func:`interpret`."""
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=b"".join(chunks), request=response.request
    )


def read_capped(request: ApiRequest, response: httpx.Response, limit: int = MAX_BODY_BYTES) -> httpx.Response:
    """Read a streamed answer, refusing (with the request id) a body over ``limit`` bytes."""
    try:
        if _declared_too_large(response, limit):
            raise _too_large(request, response, limit)
        deadline = _deadline_of(response)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            if deadline is not None and time.monotonic() > deadline:
                raise _deadline_exceeded(request, response)
            size += len(chunk)
            if size > limit:
                raise _too_large(request, response, limit)
            chunks.append(chunk)
        return _buffered(response, chunks)
    finally:
        response.close()


async def aread_capped(
    request: ApiRequest, response: httpx.Response, limit: int = MAX_BODY_BYTES
) -> httpx.Response:
    """Async twin of :func:`read_capped`."""
    try:
        if _declared_too_large(response, limit):
            raise _too_large(request, response, limit)
        deadline = _deadline_of(response)
        left = None if deadline is None else deadline - time.monotonic()
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(left):
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(request, response, limit)
                    chunks.append(chunk)
        except TimeoutError:
            raise _deadline_exceeded(request, response) from None
        return _buffered(response, chunks)
    finally:
        await response.aclose()


def _unresolvable(exc: BaseException) -> bool:
    """Whether a connect failed because the host name does not resolve (``socket.gaierror`` under
    ``httpx.ConnectError``). A temporary resolver failure (``EAI_AGAIN``) is retried as usual."""
    if not isinstance(exc, httpx.ConnectError):
        return False
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        found = [cause, *(arg for arg in cause.args if isinstance(arg, BaseException))]
        for error in found:
            if isinstance(error, socket.gaierror):
                return error.errno != socket.EAI_AGAIN
        cause = cause.__cause__ or cause.__context__
    return False


class _Steps(Generic[T]):
    """Feeds what the network answered back into a plan's execution; the sync and the async
    driver differ only in how they send and how they sleep."""

    def __init__(
        self,
        plan: Plan[T],
        policy: RetryPolicy,
        secrets: Callable[[], list[str]],
        where: Callable[[ApiRequest], str] | None = None,
    ) -> None:
        self._steps = execute(plan, policy, time.monotonic)
        self._value: Outcome = None
        self._error: ModelArtsError | None = None
        self._secrets = secrets
        self._where = where
        self._last: ApiRequest | None = None  # the request sent last, named in a transport error
        self._sent: set[str] = set()  # the credentials this plan's requests carried
        self.result: T

    def next(self) -> ApiRequest | Sleep | None:
        """The next thing to do, or ``None`` once the plan is done (its value is ``result``).

        Every error the plan ends with leaves here, with every secret removed from its text."""
        value, error = self._value, self._error
        self._value, self._error = None, None
        try:
            step = self._steps.throw(error) if error is not None else self._steps.send(value)
        except StopIteration as stop:
            self.result = stop.value
            return None
        except ModelArtsError as exc:
            if isinstance(exc, ModelArtsTransportError) and self._where and self._last is not None:
                exc.args = (f"{exc.args[0] if exc.args else exc}; {self._where(self._last)}", *exc.args[1:])
            redact_error(exc, Redactor([*self._secrets(), *self._sent]))
            raise
        if isinstance(step, ApiRequest):
            self._last = step
        return step

    def answer(self, step: ApiRequest, outcome: Outcome) -> None:
        if isinstance(outcome, httpx.Response):
            log.debug("%s -> %s", step.describe(), outcome.status_code)
            self._sent.update(_credentials_of(outcome))
        self._value = outcome

    def fail(self, error: ModelArtsError) -> None:
        self._error = error


class ModelArtsSession:
    """Runs plans against the endpoints of one connection, with its auth and retry policy."""

    def __init__(
        self,
        config: ConnectionConfig,
        *,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        token_cache: TokenCache = TOKENS,
    ) -> None:
        self.config = config
        self.policy = policy or RetryPolicy()
        self._transport = transport
        self._async_transport = async_transport
        self._tokens = token_cache
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._project_id = config.project_id
        self._auth = self._make_auth()
        self._running = 0  # calls under way (sync and async)
        self.retired = False  # set by shared_session: close the clients whenever no call runs
        if config.verify is False and config.identity() not in _verify_warned:
            _verify_warned.add(config.identity())
            log.warning("TLS certificate verification is OFF for ModelArts connection (verify=false)")
        insecure = config.insecure_endpoints()
        if insecure and config.identity() not in _insecure_warned:
            _insecure_warned.add(config.identity())
            log.warning(
                "Plain http to %s for ModelArts connection (allow_insecure_http=true): signed requests "
                "travel unencrypted",
                ", ".join(insecure),
            )

    def __repr__(self) -> str:
        return f"ModelArtsSession(region={self.config.region!r}, auth={self._auth!r})"

    # ---- clients -------------------------------------------------------------------------------

    def _client_options(self) -> dict[str, Any]:
        verify: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=self.config.verify)
            if isinstance(self.config.verify, str)
            else self.config.verify
        )
        timeout = httpx.Timeout(self.config.timeout, connect=min(10.0, self.config.timeout))
        return {"verify": verify, "timeout": timeout, "headers": {"User-Agent": USER_AGENT}}

    def sync_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    auth=self._auth, transport=self._transport, **self._client_options()
                )
            return self._client

    def async_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = httpx.AsyncClient(
                auth=self._auth, transport=self._async_transport, **self._client_options()
            )
            self._async_clients[loop] = client
        return client

    @property
    def idle(self) -> bool:
        """No call is running on this session."""
        return self._running == 0

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    async def aclose(self) -> None:
        client = self._async_clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    # ---- requests ------------------------------------------------------------------------------

    def _build(self, client: httpx.Client | httpx.AsyncClient, request: ApiRequest) -> httpx.Request:
        headers = {"Content-Type": "application/json"}
        if self.config.auth_type is AuthType.AKSK and self._project_id and request.service is not Service.IAM:
            headers["X-Project-Id"] = self._project_id
        return client.build_request(
            request.method,
            self.config.endpoint(request.service) + request.path,
            params=request.params or None,
            json=request.json,
            headers=headers,
        )

    def _auth_for(self, step: ApiRequest) -> httpx.Auth | None:
        return self._auth if step.authenticate else None

    def _secrets(self) -> list[str]:
        """Every secret this session knows: the connection's and the IAM token in use."""
        known = self.config.secrets()
        if self.config.auth_type is AuthType.TOKEN:
            token = self._tokens.peek(self.token_key())
            if token is not None:
                known.append(token.value)
        return known

    def _with_deadline(self, request: httpx.Request) -> httpx.Request:
        """Bound the whole exchange (send, headers, body) by the connection's timeout, which
        httpx applies to each connect, read and write alone."""
        request.extensions[DEADLINE_EXTENSION] = time.monotonic() + self.config.timeout
        return request

    def _send(self, client: httpx.Client, request: httpx.Request, step: ApiRequest) -> httpx.Response:
        """Send ``request``; its body is read (by :func:`read_capped`) before its deadline.

        An IAM token is fetched before the clock starts: its own requests have their own deadlines."""
        if step.authenticate and self.config.auth_type is AuthType.TOKEN:
            request.extensions[TOKEN_EXTENSION] = self._tokens.get(self.token_key(), self._fetch_token)
        return client.send(self._with_deadline(request), auth=self._auth_for(step), stream=True)

    async def _asend(
        self, client: httpx.AsyncClient, request: httpx.Request, step: ApiRequest
    ) -> httpx.Response:
        """Async twin of :meth:`_send`: the status line and headers must come before the deadline too."""
        if step.authenticate and self.config.auth_type is AuthType.TOKEN:
            request.extensions[TOKEN_EXTENSION] = await self._tokens.aget(
                self.token_key(), self._afetch_token
            )
        self._with_deadline(request)
        try:
            async with asyncio.timeout(self.config.timeout):
                return await client.send(request, auth=self._auth_for(step), stream=True)
        except TimeoutError:
            raise RequestDeadlineExceeded(
                f"{step.describe()}: no answer within the connection's timeout", request=request
            ) from None

    def run(self, plan: Plan[T]) -> T:
        """Run a plan to its result on the sync client (retries sleep this thread)."""
        with self._lock:
            self._running += 1
        try:
            return self._run(plan)
        finally:
            with self._lock:
                self._running -= 1
                idle = self._running == 0
            if idle and self.retired:
                self.close()

    def _run(self, plan: Plan[T]) -> T:
        client = self.sync_client()
        steps = _Steps(plan, self.policy, self._secrets, self._where)
        while (step := steps.next()) is not None:
            if isinstance(step, Sleep):
                time.sleep(step.seconds)
                continue
            try:
                request = self._build(client, step)
                steps.answer(
                    step,
                    read_capped(step, self._send(client, request, step)),
                )
            except TRANSPORT_FAILURES as exc:
                if _unresolvable(exc):
                    steps.fail(self._host_not_found(step, exc))
                else:
                    steps.answer(step, exc)
            except ModelArtsError as exc:
                steps.fail(exc)
        return steps.result

    async def arun(self, plan: Plan[T]) -> T:
        """Async twin of :meth:`run`; never blocks the event loop."""
        self._running += 1
        try:
            return await self._arun(plan)
        finally:
            self._running -= 1
            if self._running == 0 and self.retired:
                await self.aclose()

    async def _arun(self, plan: Plan[T]) -> T:
        client = self.async_client()
        steps = _Steps(plan, self.policy, self._secrets, self._where)
        while (step := steps.next()) is not None:
            if isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
                continue
            try:
                request = self._build(client, step)
                response = await self._asend(client, request, step)
                steps.answer(step, await aread_capped(step, response))
            except TRANSPORT_FAILURES as exc:
                if _unresolvable(exc):
                    steps.fail(self._host_not_found(step, exc))
                else:
                    steps.answer(step, exc)
            except ModelArtsError as exc:
                steps.fail(exc)
        return steps.result

    def _where(self, step: ApiRequest) -> str:
        return self.config.describe_endpoint(step.service)

    def _host_not_found(self, step: ApiRequest, exc: Exception) -> ModelArtsHostNotFoundError:
        return ModelArtsHostNotFoundError(
            f"{step.describe()}: the host name does not resolve ({exc}): {self._where(step)}; a "
            "configuration error (check the region and the endpoint overrides), not retried"
        )

    # ---- auth and project ----------------------------------------------------------------------

    def _make_auth(self) -> httpx.Auth:
        cfg = self.config
        if cfg.auth_type is AuthType.AKSK:
            assert cfg.access_key and cfg.secret_key
            token = cfg.security_token.get_secret_value() if cfg.security_token else None
            return AkSkAuth(cfg.access_key, cfg.secret_key.get_secret_value(), token)
        return IamTokenAuth(self.token_key(), self._fetch_token, self._afetch_token, self._tokens)

    def token_key(self) -> TokenKey:
        cfg = self.config
        # The password's digest is part of the key: a connection with a wrong password must not
        # borrow a token that another connection of the same user obtained.
        password = cfg.password.get_secret_value() if cfg.password else ""
        return (
            cfg.endpoint(Service.IAM),
            cfg.username or "",
            cfg.domain_name or "",
            cfg.project_id or cfg.region,
            hashlib.sha256(password.encode()).hexdigest()[:16],
        )

    def _token_plan(self) -> Plan[tuple[str, Any]]:
        cfg = self.config
        assert cfg.username and cfg.password and cfg.domain_name
        return ops.issue_token(
            username=cfg.username,
            password=cfg.password.get_secret_value(),
            domain_name=cfg.domain_name,
            project_id=cfg.project_id,
            region=cfg.region,
        )

    @staticmethod
    def _token(value: str, body: Any) -> IamToken:
        expires = datetime.fromisoformat(str(body.expires_at).replace("Z", "+00:00")).timestamp()
        project = body.project.get("id") if isinstance(body.project, dict) else None
        return IamToken(value, expires, str(project) if project else None, received_at=time.time())

    def _fetch_token(self) -> IamToken:
        value, body = self.run(self._token_plan())
        mask(value)
        return self._token(value, body)

    async def _afetch_token(self) -> IamToken:
        value, body = await self.arun(self._token_plan())
        await amask(value)
        return self._token(value, body)

    def project_id(self) -> str:
        """The project: from the connection, else from the token (token auth) or IAM (AK/SK)."""
        if self._project_id is None:
            if self.config.auth_type is AuthType.TOKEN:
                self._project_id = self._tokens.get(self.token_key(), self._fetch_token).project_id
            if self._project_id is None:
                self._project_id = self.run(ops.find_project_id(self.config.region))
        return self._project_id

    async def aproject_id(self) -> str:
        if self._project_id is None:
            if self.config.auth_type is AuthType.TOKEN:
                token = await self._tokens.aget(self.token_key(), self._afetch_token)
                self._project_id = token.project_id
            if self._project_id is None:
                self._project_id = await self.arun(ops.find_project_id(self.config.region))
        return self._project_id


_SHARED: dict[tuple[str, RetryPolicy], ModelArtsSession] = {}
_OWNERS: dict[tuple[object, RetryPolicy], str] = {}  # who asked -> the identity it uses now
_SHARED_LOCK = threading.Lock()
# Built once: a RetryPolicy seeds its own random generator, too costly to repeat on every look-up.
_DEFAULT_POLICY = RetryPolicy()


def shared_session(
    config: ConnectionConfig, policy: RetryPolicy | None = None, owner: object = None
) -> ModelArtsSession:
    """The process-wide session for this connection and retry policy.

    ``owner`` names who asks (a hook's connection id and overrides): when an owner comes back with
    other credentials, the session of its old ones is retired if no other owner still uses it.
    """
    policy = policy or _DEFAULT_POLICY
    identity = config.identity()
    key = (identity, policy)
    with _SHARED_LOCK:
        if owner is not None:
            before = _OWNERS.get((owner, policy))
            _OWNERS[(owner, policy)] = identity
            if before is not None and before != identity and before not in _OWNERS.values():
                _retire(_SHARED.pop((before, policy), None))
        session = _SHARED.get(key)
        if session is None:
            session = ModelArtsSession(config, policy=policy)
            _SHARED[key] = session
        return session


def _retire(session: ModelArtsSession | None) -> None:
    """Release a session nobody will ask for again: its clients close now, or (for a call still
    under way) when that call ends."""
    if session is None:
        return
    session.retired = True
    if session.idle:
        session.close()
        for loop, client in list(session._async_clients.items()):
            session._async_clients.pop(loop, None)
            if loop.is_running():
                loop.call_soon_threadsafe(_close_on_its_loop, client)


_CLOSING: set[asyncio.Future[None]] = set()  # closes under way, kept until they finish


def _close_on_its_loop(client: httpx.AsyncClient) -> None:
    closing = asyncio.ensure_future(client.aclose())
    _CLOSING.add(closing)
    closing.add_done_callback(_CLOSING.discard)
