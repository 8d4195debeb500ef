"""Benchmark 7, directory reads on PostgreSQL: statements the server sends the directory per
open link + connect, per `join` and per admission, one operation at a time (what an
operation costs alone), counted in the server (`bench.dircount`; a read answered from a
cache is not a statement). One server, the directory on PostgreSQL and presence on Redis, as
instances on several hosts run; one guest per room in the full run, and a wait longer than
the room appointment cache's TTL before the joins and before the admissions, so that each
finds its room's cache cold: the worst case, and an admission's usual one. (The join storm
reports the reads per arrival with the caches as a storm leaves them.)

First, with the clinicians connected and no guest yet, an idle window shows the server's
background statements (the sweep's one read of its staff sessions' accounts); those kinds are
counted apart in the phases, not as the operations'.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bench import dircount
from bench.clients import Guest, Load, admission, arrive, disconnect_all, join_room, now, sequential
from bench.context import Context, clinicians_for
from bench.procs import ServerProcess
from bench.report import Result, Target
from bench.seed import spread
from lobby.services import upcoming

NAME = "directory"
PHASE_DEADLINE = 120.0
TARGET_READS = 1.0
"""Directory reads per join and per admission (issue #17: at most one each, or cached)."""
OPERATIONS = ("open link + connect", "join", "admission")
IDLE_S = 6.0
"""The idle window that shows the server's background statements (longer than the room
appointment cache's TTL: the clinicians' connecting filled it)."""
QUICK_IDLE_S = 2.0
COLD_S = upcoming.TTL + 0.5
"""The wait before the joins and before the admissions (not in the quick run): each finds
its room's appointment cache cold, as an admission minutes after the guest came does."""


async def _arrival(load: Load, guest: Guest) -> float:
    arrival = await arrive(load, guest, join=False)
    if not arrival.ok:
        raise RuntimeError(arrival.error)
    return arrival.total_s


async def _counted(
    server: ServerProcess,
    load: Load,
    steps: Sequence[Callable[[], Awaitable[float]]],
    background: set[str],
) -> dict[str, Any]:
    """Run steps one at a time; the directory statements they caused, in all and per step
    (statements of the `background` kinds apart)."""
    before = await server.directory_statements(load.http)
    sampled = await sequential(steps, PHASE_DEADLINE)
    after = await server.directory_statements(load.http)
    delta = after - before
    own = Counter({k: n for k, n in delta.items() if k not in background})
    done = max(1, len(sampled.samples))
    return {
        "operations": len(sampled.samples),
        "seconds": round(sampled.seconds, 2),
        "statements": dict(own),
        "background_statements": {k: n for k, n in delta.items() if k in background},
        "reads": dircount.reads(own),
        "reads_per_op": round(dircount.reads(own) / done, 3),
        "statements_per_op": round(sum(own.values()) / done, 3),
        "failures": sampled.failed,
        "failure_kinds": dict(sampled.failures),
    }


async def _idle(server: ServerProcess, load: Load, seconds: float) -> dict[str, Any]:
    before = await server.directory_statements(load.http)
    started = now()
    await asyncio.sleep(seconds)
    idle = (await server.directory_statements(load.http)) - before
    return {"seconds": round(now() - started, 2), "statements": dict(idle)}


async def count_operations(ctx: Context, server: ServerProcess, count: int) -> dict[str, Any]:
    load = Load(server.url)
    sockets: list[Any] = []
    failures: Counter[str] = Counter()
    try:
        visits = ctx.seeded.pick(count)
        clinicians = await clinicians_for(load, ctx.seeded, {v.room_id for v in visits}, failures)
        sockets += [c.sio for c in clinicians.values()]
        guests = ctx.guests(visits)
        ctx.say("directory: idle")
        idle = await _idle(server, load, QUICK_IDLE_S if ctx.scale.quick else IDLE_S)
        cold = 0.0 if ctx.scale.quick else COLD_S
        background = set(idle["statements"])
        phases: dict[str, dict[str, Any]] = {}
        ctx.say(f"directory: {count} arrivals, one at a time")
        steps = [functools.partial(_arrival, load, g) for g in guests]
        phases["open link + connect"] = await _counted(server, load, steps, background)
        sockets += [g.sio for g in guests]
        await asyncio.sleep(cold)
        steps = [functools.partial(join_room, g) for g in guests if g.sio is not None]
        phases["join"] = await _counted(server, load, steps, background)
        await asyncio.sleep(cold)
        waiting = [g for g in guests if g.state == "waiting"]
        steps = [functools.partial(admission, clinicians[g.visit.room_id], g) for g in waiting]
        phases["admission"] = await _counted(server, load, steps, background)
    finally:
        await server.astop()
        await disconnect_all(sockets, 5.0)
        await load.close()
    failures.update({k: v for p in phases.values() for k, v in p["failure_kinds"].items()})
    return {
        "guests": count,
        "rooms": len({v.room_id for v in visits}),
        "phases": phases,
        "idle": idle,
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
    }


async def run(ctx: Context) -> Result:
    count = ctx.scale.directory_guests
    result = ctx.result(NAME, f"Directory statements on PostgreSQL ({count} guests, one by one)")
    result.params = {
        "guests": count,
        "rooms": min(ctx.scale.rooms, count),
        "directory": "postgresql",
        "store": "redis",
        "order": "each operation one at a time: all arrivals, then all joins, then admissions",
    }
    await ctx.scenario(NAME, spread(count, ctx.scale.rooms), postgres=True)
    with contextlib.ExitStack() as stack:
        redis = ctx.redis(stack)
        server = ctx.lobby(stack, "directory-postgres", redis_url=redis.url)
        figures = await count_operations(ctx, server, count)
    result.figures = figures
    result.baseline = {"idle": figures["idle"]}
    result.failures = figures["failures"]
    for name in OPERATIONS:
        phase = figures["phases"][name]
        result.table.append([f"directory reads per {name}", phase["reads_per_op"], "", ""])
        result.table.append([f"statements per {name}", phase["statements_per_op"], "", ""])
        top = ", ".join(f"{k} x{v}" for k, v in Counter(phase["statements"]).most_common(4))
        apart = ", ".join(f"{k} x{v}" for k, v in phase["background_statements"].items())
        result.notes.append(
            f"{name}: {top or 'no statements'} (background, apart: {apart or 'none'})"
        )
    idle = figures["idle"]
    result.table.append(
        [
            f"background statements per s (idle {idle['seconds']} s)",
            round(sum(idle["statements"].values()) / idle["seconds"], 2),
            "",
            "",
        ]
    )
    if ctx.scale.quick:
        result.notes.append("quick run: short idle window, no wait for the caches to go cold")
    result.targets = [
        Target(
            f"directory reads per {name}",
            figures["phases"][name]["reads_per_op"],
            "<=",
            TARGET_READS,
        )
        for name in ("join", "admission")
    ]
    return result
