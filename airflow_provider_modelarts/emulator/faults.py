"""Faults on demand per route name (or ``*`` for every route), and the request counters.

A rule can add latency (``latency_ms`` plus a uniform ``jitter_ms``), answer a share of requests
with 500/503 (``error_rate``, ``error_status``), with 429 and ``Retry-After`` (``throttle_rate``,
``retry_after``), drop the connection without any answer (``drop_rate``), or answer the next
``next_count`` requests with ``next_status`` (deterministic). A rule for a route replaces the ``*``
rule for that route. Randomness comes from one seedable ``random.Random``.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

ALL_ROUTES = "*"
ERROR_STATUSES = (500, 503)


@dataclass(slots=True)
class FaultRule:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    throttle_rate: float = 0.0
    retry_after: int = 1
    drop_rate: float = 0.0
    next_count: int = 0
    next_status: int = 503

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> FaultRule:
        """A rule from JSON; raises ``ValueError`` naming the bad field."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}; known: {sorted(names)}")
        rule = cls()
        for key, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key}: must be a number")
            if value < 0:
                raise ValueError(f"{key}: must not be negative")
            if key.endswith("_rate") and value > 1:
                raise ValueError(f"{key}: a probability from 0 to 1")
            if key in ("error_status", "next_status", "retry_after", "next_count"):
                if not isinstance(value, int):
                    raise ValueError(f"{key}: must be an integer")
                if key == "error_status" and value not in ERROR_STATUSES:
                    raise ValueError(f"{key}: 500 or 503")
                if key == "next_status" and not 400 <= value <= 599:
                    raise ValueError(f"{key}: an HTTP error status (400-599)")
            setattr(rule, key, value)
        return rule


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do with one request: wait ``delay`` seconds, then ``action`` (None: serve it)."""

    delay: float = 0.0
    action: str | None = None  # "error", "throttle", "drop", "next"
    status: int = 0
    retry_after: int | None = None


NO_FAULT = FaultDecision()


class Stats:
    """Request counters; all methods are thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests: Counter[str] = Counter()
            self.responses: Counter[tuple[str, int]] = Counter()
            self.auth_failures: Counter[str] = Counter()
            self.tokens_issued = 0
            self.faults: Counter[str] = Counter()

    def request(self, route: str) -> None:
        with self._lock:
            self.requests[route] += 1

    def response(self, route: str, status: int) -> None:
        with self._lock:
            self.responses[(route, status)] += 1

    def auth_failure(self, code: str) -> None:
        with self._lock:
            self.auth_failures[code] += 1

    def token_issued(self) -> None:
        with self._lock:
            self.tokens_issued += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_status: dict[str, dict[str, int]] = {}
            for (route, status), count in sorted(self.responses.items()):
                by_status.setdefault(route, {})[str(status)] = count
            return {
                "requests": dict(sorted(self.requests.items())),
                "responses": by_status,
                "auth_failures": sum(self.auth_failures.values()),
                "auth_failures_by_code": dict(sorted(self.auth_failures.items())),
                "tokens_issued": self.tokens_issued,
                "faults": dict(sorted(self.faults.items())),
            }


class FaultInjector:
    """The active fault rules; ``decide`` is called once per request to a job or IAM route."""

    def __init__(self, seed: int | None = None, stats: Stats | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}
        self._rng = random.Random(seed)  # noqa: S311 - fault injection, not cryptography
        self.stats = stats or Stats()

    def set(self, route: str, rule: FaultRule | Mapping[str, Any]) -> None:
        parsed = rule if isinstance(rule, FaultRule) else FaultRule.parse(rule)
        with self._lock:
            self._rules[route] = parsed

    def clear(self, route: str | None = None) -> None:
        """Remove the rule of ``route``, or every rule."""
        with self._lock:
            if route is None:
                self._rules.clear()
            else:
                self._rules.pop(route, None)

    def seed(self, value: int | None) -> None:
        with self._lock:
            self._rng.seed(value)

    def rules(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {route: asdict(rule) for route, rule in sorted(self._rules.items())}

    def decide(self, route: str) -> FaultDecision:
        with self._lock:
            rule = self._rules.get(route) or self._rules.get(ALL_ROUTES)
            if rule is None:
                return NO_FAULT
            delay = rule.latency_ms / 1000.0
            if rule.jitter_ms:
                delay += self._rng.uniform(0.0, rule.jitter_ms) / 1000.0
            if delay:
                self.stats.fault("latency")
            if rule.next_count > 0:
                rule.next_count -= 1
                self.stats.fault("next")
                retry = rule.retry_after if rule.next_status == 429 else None
                return FaultDecision(delay, "next", rule.next_status, retry)
            if rule.drop_rate and self._rng.random() < rule.drop_rate:
                self.stats.fault("drop")
                return FaultDecision(delay, "drop")
            if rule.throttle_rate and self._rng.random() < rule.throttle_rate:
                self.stats.fault("throttle")
                return FaultDecision(delay, "throttle", 429, rule.retry_after)
            if rule.error_rate and self._rng.random() < rule.error_rate:
                self.stats.fault("error")
                return FaultDecision(delay, "error", rule.error_status)
            return FaultDecision(delay)
