"""How often one token may ask for expensive work: a sliding window of the last minute, per token, in memory."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from answerkey.web.envelope import ApiError

__all__ = ["RateLimiter"]


class RateLimiter:
    """Admits at most ``per_minute`` calls per key in any 60 seconds; the next is refused with 429."""

    def __init__(self, window_s: float = 60.0) -> None:
        self.window_s = window_s
        self._calls: defaultdict[object, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def admit(self, key: object, per_minute: int, what: str = "pushes of answers") -> None:
        """Count a call by ``key``, or raise ``ApiError(429)`` saying when the next one is admitted."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls[key]
            while calls and calls[0] <= now - self.window_s:
                calls.popleft()
            if len(calls) >= per_minute:
                wait = calls[0] + self.window_s - now
                raise ApiError(429, f"too many {what}: at most {per_minute} a minute per token; "
                                    f"try again in {wait:.0f} s")
            calls.append(now)
