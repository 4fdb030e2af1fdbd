"""When to try a request again, and how long to wait: pure decisions, no I/O.

Retries transport and decoding errors, timeouts, HTTP 429, 500, 502, 503 and 504, and the error
codes the service documents as "try again later" (``RETRY_LATER_CODES``, whatever their HTTP
status), with exponential backoff and full jitter, bounded both in attempts and in total time. A
``Retry-After`` hint is honoured in full (never cut to the backoff maximum); a hint that does not
fit the time left gives up at once, saying so. Nothing else is retried.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Error codes documented as "try again later": 409 ModelArts.2878 JobStatusChanged (a terminate or
# delete that met a concurrent change of the job's state).
RETRY_LATER_CODES = frozenset({"ModelArts.2878"})


def retryable(status_code: int | None, error_code: str | None = None) -> bool:
    """Whether an answer (``status_code`` ``None``: a transport or decoding failure) may be tried
    again: the one list of what is worth another attempt."""
    return status_code is None or status_code in RETRYABLE_STATUS or error_code in RETRY_LATER_CODES


@dataclass(frozen=True, slots=True)
class Decision:
    """Try again after ``delay`` seconds, or give up (``delay`` is ``None``), and why."""

    delay: float | None
    why: str | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff: plain numbers, and a random generator (left out of equality,
    so sessions with the same numbers are shared)."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    total_timeout: float = 180.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts: must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.total_timeout <= 0:
            raise ValueError("retry delays must be >= 0 and total_timeout > 0")

    def backoff(self, attempt: int) -> float:
        """Full-jitter delay before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self.rng.uniform(ceiling / 2, ceiling)

    def decide(
        self,
        *,
        attempt: int,
        elapsed: float,
        status_code: int | None,
        retry_after: str | None,
        error_code: str | None = None,
    ) -> Decision:
        """Whether and when to try again after attempt ``attempt`` (counted from 1), ``elapsed``
        seconds into the request. ``status_code`` is ``None`` for a transport error or timeout;
        ``error_code`` is the service's code from the error body, if any."""
        if not retryable(status_code, error_code):
            return Decision(None)
        if attempt >= self.max_attempts:
            return Decision(None, f"{attempt} attempts made, the most allowed")
        delay = self.backoff(attempt)
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            delay = max(delay, hinted)
        if elapsed + delay > self.total_timeout:
            left = max(self.total_timeout - elapsed, 0.0)
            if hinted is not None and hinted >= delay:
                why = (
                    f"the service asked to retry after {hinted:g} s (Retry-After), more than the "
                    f"{left:.1f} s left of the {self.total_timeout:g} s retry budget"
                )
            else:
                why = f"the {self.total_timeout:g} s retry budget is spent"
            return Decision(None, why)
        return Decision(delay)

    def next_delay(
        self, *, attempt: int, elapsed: float, status_code: int | None, retry_after: str | None
    ) -> float | None:
        """Seconds to wait before trying again, or ``None`` to give up (see :meth:`decide`)."""
        return self.decide(
            attempt=attempt, elapsed=elapsed, status_code=status_code, retry_after=retry_after
        ).delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); ``None`` if absent/bad."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


NO_RETRY = RetryPolicy(max_attempts=1)
