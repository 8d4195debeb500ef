"""Rate limits every instance shares: in Redis (through the `limits` library), or in memory
for the embedded store. Over a limit, `RateLimited` says when to try again.

What is counted is named by a keyed hash, never as it is: no client address, username or
visit id is written to Redis, and each counter expires with its window.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from lobby.adapters.presence.failures import UNREACHABLE
from lobby.domain.errors import RateLimited


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    rate: str
    """In the `limits` notation: "60/minute", "5 per 15 minutes"."""
    message: str

    @property
    def item(self) -> RateLimitItem:
        return parse(self.rate)


GUEST_OPEN_PER_CLIENT = Limit(
    "guest-open-client", "60/minute", "too many invitation links opened from this address"
)
GUEST_OPEN_PER_INVITATION = Limit(
    "guest-open-invitation", "20/minute", "this invitation was opened too many times"
)
JOIN_PER_CLIENT = Limit("join-client", "30/minute", "too many joins from this address")
JOIN_PER_VISIT = Limit("join-visit", "10/minute", "too many attempts to join")
LOGIN_FAILURES_PER_ACCOUNT_CLIENT = Limit(
    "login-account-client", "5 per 15 minutes", "too many failed log-ins; try again later"
)
LOGIN_FAILURES_PER_ACCOUNT = Limit(
    "login-account", "50/hour", "too many failed log-ins for this account; try again later"
)
LOGIN_FAILURES_PER_CLIENT = Limit(
    "login-client", "30 per 15 minutes", "too many failed log-ins from this address"
)
API_PER_KEY = Limit("api-key", "600/minute", "too many requests with this API key")

LIMITS = (
    GUEST_OPEN_PER_CLIENT,
    GUEST_OPEN_PER_INVITATION,
    JOIN_PER_CLIENT,
    JOIN_PER_VISIT,
    LOGIN_FAILURES_PER_ACCOUNT_CLIENT,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_CLIENT,
    API_PER_KEY,
)


class RateLimits:
    def __init__(self, storage: Storage | None, secret: str) -> None:
        """`storage` None: no limits (a benchmark's clients all share one address)."""
        self._storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(storage) if storage else None
        self._key = hashlib.sha256(f"venterom-ratelimit.{secret}".encode()).digest()

    @classmethod
    def for_store(cls, redis_url: str, secret: str, enabled: bool = True) -> RateLimits:
        if not enabled:
            return cls(None, secret)
        if not redis_url:
            return cls(MemoryStorage(), secret)
        storage = RedisStorage(
            _limits_url(redis_url), implementation="redispy", key_prefix="venterom-rl"
        )
        return cls(storage, secret)

    async def hit(self, limit: Limit, *what: str) -> None:
        """Count one attempt; refuse it (`RateLimited`) when over the limit."""
        if self._limiter is None:
            return
        ids = self._ids(what)
        if not await self._limiter.hit(limit.item, limit.name, *ids):
            raise RateLimited(limit.message, await self._retry_after(limit, ids))

    async def check(self, limit: Limit, *what: str) -> None:
        """Refuse if the limit is reached already, without counting an attempt."""
        if self._limiter is None:
            return
        ids = self._ids(what)
        if not await self._limiter.test(limit.item, limit.name, *ids):
            raise RateLimited(limit.message, await self._retry_after(limit, ids))

    async def clear(self, limit: Limit, *what: str) -> None:
        if self._limiter is not None:
            await self._limiter.clear(limit.item, limit.name, *self._ids(what))

    async def close(self) -> None:
        if isinstance(self._storage, MemoryStorage):
            await self._storage.reset()  # stops its expiry task
        elif isinstance(self._storage, RedisStorage):
            client: Any = getattr(self._storage.bridge, "storage", None)
            if client is not None:
                await client.aclose()

    async def _retry_after(self, limit: Limit, ids: list[str]) -> int:
        assert self._limiter is not None
        try:
            stats = await self._limiter.get_window_stats(limit.item, limit.name, *ids)
        except UNREACHABLE:
            return limit.item.get_expiry()
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _ids(self, what: tuple[str, ...]) -> list[str]:
        return [hmac.new(self._key, w.encode(), hashlib.sha256).hexdigest()[:24] for w in what]


def _limits_url(redis_url: str) -> str:
    """Our Redis URL in the form `limits` reads (`async+redis://`, `async+redis+unix://`)."""
    if redis_url.startswith("unix://"):
        return "async+redis+" + redis_url
    return "async+" + redis_url
