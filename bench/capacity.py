"""Benchmark 2, lobby capacity: one server process holding 1,000 / 5,000 / 10,000 idle
waiting guests. Per level: server RSS per guest, idle server CPU, loop lag, and admission
latency while holding them. Baseline: as many bare socket.io connections to the
do-nothing app (RSS per connection, idle CPU, `call()` latency)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from typing import Any

from bench.admission import PHASE_DEADLINE, timed_admission
from bench.clients import GUEST_NS, Guest, Load, call, disconnect_all, now, sequential
from bench.context import Context, arrive_all, clinicians_for
from bench.fleet import Fleet
from bench.procs import ServerProcess
from bench.report import Result, Target
from bench.seed import spread
from bench.stamps import split
from bench.stats import ratio, summary

NAME = "capacity"
TARGET_GUESTS = 10_000
TARGET_KIB = 40.0
TARGET_P99_MS = 10.0


def _chunks(total: int, size: int) -> list[int]:
    return [min(size, total - start) for start in range(0, total, size)]


async def _idle(ctx: Context, server: ServerProcess, load: Load) -> dict[str, Any]:
    """Let the server settle, then sit idle: its CPU share (lag monitor off), its loop lag
    over another `settle_seconds` (monitor on), and its RSS."""
    await asyncio.sleep(ctx.scale.settle_seconds)
    meter = server.cpu().start()
    await asyncio.sleep(ctx.scale.idle_seconds)
    meter.stop()
    await server.lag(load.http)
    await asyncio.sleep(ctx.scale.settle_seconds)
    return {
        "idle_cpu_percent": meter.percent,
        "idle_loop_lag": await server.lag(load.http, "stop"),
        "rss_kib": server.rss_kib(),
    }


async def baseline_level(ctx: Context, server: ServerProcess, count: int) -> dict[str, Any]:
    """`count` bare connections to the do-nothing app (from workers), then `call()`s."""
    scale = ctx.scale
    load = Load(server.url)
    fleet = Fleet()
    probe = load.socket()
    try:
        rss_before = server.rss_kib()
        args = [
            ["--url", server.url, "--bare", str(n), "--concurrency", "100"]
            for n in _chunks(count - 1, scale.clients_per_worker)
        ]
        await fleet.start(args, ctx.cores, ctx.workdir / "workers.log")
        await load.connect(probe, GUEST_NS)
        idle = await _idle(ctx, server, load)

        async def ping() -> float:
            started = now()
            await call(probe, GUEST_NS, "ping", None)
            return now() - started

        await server.lag(load.http)
        steps = [ping] * (scale.capacity_probe + scale.admission_warmup)
        sampled = await sequential(steps, PHASE_DEADLINE, scale.admission_warmup)
        lag = await server.lag(load.http, "stop")
    finally:
        await server.astop()
        await fleet.stop()
        await disconnect_all([probe], 2.0)
        await load.close()
    held = fleet.ready + 1
    failures = fleet.failures + sampled.failures
    return {
        "connections": held,
        "rss_kib_before": rss_before,
        **idle,
        "rss_kib_per_connection": round((idle["rss_kib"] - rss_before) / held, 2),
        "call": summary(sampled.samples),
        "loop_lag_during_calls": lag,
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
    }


async def lobby_level(ctx: Context, server: ServerProcess, count: int) -> dict[str, Any]:
    """`count` waiting guests (most held by workers), then probe admissions one by one."""
    scale = ctx.scale
    load = Load(server.url)
    fleet = Fleet()
    sockets: list[Any] = []
    failures: Counter[str] = Counter()
    guests: list[Guest] = []
    try:
        visits = ctx.seeded.pick(count)
        probe_visits, held_visits = visits[: scale.capacity_probe], visits[scale.capacity_probe :]
        rooms = {v.room_id for v in probe_visits}
        clinicians = await clinicians_for(load, ctx.seeded, rooms, failures)
        sockets += [c.sio for c in clinicians.values()]
        await asyncio.sleep(0.5)
        guests = ctx.guests(probe_visits)
        arrived, probe_failures = await arrive_all(load, guests, scale.arrival_concurrency)
        failures.update(probe_failures)
        sockets += [g.sio for g in guests]
        await asyncio.sleep(ctx.scale.settle_seconds)
        rss_before = server.rss_kib()
        rss_before_n = len(arrived)
        chunks = [
            held_visits[start : start + scale.clients_per_worker]
            for start in range(0, len(held_visits), scale.clients_per_worker)
        ]
        in_flight = str(max(1, scale.capacity_in_flight // max(1, len(chunks))))
        args = []
        for index, chunk in enumerate(chunks):
            path = ctx.seeded.write_tokens(ctx.workdir / f"tokens-{count}-{index}.jsonl", chunk)
            args.append(
                [
                    "--url",
                    server.url,
                    "--tokens",
                    str(path),
                    "--concurrency",
                    in_flight,
                    "--deadline",
                    str(scale.capacity_setup_s),
                ]
            )
        ctx.say(f"capacity {count}: {len(args)} workers bringing guests in")
        started = now()
        await fleet.start(args, ctx.cores, ctx.workdir / "workers.log")
        setup_s = now() - started
        failures.update(fleet.failures)
        ctx.say(f"capacity {count}: idle for {scale.idle_seconds} s")
        idle = await _idle(ctx, server, load)
        held = await fleet.waiting() + sum(
            1 for g in guests if g.sio is not None and g.sio.connected and g.state == "waiting"
        )
        timed: list[tuple[str, float, float]] = []
        steps = [
            functools.partial(timed_admission, clinicians[g.visit.room_id], g, timed)
            for g in guests
            if g.state == "waiting"
        ]
        warmup = min(scale.admission_warmup, 10)
        await server.lag(load.http)
        sampled = await sequential(steps, PHASE_DEADLINE, warmup)
        lag = await server.lag(load.http, "stop")
        legs = split(timed[warmup:], await server.stamps(load.http))
        failures.update(sampled.failures)
    finally:
        await server.astop()
        await fleet.stop()
        await disconnect_all(sockets, 5.0)
        await load.close()
    arrival_rate = round(fleet.ready / setup_s, 1) if setup_s else None
    return {
        "guests_held": held,
        "guests_arrived": fleet.ready + len(arrived),
        "setup_s": round(setup_s, 1),
        "arrivals_per_s": arrival_rate,
        "rss_kib_before": rss_before,
        **idle,
        "rss_kib_per_guest": round((idle["rss_kib"] - rss_before) / max(held - rss_before_n, 1), 2),
        "admission": summary(sampled.samples),
        "admission_legs": legs,
        "loop_lag_during_admissions": lag,
        "worker_rss_kib": fleet.rss_kib,
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
    }


async def run(ctx: Context) -> Result:
    scale = ctx.scale
    result = ctx.result(NAME, "Lobby capacity (idle waiting guests in one server process)")
    result.params = {
        "levels": list(scale.capacity_levels),
        "probe_admissions": scale.capacity_probe,
        "idle_seconds": scale.idle_seconds,
        "clients_per_worker": scale.clients_per_worker,
        "store": "memory",
    }
    for count in scale.capacity_levels:
        await ctx.scenario(f"{NAME}-{count}", spread(count, scale.rooms))
        ctx.say(f"capacity {count}: baseline")
        with contextlib.ExitStack() as stack:
            base = await baseline_level(ctx, ctx.noop(stack), count)
        ctx.say(f"capacity {count}: lobby")
        with contextlib.ExitStack() as stack:
            lobby = await lobby_level(ctx, ctx.lobby(stack, f"capacity-{count}"), count)
        key = str(count)
        result.baseline[key] = base
        result.figures[key] = lobby
        result.ratio[key] = {
            "rss_per_guest": ratio(lobby["rss_kib_per_guest"], base["rss_kib_per_connection"]),
            "idle_cpu": ratio(lobby["idle_cpu_percent"], base["idle_cpu_percent"]),
            "p99": ratio(lobby["admission"]["p99_ms"], base["call"]["p99_ms"]),
        }
        result.failures += lobby["failures"] + base["failures"]
        result.table += [
            [f"{count}: guests held", lobby["guests_held"], base["connections"], ""],
            [
                f"{count}: RSS KiB per guest",
                lobby["rss_kib_per_guest"],
                base["rss_kib_per_connection"],
                result.ratio[key]["rss_per_guest"],
            ],
            [
                f"{count}: idle CPU % of a core",
                lobby["idle_cpu_percent"],
                base["idle_cpu_percent"],
                result.ratio[key]["idle_cpu"],
            ],
            [
                f"{count}: idle loop lag p99 ms",
                lobby["idle_loop_lag"]["p99_ms"],
                base["idle_loop_lag"]["p99_ms"],
                "",
            ],
            [
                f"{count}: admission p99 ms (vs call)",
                lobby["admission"]["p99_ms"],
                base["call"]["p99_ms"],
                result.ratio[key]["p99"],
            ],
            [
                f"{count}: admission p99 ms inside the server",
                lobby["admission_legs"]["in_server"]["p99_ms"],
                "",
                "",
            ],
        ]
    level = max(scale.capacity_levels)
    top = result.figures[str(level)]
    goal = TARGET_GUESTS if level >= TARGET_GUESTS else level
    if goal < TARGET_GUESTS:
        result.notes.append(
            f"quick run: only {level} guests tried; the 10,000 target needs the full run"
        )
    result.targets = [
        Target(f"waiting guests held by one process (of {level})", top["guests_held"], ">=", goal),
        Target("RSS KiB per waiting guest", top["rss_kib_per_guest"], "<=", TARGET_KIB),
        Target(
            "admission p99 ms while holding them", top["admission"]["p99_ms"], "<=", TARGET_P99_MS
        ),
    ]
    return result
