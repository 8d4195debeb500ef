"""Values that expire, as Redis keys do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class _Expiring(Generic[T]):
    value: T
    expires_at: float


@dataclass(slots=True)
class _ExpiringMap(Generic[T]):
    clock: Callable[[], float]
    items: dict[str, _Expiring[T]] = field(default_factory=dict)

    def get(self, key: str) -> T | None:
        entry = self.items.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self.clock():
            del self.items[key]
            return None
        return entry.value

    def put(self, key: str, value: T, ttl: float) -> None:
        self.items[key] = _Expiring(value, self.clock() + ttl)

    def pop(self, key: str) -> None:
        self.items.pop(key, None)

    def shorten(self, key: str, ttl: float) -> None:
        """Let the entry expire within `ttl` seconds, if it would have lived longer."""
        entry = self.items.get(key)
        if entry is not None:
            entry.expires_at = min(entry.expires_at, self.clock() + ttl)

    def live_values(self) -> list[T]:
        now = self.clock()
        return [e.value for e in self.items.values() if e.expires_at > now]
