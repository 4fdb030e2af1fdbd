"""The emulator's clock: wall time plus an offset that tests move forward with :meth:`advance`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """Epoch seconds; ``advance`` jumps ahead (never back) so time-driven states can be tested fast."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._source() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` ahead; returns the new time."""
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    @property
    def offset(self) -> float:
        return self._offset


def ms(seconds: float) -> int:
    """Epoch seconds (or a duration) in the milliseconds the APIs use."""
    return int(seconds * 1000)
