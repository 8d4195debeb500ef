"""Failed-login throttling: after too many misses for one username, refuse for a while.

Per instance and in memory: an attacker spreading guesses over instances gets at most
`limit` tries per instance per window, which argon2id makes slow anyway.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from lobby.errors import RateLimited


class LoginThrottle:
    def __init__(
        self, limit: int = 10, window: float = 900.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._misses: dict[str, deque[float]] = {}

    def check(self, username: str) -> None:
        misses = self._recent(username)
        if len(misses) >= self.limit:
            raise RateLimited("too many failed log-ins; try again in a few minutes")

    def missed(self, username: str) -> None:
        self._recent(username).append(self.clock())

    def succeeded(self, username: str) -> None:
        self._misses.pop(self._key(username), None)

    def _recent(self, username: str) -> deque[float]:
        misses = self._misses.setdefault(self._key(username), deque())
        while misses and misses[0] <= self.clock() - self.window:
            misses.popleft()
        return misses

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().lower()[:64]
