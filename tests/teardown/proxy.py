"""A forwarding proxy on 127.0.0.1 in front of the emulator, for answers the emulator never gives.

Every request goes to the emulator unchanged (method, path, query, headers including ``Host``, so
AK/SK signatures stay valid), except those an :class:`Override` matches: they get the override's
scripted answer instead, as many times as it says. The provider talks to the proxy through the
real HTTP stack; nothing of the provider is replaced.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_modelarts.emulator import EmulatorServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Override:
    """Answer requests whose ``method``, path (a regex, searched) and, if given, ``payload`` (a
    regex searched in the request body) match with ``status``/``body`` (JSON, ``bytes`` as they
    are, or a callable giving either when the answer is sent), ``times`` times (``None``: always)."""

    method: str
    path: str
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    used: int = 0
    on_take: Callable[[], None] | None = None  # runs before the answer is sent (changes the world)
    payload: str | None = None

    def take(self, method: str, path: str, payload: bytes = b"") -> bool:
        if method != self.method or re.search(self.path, path) is None:
            return False
        if self.payload is not None and re.search(self.payload, payload.decode(errors="replace")) is None:
            return False
        if self.times is not None and self.used >= self.times:
            return False
        self.used += 1
        if self.on_take is not None:
            self.on_take()
        return True


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error_code": code, "error_msg": message}


def corrupt_gzip(method: str, path: str, times: int = 1) -> Override:
    """A 200 answer declared ``Content-Encoding: gzip`` whose body does not decompress."""
    body = gzip.compress(b'{"items": []}')[:12] + b"\x00garbage-not-deflate"
    return Override(method, path, 200, body, {"Content-Encoding": "gzip"}, times)


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True
    target: tuple[str, int]
    overrides: list[Override]
    lock: threading.Lock
    log: list[tuple[str, str, int]]  # method, path, status answered
    answers: dict[tuple[str, str], bytes]  # method, path -> the emulator's last answer forwarded


class _Handler(BaseHTTPRequestHandler):
    server: _Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        with self.server.lock:
            override = next((o for o in self.server.overrides if o.take(self.command, path, payload)), None)
        if override is not None:
            answer = override.body() if callable(override.body) else override.body
            body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            headers = [("Content-Type", "application/json"), ("X-Request-Id", "proxy-req-1")]
            self._answer(override.status, headers + list(override.headers.items()), body)
            status = override.status
        else:
            connection = http.client.HTTPConnection(*self.server.target, timeout=30)
            try:
                forwarded = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=payload or None, headers=forwarded)
                response = connection.getresponse()
                answer = response.read()
                self._answer(response.status, response.getheaders(), answer)
                status = response.status
                with self.server.lock:
                    self.server.answers[(self.command, path)] = answer
            finally:
                connection.close()
        with self.server.lock:
            self.server.log.append((self.command, path, status))

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@dataclass
class Proxy:
    url: str
    overrides: list[Override]
    log: list[tuple[str, str, int]]
    answers: dict[tuple[str, str], bytes]

    def last_answer(self, method: str, path: str) -> bytes:
        """The emulator's last answer forwarded for ``method`` and a path matching ``path``."""
        return next(
            body
            for (m, p), body in reversed(list(self.answers.items()))
            if m == method and re.search(path, p)
        )

    def add(self, *overrides: Override) -> None:
        self.overrides.extend(overrides)

    def count(self, method: str, path: str, status: int | None = None) -> int:
        return sum(
            1
            for m, p, s in list(self.log)
            if m == method and re.search(path, p) and (status is None or s == status)
        )


@contextlib.contextmanager
def proxy_for(emu: EmulatorServer) -> Iterator[Proxy]:
    """A proxy in front of ``emu``; stopped, and its thread joined, on exit."""
    target = urlsplit(emu.url)
    server = _Proxy(("127.0.0.1", 0), _Handler)
    server.target = (target.hostname or "127.0.0.1", target.port or 80)
    server.overrides, server.lock, server.log, server.answers = [], threading.Lock(), [], {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Proxy(f"http://127.0.0.1:{server.server_port}", server.overrides, server.log, server.answers)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
