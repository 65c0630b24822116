"""A fake Shopify that misbehaves on its own: a share of its calls answered with 5xx, 429 + Retry-After or
THROTTLED (drawn from a seeded random generator), or every call held open, unanswered, until `release()`.

It is FakeShopify with one more source of faults: a fault planned with `fail_next` still comes first.
"""

from __future__ import annotations

import random
import threading

from .shopify import FakeShopify, _PlannedFault
from .shopify_seed import Ids

# Retry-After values Shopify sends: under a second (the job waits it out) and over one (the job is rescheduled).
RETRY_AFTER_SECONDS = (0.5, 2.0)
SERVER_ERRORS = (500, 502, 503)


class OffsetIds(Ids):
    """Ids from `offset` on: Shopify's ids are unique across shops, and the inbox and its digests rely on it."""

    def __init__(self, offset: int) -> None:
        super().__init__()
        self.offset = offset

    def gid(self, resource: str, start: int = 1) -> str:
        return super().gid(resource, start + self.offset)


class FlakyShopify(FakeShopify):
    def __init__(self, shop_domain: str, access_token: str, *, seed: int, fault_rate: float = 0.0) -> None:
        self.seed = seed
        self.fault_rate = fault_rate
        self.random = random.Random(seed)  # noqa: S311 - reproducible faults, not a secret
        self._hanging = threading.Event()
        self.hung = 0  # requests held open so far
        super().__init__(shop_domain, access_token)
        self.hang_seconds = 120.0  # a hung request waits for release(), however long the test takes

    def reset(self) -> None:
        super().reset()
        self.state.ids = OffsetIds(1_000_000 * (self.seed + 1))

    def hang(self) -> None:
        """From now on every request is accepted and never answered, until `release()`."""
        self._hanging.set()

    def release(self) -> None:
        """Answer again: the requests held open end (answered 504, as a gateway gives up), new ones are served."""
        with self._lock:
            self._hanging.clear()
            self._release.set()
            self._release = threading.Event()

    def _take_fault(self, operation_name: str | None) -> _PlannedFault | None:
        planned = super()._take_fault(operation_name)
        if planned is not None:
            return planned
        if self._hanging.is_set():
            self.hung += 1
            return _PlannedFault("hang", 504, 0.0)
        if self.random.random() >= self.fault_rate:
            return None
        kind = self.random.choice(("5xx", "429", "throttled"))
        return _PlannedFault(kind, self.random.choice(SERVER_ERRORS), self.random.choice(RETRY_AFTER_SECONDS))
