"""The emulator's server stack with a bare ASGI app in it: the floor of the emulator benchmark.

``python -m benchmarks._bare_server BODY_FILE`` serves, on a free port of 127.0.0.1, an ASGI app
that reads each request and answers 200 with the bytes of BODY_FILE (the benchmark passes the
emulator's own answer to the request it measures, so both send the same bytes). It runs in
``EmulatorServer`` with only the app swapped: the same socket set-up, the same uvicorn settings,
loop and HTTP parser, in a thread of its own process, as ``modelarts-emulator`` runs. It prints
``listening on URL`` and serves until SIGTERM or SIGINT (bounded: at most ``MAX_SECONDS``).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from airflow_provider_modelarts.emulator.server import EmulatorServer

MAX_SECONDS = 600.0


class BareApp:
    """Reads the request, answers 200 with a fixed JSON body: no auth, no routing, no store."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def main(argv: list[str]) -> int:
    body = Path(argv[0]).read_bytes()
    server = EmulatorServer()
    server.app = BareApp(body)  # type: ignore[assignment]  # the stack is what is compared, not the app
    done = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    with server:
        print(f"bare ASGI app listening on {server.url}", flush=True)
        done.wait(MAX_SECONDS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
