"""Lets the UI's Test button work for ``modelarts`` connections on Airflow 3.3.0 to 3.3.2.

The UI tests a stored connection by posting it back with ``port: Number(connection.port)``,
which is ``0`` for a connection without a port. These Airflow versions compare that 0 with the
stored NULL, decide that the caller wants another destination, and answer 400 ("The host or port
to test differs from the stored connection"), for every connection without a port
(apache/airflow#73298 fixes it in the API). A ``modelarts`` connection has no port: the form
hides it and the endpoint is a URL in ``host``. So this API-server middleware drops a port of 0
from a test request for a ``modelarts`` connection before Airflow reads it; the host is still
compared, and no other request is touched. It is pure ASGI and imports nothing, so loading the
plugin costs the other Airflow components nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

TEST_PATH = "/api/v2/connections/test"
MAX_BODY = 1 << 20  # a connection test body is a few hundred bytes


def without_zero_port(body: bytes) -> bytes:
    """The request body, minus ``"port": 0`` if it tests a ``modelarts`` connection."""
    if len(body) > MAX_BODY:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict) or data.get("conn_type") != "modelarts":
        return body
    port = data.get("port")
    if type(port) is not int or port != 0:
        return body
    del data["port"]
    return json.dumps(data).encode()


class PortlessConnectionTest:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        testing = scope.get("method") == "POST" and str(scope.get("path")).endswith(TEST_PATH)
        if scope.get("type") != "http" or not testing:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message.get("type") != "http.request":  # the client went away: let Airflow see that
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body"):
                break
        body = without_zero_port(b"".join(chunks))
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        request = {"type": "http.request", "body": body, "more_body": False}
        await self.app({**scope, "headers": headers}, _replay([request], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then what the client sends next."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
