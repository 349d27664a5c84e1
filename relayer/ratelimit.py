"""Token-bucket rate limits of the relayer API: requests per client IP, orders per maker.

A bucket holds up to ``burst`` tokens and refills at ``rate`` per second; a request takes
``cost`` tokens or is refused with ``rate_limited`` (HTTP 429) and a ``retry_after`` in seconds,
taking nothing. Buckets idle long enough to be full again are forgotten.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from relayer.errors import RateLimited


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class TokenBuckets:
    """One bucket per key (an IP, a maker address)."""

    def __init__(
        self,
        *,
        scope: str,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scope = scope
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._last_prune = clock()

    def take(self, key: str, cost: float = 1.0) -> None:
        """Take ``cost`` tokens from ``key``'s bucket.

        Raises:
            RateLimited: not enough tokens; the bucket is unchanged.
        """
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
        if bucket.tokens < cost:
            wait = (cost - bucket.tokens) / self.rate if cost <= self.burst else None
            raise RateLimited(
                f"too many requests for this {self.scope}: "
                + (f"retry in {wait:.2f} s" if wait is not None else "batch larger than burst"),
                details={
                    "scope": self.scope,
                    "key": key,
                    "retry_after": round(wait, 3) if wait is not None else None,
                    "rate": self.rate,
                    "burst": self.burst,
                },
            )
        bucket.tokens -= cost
        if now - self._last_prune > 60:
            self._prune(now)

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {
            key: bucket for key, bucket in self._buckets.items() if now - bucket.stamp < full_after
        }
        self._last_prune = now
