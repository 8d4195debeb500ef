"""Benchmark 1, admission latency: guests wait across rooms; clinicians admit them one by one.

Latency runs from the clinician's `admit` emit to the guest's `visit` event in `in_call`.
Baseline: python-socketio `call()` round trips to the do-nothing app holding as many idle
connections, from the same kind of process.
"""

from __future__ import annotations

import contextlib
import functools
from collections import Counter
from typing import Any

from bench.clients import (
    GUEST_NS,
    Clinician,
    Guest,
    Load,
    Sampled,
    admission,
    bounded,
    call,
    disconnect_all,
    now,
    sequential,
)
from bench.context import Context, arrive_all, clinicians_for
from bench.procs import ServerProcess
from bench.report import Result, Target
from bench.seed import spread
from bench.stamps import split
from bench.stats import ratio, summary

NAME = "admission"
PHASE_DEADLINE = 300.0
TARGETS = {"memory": 3.0, "redis": 5.0}


async def ping_baseline(
    server: ServerProcess, idle: int, samples: int, warmup: int, concurrency: int
) -> dict[str, Any]:
    """`call()` round trips to the do-nothing app while it holds `idle` bare connections."""
    load = Load(server.url)
    sockets = [load.socket() for _ in range(idle)]
    failures: Counter[str] = Counter()
    try:

        async def connect(sio: Any) -> None:
            try:
                await load.connect(sio, GUEST_NS)
            except Exception as exc:
                failures[type(exc).__name__] += 1

        await bounded(sockets, connect, concurrency, PHASE_DEADLINE)
        probe = load.socket()
        await load.connect(probe, GUEST_NS)
        sockets.append(probe)

        async def ping() -> float:
            started = now()
            await call(probe, GUEST_NS, "ping", None)
            return now() - started

        await server.lag(load.http)
        sampled = await sequential([ping] * (samples + warmup), PHASE_DEADLINE, warmup)
        lag = await server.lag(load.http, "stop")
    finally:
        await server.astop()
        await disconnect_all(sockets, 5.0)
        await load.close()
    failures.update(sampled.failures)
    return {
        "idle_connections": idle,
        "call": summary(sampled.samples),
        "server_loop_lag": lag,
        "harness_gc_ms_between_calls": round(1000 * sampled.collecting_s, 1),
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
    }


async def admit_one_by_one(
    ctx: Context, server: ServerProcess, count: int, redis_note: str
) -> dict[str, Any]:
    """Bring `count` guests in across the rooms, then admit each one; latencies and lag."""
    scale = ctx.scale
    load = Load(server.url)
    sockets: list[Any] = []
    try:
        visits = ctx.seeded.pick(count)
        ctx.say(f"{redis_note}: logging clinicians in")
        failures: Counter[str] = Counter()
        rooms = {v.room_id for v in visits}
        clinicians = await clinicians_for(load, ctx.seeded, rooms, failures)
        sockets += [c.sio for c in clinicians.values()]
        guests = ctx.guests(visits)
        ctx.say(f"{redis_note}: bringing {count} guests in")
        started = now()
        _, arrival_failures = await arrive_all(load, guests, scale.arrival_concurrency)
        failures.update(arrival_failures)
        setup_s = now() - started
        sockets += [g.sio for g in guests]
        waiting = [g for g in guests if g.state == "waiting"]
        timed: list[tuple[str, float, float]] = []
        steps = [
            functools.partial(timed_admission, clinicians[g.visit.room_id], g, timed)
            for g in waiting
        ]
        ctx.say(f"{redis_note}: admitting {len(steps)}")
        await server.lag(load.http)
        meter = server.cpu().start()
        sampled: Sampled = await sequential(steps, PHASE_DEADLINE, scale.admission_warmup)
        meter.stop()
        lag = await server.lag(load.http, "stop")
        legs = split(timed[scale.admission_warmup :], await server.stamps(load.http))
        rss = server.rss_kib()
        ctx.say(f"{redis_note}: stopping")
    finally:
        await server.astop()
        await disconnect_all(sockets, 5.0)
        await load.close()
    failures.update(sampled.failures)
    return {
        "store": redis_note,
        "guests": len(guests),
        "rooms": len({v.room_id for v in visits}),
        "clinicians": len({c.username for c in clinicians.values()}),
        "setup_s": round(setup_s, 2),
        "admission": summary(sampled.samples),
        "admission_legs": legs,
        "admissions_per_s": round(len(sampled.samples) / sampled.seconds, 1)
        if sampled.seconds
        else None,
        "server_loop_lag": lag,
        "server_cpu_percent": meter.percent,
        "server_cpu_ms_per_admission": round(1000 * meter.cpu_s / max(1, sampled.count), 2),
        "server_rss_kib": rss,
        "harness_gc_ms_between_admissions": round(1000 * sampled.collecting_s, 1),
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
    }


async def timed_admission(
    clinician: Clinician, guest: Guest, timed: list[tuple[str, float, float]]
) -> float:
    """`admission`, also noting (visit id, emitted, arrived) for `bench.stamps.split`."""
    emitted = now()
    latency = await admission(clinician, guest)
    timed.append((guest.visit.visit_id, emitted, emitted + latency))
    return latency


async def run(ctx: Context) -> Result:
    scale = ctx.scale
    result = ctx.result(NAME, "Admission latency (admit emit -> guest visit in_call)")
    count = scale.admission_guests
    await ctx.scenario(NAME, spread(count, scale.rooms))
    result.params = {
        "guests": count,
        "rooms": min(scale.rooms, count),
        "warmup_admissions": scale.admission_warmup,
        "order": "one admission at a time, rooms interleaved",
    }
    ctx.say("admission: baseline")
    with contextlib.ExitStack() as stack:
        result.baseline = await ping_baseline(
            ctx.noop(stack),
            count + scale.rooms // 10,
            count,
            scale.admission_warmup,
            scale.arrival_concurrency,
        )
    ctx.say("admission: memory store")
    with contextlib.ExitStack() as stack:
        memory = await admit_one_by_one(ctx, ctx.lobby(stack, "admission-memory"), count, "memory")
    with contextlib.ExitStack() as stack:
        redis = ctx.redis(stack)
        server = ctx.lobby(stack, "admission-redis", redis_url=redis.url)
        on_redis = await admit_one_by_one(ctx, server, count, "redis")
    ctx.say("admission: done")
    result.figures = {"memory": memory, "redis": on_redis}
    base = result.baseline["call"]
    for kind, figures in result.figures.items():
        adm = figures["admission"]
        result.ratio[kind] = {
            "p50": ratio(adm["p50_ms"], base["p50_ms"]),
            "p99": ratio(adm["p99_ms"], base["p99_ms"]),
        }
        result.targets.append(
            Target(
                f"{kind}: admission p99 / call() p99",
                result.ratio[kind]["p99"],
                "<=",
                TARGETS[kind],
            )
        )
        for q in ("p50", "p99"):
            result.table.append(
                [f"{kind} admission {q} ms", adm[f"{q}_ms"], base[f"{q}_ms"], result.ratio[kind][q]]
            )
        legs = figures["admission_legs"]
        for leg, name in (("in_server", "inside the server"), ("to_guest", "server to guest")):
            result.table.append([f"{kind} admission p99 ms {name}", legs[leg]["p99_ms"], "", ""])
        result.table.append([f"{kind} admissions/s (serial)", figures["admissions_per_s"], "", ""])
        result.table.append(
            [f"{kind} server CPU ms per admission", figures["server_cpu_ms_per_admission"], "", ""]
        )
        result.table.append(
            [
                f"{kind} server GC gen2 max pause ms",
                figures["server_loop_lag"]["gc"]["max_ms"]["2"],
                result.baseline["server_loop_lag"]["gc"]["max_ms"]["2"],
                "",
            ]
        )
        result.table.append(
            [
                f"{kind} server loop lag p99 ms",
                figures["server_loop_lag"]["p99_ms"],
                result.baseline["server_loop_lag"]["p99_ms"],
                "",
            ]
        )
    result.failures = memory["failures"] + on_redis["failures"] + result.baseline["failures"]
    return result
