"""Concurrent Redis commands sent together.

When fifty guests arrive at once, each handler makes its own Redis call; one call at a
time, each pays for a pooled connection, a `send` and a wake-up of its own, which on a
small machine costs more CPU than the call itself. Here a command issued while another
batch is on its way waits for it, and everything that queued up meanwhile goes out as the
next pipeline: one round trip for all of them. A lone command goes out at once, as a
plain command.

Replies come back to each caller as if it had called alone; a Redis error (e.g. NOSCRIPT)
goes to its own caller only, a lost connection to every caller of that batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

Queued = tuple[tuple[Any, ...], "asyncio.Future[Any]"]


class CommandBatcher:
    """Sends commands through one writer task, batching those that queue up meanwhile."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._queued: list[Queued] = []
        self._writer: asyncio.Task[None] | None = None

    async def execute(self, *args: Any) -> Any:
        """One command's reply (decoded as the client decodes a direct call's)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queued.append((args, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="venterom-redis-batcher")
        return await future

    async def run_script(
        self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]
    ) -> Any:
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        try:
            return await self.execute(*command)
        except NoScriptError:
            # Redis restarted (or its scripts were flushed) since the script was loaded.
            await self._client.script_load(script.script)
            return await self.execute(*command)

    async def close(self) -> None:
        """Stop the writer; callers still waiting get `CancelledError`."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        _cancel(self._queued)
        self._queued = []

    async def _write(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                replies = await self._send([args for args, _ in batch])
            except asyncio.CancelledError:
                _cancel(batch)
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), reply in zip(batch, replies, strict=True):
                if future.done():  # its caller gave up
                    continue
                if isinstance(reply, Exception):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)

    async def _send(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        if len(commands) == 1:
            execute = self._client.execute_command
            try:
                return [await execute(*commands[0])]  # type: ignore[no-untyped-call]
            except aioredis.ResponseError as exc:
                return [exc]
        async with self._client.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            return list(await pipe.execute(raise_on_error=False))


def _cancel(queued: list[Queued]) -> None:
    for _, future in queued:
        future.cancel()
