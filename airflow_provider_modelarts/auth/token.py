"""IAM tokens: cached per process, refreshed before expiry and once on 401, fetched once for many callers.

The cache key is (IAM endpoint, user, domain, project, password digest), never a secret. Sync
callers serialize on a lock per key; async callers on the same event loop await one shared fetch.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass

import httpx

TOKEN_HEADER = "X-Auth-Token"
# A request may carry the token to send (its sender fetched it beforehand); else the cache is asked.
TOKEN_EXTENSION = "modelarts_iam_token"
REFRESH_LEAD_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class IamToken:
    value: str
    expires_at: float  # epoch seconds
    project_id: str | None = None
    received_at: float | None = None  # epoch seconds

    def __repr__(self) -> str:
        return f"IamToken(value='***', expires_at={self.expires_at!r}, project_id={self.project_id!r})"

    def fresh(self, now: float) -> bool:
        """Usable without renewal: renewed a few minutes early, but never before half its life."""
        lead = REFRESH_LEAD_SECONDS
        if self.received_at is not None:
            lead = min(lead, (self.expires_at - self.received_at) / 2)
        return now < self.expires_at - lead


TokenKey = tuple[str, str, str, str, str]


class TokenCache:
    """Process-wide token store; ``fetches`` counts real token requests (for tests and benchmarks)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._tokens: dict[TokenKey, IamToken] = {}
        self._guard = threading.Lock()
        self._key_locks: dict[TokenKey, threading.Lock] = {}
        self._inflight: dict[tuple[int, TokenKey], asyncio.Future[IamToken]] = {}
        self.fetches = 0

    def _usable(self, key: TokenKey, stale: str | None) -> IamToken | None:
        token = self._tokens.get(key)
        if token is None or not token.fresh(self._clock()) or token.value == stale:
            return None
        return token

    def peek(self, key: TokenKey) -> IamToken | None:
        return self._usable(key, None)

    def get(self, key: TokenKey, fetch: Callable[[], IamToken], stale: str | None = None) -> IamToken:
        """A usable token, fetching one (once, under a per-key lock) if needed; ``stale`` was refused."""
        token = self._usable(key, stale)
        if token is not None:
            return token
        with self._guard:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            token = self._usable(key, stale)
            if token is None:
                self.fetches += 1
                token = fetch()
                self._tokens[key] = token
            return token

    async def aget(
        self, key: TokenKey, fetch: Callable[[], Awaitable[IamToken]], stale: str | None = None
    ) -> IamToken:
        token = self._usable(key, stale)
        if token is not None:
            return token
        loop = asyncio.get_running_loop()
        slot = (id(loop), key)
        pending = self._inflight.get(slot)
        if pending is None:
            pending = loop.create_future()
            self._inflight[slot] = pending
            try:
                self.fetches += 1
                token = await fetch()
                self._tokens[key] = token
                pending.set_result(token)
            except asyncio.CancelledError:
                pending.cancel()  # the fetcher was cancelled (its request's deadline): not the waiters
                raise
            except BaseException as exc:
                pending.set_exception(exc)
                pending.exception()  # mark retrieved: the waiters below re-raise it
                raise
            finally:
                del self._inflight[slot]
            return token
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if pending.cancelled() and task is not None and not task.cancelling():
                return await self.aget(key, fetch, stale)  # the fetch was called off: fetch anew
            raise

    def clear(self) -> None:
        with self._guard:
            self._tokens.clear()
            self.fetches = 0


TOKENS = TokenCache()


class IamTokenAuth(httpx.Auth):
    """Adds ``X-Auth-Token``; on a 401 gets a new token once and resends."""

    def __init__(
        self,
        key: TokenKey,
        fetch: Callable[[], IamToken],
        afetch: Callable[[], Awaitable[IamToken]],
        cache: TokenCache = TOKENS,
    ) -> None:
        self._key = key
        self._fetch = fetch
        self._afetch = afetch
        self._cache = cache

    def __repr__(self) -> str:
        return f"IamTokenAuth(user={self._key[1]!r}, domain={self._key[2]!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = _given(request) or self._cache.get(self._key, self._fetch)
        request.headers[TOKEN_HEADER] = token.value
        response = yield request
        if response.status_code == 401:
            token = self._cache.get(self._key, self._fetch, stale=token.value)
            request.headers[TOKEN_HEADER] = token.value
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = _given(request) or await self._cache.aget(self._key, self._afetch)
        request.headers[TOKEN_HEADER] = token.value
        response = yield request
        if response.status_code == 401:
            token = await self._cache.aget(self._key, self._afetch, stale=token.value)
            request.headers[TOKEN_HEADER] = token.value
            yield request


def _given(request: httpx.Request) -> IamToken | None:
    token = request.extensions.get(TOKEN_EXTENSION)
    return token if isinstance(token, IamToken) else None
