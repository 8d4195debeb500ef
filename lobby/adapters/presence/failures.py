"""Failures that mean a store cannot be reached, as the edges answer them: `unavailable`.

The presence store (Redis) or the directory (PostgreSQL: refused, cut off, or shutting
down). A command that fails so changed nothing that the caller could rely on: the Redis
store's compare-and-set either ran whole or not at all, and a directory transaction that
loses its connection is rolled back by the server.
"""

from __future__ import annotations

from asyncpg.exceptions import (
    InterfaceError,
    InternalClientError,
    OperatorInterventionError,
    PostgresConnectionError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

UNREACHABLE: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    PostgresConnectionError,  # the connection failed or is gone
    OperatorInterventionError,  # shutting down, restarting, not accepting connections yet
    InterfaceError,  # its connection closed
    InternalClientError,  # a connection the server cut while it idled
    ConnectionError,
)
