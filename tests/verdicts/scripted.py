"""A session whose requests are answered from a script, for the verdict tests.

An ``httpx.MockTransport`` stands in for the network: each request gets the next answer of the
script (the last one repeats), so a test can say exactly what the service answers, including the
error shapes and statuses the emulator never produces. The answers go through the real session,
exchange and parsing code; nothing of the provider is replaced.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from airflow_provider_modelarts.api import operations
from airflow_provider_modelarts.api.config import ConnectionConfig
from airflow_provider_modelarts.api.models import JobSnapshot
from airflow_provider_modelarts.api.retry import NO_RETRY
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.api.statuses import JobFamily

PROJECT = "0123456789abcdef0123456789abcdef"
V2_JOB = "3faf5c03-aaa1-4cbe-879d-24b05d997347"
JOB_IDS = {
    JobFamily.TRAINING: V2_JOB,
    JobFamily.TRAINING_V1: "10",
    JobFamily.VISUALIZATION: "300001",
    JobFamily.RES: "aa22ac78f14142eaa7de",
}


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status, a body (JSON-able, or ``bytes`` sent as they are), headers."""

    status: int
    body: Any = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> httpx.Response:
        content = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return httpx.Response(
            self.status, content=content, headers={"content-type": self.content_type, **self.headers}
        )


class Script:
    """Answers requests in order; the last answer repeats. ``paths`` records what was asked."""

    def __init__(self, answers: Sequence[Answer]) -> None:
        assert answers
        self.answers = list(answers)
        self.paths: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        index = min(len(self.paths), len(self.answers) - 1)
        self.paths.append(request.url.path)
        return self.answers[index].response()

    def session(self) -> ModelArtsSession:
        config = ConnectionConfig.from_connection_fields(
            login="SCRIPTEDACCESSKEY",
            password="scripted-secret-key",
            host="https://modelarts.scripted.example",
            extra={"region": "cn-north-4", "project_id": PROJECT},
            environ={},
        )
        transport = httpx.MockTransport(self.handle)
        return ModelArtsSession(config, policy=NO_RETRY, transport=transport, async_transport=transport)


def observe(
    answers: Answer | Sequence[Answer], family: JobFamily, job_id: str | None = None
) -> JobSnapshot | None:
    """What :func:`operations.observe` makes of the scripted answer(s) for one job of ``family``."""
    script = Script([answers] if isinstance(answers, Answer) else answers)
    session = script.session()
    try:
        return session.run(operations.observe(PROJECT, family, job_id or JOB_IDS[family]))
    finally:
        session.close()
