"""A bounded, in-process limit on how often an unauthenticated endpoint may be used per key (a source address,
a site): a sliding window of timestamps per key, and never more than `max_keys` keys held."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_keys, self.clock = limit, window_seconds, max_keys, clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, *keys: str) -> bool:
        """True, counting a use for each key, unless any key has used its limit within the window."""
        now = self.clock()
        with self._lock:
            windows = [self._window(key, now) for key in keys]
            if any(len(hits) >= self.limit for hits in windows):
                return False
            for hits in windows:
                hits.append(now)
            return True

    def _window(self, key: str, now: float) -> deque[float]:
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        self._hits[key] = hits  # most recently used last
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)  # the least recently used key goes first
        return hits
