from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from airflow_provider_modelarts.api.retry import RetryPolicy, parse_retry_after


def _policy(**kw) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(1), **kw)


def test_other_4xx_are_never_retried():
    policy = _policy()
    for status in (400, 401, 403, 404, 409):
        assert policy.next_delay(attempt=1, elapsed=0, status_code=status, retry_after=None) is None


@pytest.mark.parametrize("status", [None, 429, 500, 502, 503, 504])
def test_retryable_outcomes_back_off_exponentially_with_jitter(status):
    policy = _policy(base_delay=1.0, max_delay=100.0, max_attempts=10, total_timeout=1000)
    delays = [
        policy.next_delay(attempt=n, elapsed=0, status_code=status, retry_after=None) for n in range(1, 6)
    ]
    for n, delay in enumerate(delays, start=1):
        assert delay is not None
        assert 2 ** (n - 1) / 2 <= delay <= 2 ** (n - 1)


def test_budget_in_attempts_and_in_time():
    policy = _policy(max_attempts=3, base_delay=1.0, total_timeout=10.0)
    assert policy.next_delay(attempt=3, elapsed=0, status_code=503, retry_after=None) is None
    assert policy.next_delay(attempt=1, elapsed=9.9, status_code=503, retry_after=None) is None


def test_retry_after_is_honoured_in_full_while_it_fits_the_budget():
    policy = _policy(base_delay=0.1, max_delay=5.0, total_timeout=180)
    assert policy.next_delay(attempt=1, elapsed=0, status_code=429, retry_after="3") == 3.0
    assert policy.next_delay(attempt=1, elapsed=0, status_code=429, retry_after="120") == 120.0
    assert policy.next_delay(attempt=1, elapsed=50, status_code=503, retry_after="120") == 120.0


def test_a_retry_after_beyond_the_budget_gives_up_at_once_naming_it():
    policy = _policy(base_delay=0.1, max_delay=5.0, total_timeout=180)
    decision = policy.decide(attempt=1, elapsed=100, status_code=429, retry_after="120")
    assert decision.delay is None
    assert decision.why is not None and "Retry-After" in decision.why and "120 s" in decision.why
    assert "80.0 s left" in decision.why


def test_parse_retry_after_forms():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") == 0.0


def test_invalid_policies():
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
