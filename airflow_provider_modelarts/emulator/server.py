"""``EmulatorServer``: the emulator in a background thread of this process, on 127.0.0.1.

The socket is bound here (port 0 picks a free port) and handed to uvicorn, so ``url`` is known
before the thread starts; ``start()`` waits (bounded) until uvicorn serves, ``stop()`` asks it to
exit and, if it has not within the timeout, forces it.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Literal

import uvicorn

from airflow_provider_modelarts.emulator.app import EmulatorApp
from airflow_provider_modelarts.emulator.clock import Clock
from airflow_provider_modelarts.emulator.config import EmulatorConfig
from airflow_provider_modelarts.emulator.faults import FaultInjector
from airflow_provider_modelarts.emulator.store import JobStore, SeededJob

AuthType = Literal["aksk", "token", "temporary"]
UserName = Literal["default", "second"]

START_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key: str
    secret_key: str
    temp_access_key: str
    temp_secret_key: str
    security_token: str
    project_id: str
    region: str
    iam_user: str
    iam_password: str
    iam_domain: str
    second_access_key: str  # the second IAM user's AK/SK and password (see :mod:`.users`)
    second_secret_key: str
    second_iam_user: str
    second_iam_password: str

    def __repr__(self) -> str:
        shown = f"access_key={self.access_key!r}, project_id={self.project_id!r}, region={self.region!r}"
        return f"Credentials({shown})"


class EmulatorServer:
    """An emulator served by uvicorn in a daemon thread; use as a context manager or start()/stop()."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fault_seed: int | None = None,
        clock: Clock | None = None,
        log_level: str = "warning",
    ) -> None:
        self.app = EmulatorApp(config, clock, fault_seed)
        self.config = self.app.config
        self._host = host
        self._requested_port = port
        self._log_level = log_level
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ---- life -------------------------------------------------------------------------------

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._requested_port))
            sock.listen(512)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level=self._log_level,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="modelarts-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the ModelArts emulator did not start")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- where and who ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the emulator is not running")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def credentials(self) -> Credentials:
        c = self.config
        return Credentials(
            c.access_key, c.secret_key, c.temp_access_key, c.temp_secret_key, c.security_token,
            c.project_id, c.region, c.iam_user, c.iam_password, c.iam_domain,
            c.second_access_key, c.second_secret_key, c.second_iam_user, c.second_iam_password,
        )  # fmt: skip

    @property
    def store(self) -> JobStore:
        return self.app.store

    @property
    def faults(self) -> FaultInjector:
        return self.app.faults

    @property
    def clock(self) -> Clock:
        return self.app.clock

    # ---- control ----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        return self.app.stats_view()

    def reset(self) -> None:
        self.app.reset()

    def advance(self, seconds: float) -> float:
        return self.app.clock.advance(seconds)

    def rotate_temporary_credentials(self) -> dict[str, Any]:
        """Replace the temporary AK/SK and security token, as the service does when they expire:
        the old ones are refused (401 ``APIGW.0301``) from now on. Returns the connection JSON of
        the new ones (``airflow_connection("temporary")`` gives it too from now on)."""
        self.app.users.rotate_temporary()
        return self.airflow_connection("temporary")

    def seed(self, family: str, count: int = 1, **fields: Any) -> list[str]:
        """Create ``count`` jobs of ``family`` (see :meth:`JobStore.seed` for ``fields``); their ids."""
        return self.app.store.seed({"family": family, "count": count, **fields})

    def seed_jobs(self, family: str, count: int = 1, **fields: Any) -> list[SeededJob]:
        """As :meth:`seed`, but each created job's family, name, id (and v1 version ids)."""
        return self.app.store.seed_jobs({"family": family, "count": count, **fields})

    def airflow_connection(
        self, auth_type: AuthType = "aksk", *, user: UserName = "default"
    ) -> dict[str, Any]:
        """The JSON of an ``AIRFLOW_CONN_*`` variable (conn_type ``modelarts``) for this emulator.

        ``user="second"`` gives the second IAM user's credentials (``aksk`` or ``token``; temporary
        credentials exist for the default user only).
        """
        c = self.config
        if user == "second":
            if auth_type == "temporary":
                raise ValueError("the second user has no temporary credentials")
            c = replace(
                c,
                access_key=c.second_access_key,
                secret_key=c.second_secret_key,
                iam_user=c.second_iam_user,
                iam_password=c.second_iam_password,
            )
        elif user != "default":
            raise ValueError(f"user: {user!r} is not default or second")
        # AK/SK is the connection's default auth; temporary credentials are AK/SK plus a token.
        extra: dict[str, Any] = {"region": c.region, "project_id": c.project_id}
        if auth_type == "aksk":
            login, password = c.access_key, c.secret_key
        elif auth_type == "temporary":
            login, password = c.temp_access_key, c.temp_secret_key
            extra["security_token"] = c.security_token
        elif auth_type == "token":
            login, password = c.iam_user, c.iam_password
            extra["domain_name"] = c.iam_domain  # an IAM domain selects IAM-token auth
        else:
            raise ValueError(f"auth_type: {auth_type!r} is not aksk, token or temporary")
        return {
            "conn_type": "modelarts",
            "login": login,
            "password": password,
            "host": self.url,
            "extra": extra,
        }
