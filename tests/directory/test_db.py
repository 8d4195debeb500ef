"""Transactions and waiting, on both backends: a change of several steps stands or falls as
one, changes take turns, and a write that waits for another writer never holds up the event
loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
import pytest

from lobby.adapters.directory import Directory, DirectoryError
from lobby.adapters.directory.postgres import WRITER_LOCK


async def test_a_failed_transaction_leaves_nothing_behind(directory: Directory) -> None:
    with pytest.raises(DirectoryError, match="clinician"):
        async with directory.db.transaction():
            doctor = await directory.accounts.add("doctor", "hash", "Doctor")  # joins
            await directory.rooms.create("Room", [doctor.account_id])
            await directory.rooms.create("Room", ["c_nobody"])

    assert await directory.accounts.all() == []
    assert await directory.rooms.all() == []


async def test_transactions_take_turns(directory: Directory) -> None:
    """Each reads, waits, then writes what it read: interleaved, both would read 0."""

    async def next_user() -> str:
        async with directory.db.transaction():
            count = len(await directory.accounts.all())
            await asyncio.sleep(0.05)
            return (await directory.accounts.add(f"user{count}", "hash", "")).username

    made = await asyncio.gather(next_user(), next_user(), next_user())

    assert sorted(made) == ["user0", "user1", "user2"]


@asynccontextmanager
async def other_writer(target: str) -> AsyncIterator[Callable[[], None]]:
    """Another process's write in progress on the directory; call to let it go."""
    if target.startswith("postgresql://"):
        conn = await asyncpg.connect(target)
        await conn.execute("SELECT pg_advisory_lock($1)", WRITER_LOCK)
        released = asyncio.Event()
        task = asyncio.create_task(_release_pg(conn, released))
        yield released.set
        await task
        return
    other = sqlite3.connect(target, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield lambda: other.execute("ROLLBACK")
    finally:
        other.close()


async def _release_pg(conn: asyncpg.Connection, released: asyncio.Event) -> None:
    await released.wait()
    await conn.execute("SELECT pg_advisory_unlock($1)", WRITER_LOCK)
    await conn.close()


async def test_a_write_waiting_for_another_writer_leaves_the_loop_free(
    directory: Directory, target: str
) -> None:
    async with other_writer(target) as release:
        write = asyncio.create_task(directory.accounts.add("doctor", "hash", "Doctor"))
        widest, last = 0.0, time.monotonic()
        for _ in range(30):  # ~0.3 s of ticks while the write waits
            await asyncio.sleep(0.01)
            widest, last = max(widest, time.monotonic() - last), time.monotonic()
        assert not write.done(), "the write waits for the other writer"
        release()
        account = await asyncio.wait_for(write, 10)

    assert widest < 0.15, f"the event loop stood still for {widest:.2f} s"
    assert await directory.accounts.get(account.account_id) == account
