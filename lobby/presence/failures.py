"""Failures that mean the store cannot be reached, as the edges answer them: `unavailable`.

A command that fails so changed nothing that the caller could rely on: the Redis store's
compare-and-set either ran whole or not at all.
"""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

UNREACHABLE: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
)
