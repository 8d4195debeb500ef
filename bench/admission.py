"""Benchmark 1, admission latency: guests wait across rooms; clinicians admit them one by one.

The clients (every waiting guest and every room's clinician) are spread over load worker
processes (`bench.worker`), a clinician in the same process as their rooms' guests; the
harness only says who is admitted next, rotating over the workers. Latency runs from the
clinician's `admit` emit to the guest's `visit` event in `in_call`; the server's own stamps
(`bench.stamps`) cut out the part inside it.

Baseline: the do-nothing app's `relay` on the same number of workers holding as many
connections: one client emits, the server emits to another client of the same worker.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench.clients import (
    BenchError,
    Clinician,
    Guest,
    Load,
    admission,
    now,
    sequential,
)
from bench.context import Context
from bench.fleet import Fleet
from bench.procs import ServerProcess
from bench.report import Result, Target
from bench.seed import SeededVisit, spread
from bench.stamps import split
from bench.stats import ratio, summary

NAME = "admission"
PHASE_DEADLINE = 300.0
TARGET_IN_SERVER_P99_MS = {"memory": 2.0, "redis": 4.0}
TARGET_RATIO = 2.0
"""End-to-end admission p99 / do-nothing relay p99, both from the same workers."""

Timed = list[tuple[str, float, float]]
"""(visit id, emitted, arrived) of each admission, for `bench.stamps.split`."""


def _chunks(total: int, parts: int) -> list[int]:
    """`total` split into `parts` nearly equal counts."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _rotation(groups: Sequence[Sequence[Any]]) -> list[tuple[int, Any]]:
    """(group index, item), taking one item from each group in turn."""
    rounds = itertools.zip_longest(*groups)
    return [(i, item) for row in rounds for i, item in enumerate(row) if item is not None]


async def _ask(fleet: Fleet, index: int, command: str, timed: Timed | None = None) -> float:
    """One measured step played by a worker: its latency in seconds."""
    answer = await fleet.ask(index, command)
    if "error" in answer:
        raise BenchError(answer["error"])
    if timed is not None:
        timed.append((answer["visit_id"], answer["emitted"], answer["arrived"]))
    return float(answer["arrived"] - answer["emitted"])


def _steps(
    fleet: Fleet, commands: list[tuple[int, str]], timed: Timed | None = None
) -> list[Callable[[], Awaitable[float]]]:
    return [functools.partial(_ask, fleet, index, command, timed) for index, command in commands]


async def relay_baseline(ctx: Context, server: ServerProcess, idle: int) -> dict[str, Any]:
    """`relay`s through the do-nothing app, one at a time, from workers holding `idle`
    connections between them (each connection is relayed to once, like each guest is
    admitted once)."""
    scale = ctx.scale
    load = Load(server.url)
    fleet = Fleet()
    try:
        counts = _chunks(idle, scale.admission_workers)
        args = [["--url", server.url, "--bare", str(n), "--relay"] for n in counts]
        await fleet.start(args, ctx.cores, ctx.workdir / "workers.log")
        commands = _rotation([[f"relay {k}" for k in range(n)] for n in counts])
        commands = commands[: scale.admission_guests]  # as many as the admissions
        await server.lag(load.http)
        meter = server.cpu().start()
        sampled = await sequential(_steps(fleet, commands), PHASE_DEADLINE, scale.admission_warmup)
        meter.stop()
        lag = await server.lag(load.http, "stop")
    finally:
        await server.astop()
        await fleet.stop()
        await load.close()
    failures = fleet.failures + sampled.failures
    return {
        "workers": len(counts),
        "idle_connections": fleet.ready,
        "relay": summary(sampled.samples),
        "relays_per_s": round(len(sampled.samples) / sampled.seconds, 1)
        if sampled.seconds
        else None,
        "server_cpu_ms_per_relay": round(1000 * meter.cpu_s / max(1, sampled.count), 2),
        "server_loop_lag": lag,
        "harness_gc_ms_between_relays": round(1000 * sampled.collecting_s, 1),
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
    }


def _worker_files(
    ctx: Context, url: str, visits: list[SeededVisit], tag: str
) -> tuple[list[list[str]], list[list[SeededVisit]]]:
    """Each room's clinician and guests go to one worker (clinicians dealt in turn): the
    workers' `--tokens` / `--clinicians` arguments, and each worker's visits in order."""
    rooms = {v.room_id for v in visits}
    owners = ctx.seeded.owners_of(rooms)
    workers = min(ctx.scale.admission_workers, len(owners))
    groups = [owners[w::workers] for w in range(workers)]
    worker_of = {r: w for w, g in enumerate(groups) for u in g for r in ctx.seeded.clinicians[u]}
    by_worker: list[list[SeededVisit]] = [[] for _ in groups]
    for visit in visits:
        by_worker[worker_of[visit.room_id]].append(visit)
    args = []
    for w, (group, own) in enumerate(zip(groups, by_worker, strict=True)):
        tokens = ctx.seeded.write_tokens(ctx.workdir / f"admission-{tag}-{w}.jsonl", own)
        clinicians = ctx.workdir / f"admission-{tag}-{w}-clinicians.jsonl"
        _write_clinicians(clinicians, {u: ctx.seeded.clinicians[u] for u in group})
        args.append(["--url", url, "--tokens", str(tokens), "--clinicians", str(clinicians)])
    return args, by_worker


def _write_clinicians(path: Path, clinicians: dict[str, list[str]]) -> None:
    path.write_text(
        "".join(json.dumps({"username": u, "rooms": r}) + "\n" for u, r in clinicians.items())
    )


async def admit_from_workers(
    ctx: Context, server: ServerProcess, count: int, store: str
) -> dict[str, Any]:
    """Bring `count` guests in across the rooms (held by workers with their clinicians),
    then admit each one, one at a time; latencies, their legs, and the server's lag."""
    scale = ctx.scale
    load = Load(server.url)
    fleet = Fleet()
    try:
        visits = ctx.seeded.pick(count)
        args, by_worker = _worker_files(ctx, server.url, visits, store)
        ctx.say(f"{store}: {len(args)} workers bringing {count} guests in")
        started = now()
        await fleet.start(args, ctx.cores, ctx.workdir / "workers.log")
        setup_s = now() - started
        timed: Timed = []
        commands = [(w, f"admit {v.visit_id}") for w, v in _rotation(by_worker)]
        ctx.say(f"{store}: admitting {len(commands)}")
        await server.lag(load.http)
        meter = server.cpu().start()
        sampled = await sequential(
            _steps(fleet, commands, timed), PHASE_DEADLINE, scale.admission_warmup
        )
        meter.stop()
        lag = await server.lag(load.http, "stop")
        legs = split(timed[scale.admission_warmup :], await server.stamps(load.http))
        rss = server.rss_kib()
        ctx.say(f"{store}: stopping")
    finally:
        await server.astop()
        await fleet.stop()
        await load.close()
    failures: Counter[str] = fleet.failures + sampled.failures
    return {
        "store": store,
        "workers": len(args),
        "guests": fleet.ready,
        "rooms": len({v.room_id for v in visits}),
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


async def timed_admission(clinician: Clinician, guest: Guest, timed: Timed) -> float:
    """`admission` played by the harness itself (bench.capacity), also noting (visit id,
    emitted, arrived) for `bench.stamps.split`."""
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
        "workers": scale.admission_workers,
        "warmup_admissions": scale.admission_warmup,
        "order": "one admission at a time, rotating over the workers, rooms interleaved",
    }
    ctx.say("admission: relay baseline")
    with contextlib.ExitStack() as stack:
        idle = count + len(ctx.seeded.clinicians)
        result.baseline = await relay_baseline(ctx, ctx.noop(stack), idle)
    ctx.say("admission: memory store")
    with contextlib.ExitStack() as stack:
        memory = await admit_from_workers(
            ctx, ctx.lobby(stack, "admission-memory"), count, "memory"
        )
    with contextlib.ExitStack() as stack:
        redis = ctx.redis(stack)
        server = ctx.lobby(stack, "admission-redis", redis_url=redis.url)
        on_redis = await admit_from_workers(ctx, server, count, "redis")
    ctx.say("admission: done")
    result.figures = {"memory": memory, "redis": on_redis}
    base = result.baseline
    for kind, figures in result.figures.items():
        _report(result, kind, figures, base)
    result.failures = memory["failures"] + on_redis["failures"] + base["failures"]
    return result


def _report(result: Result, kind: str, figures: dict[str, Any], base: dict[str, Any]) -> None:
    adm, relay, legs = figures["admission"], base["relay"], figures["admission_legs"]
    result.ratio[kind] = {q: ratio(adm[f"{q}_ms"], relay[f"{q}_ms"]) for q in ("p50", "p99")}
    in_server = legs["in_server"]["p99_ms"]
    result.targets += [
        Target(
            f"{kind}: admission p99 ms inside the server",
            in_server,
            "<=",
            TARGET_IN_SERVER_P99_MS[kind],
        ),
        Target(f"{kind}: admission p99 / relay p99", result.ratio[kind]["p99"], "<=", TARGET_RATIO),
    ]
    lag = figures["server_loop_lag"]
    result.table += [
        [
            f"{kind} admission p50 ms (vs relay)",
            adm["p50_ms"],
            relay["p50_ms"],
            result.ratio[kind]["p50"],
        ],
        [
            f"{kind} admission p99 ms (vs relay)",
            adm["p99_ms"],
            relay["p99_ms"],
            result.ratio[kind]["p99"],
        ],
        [f"{kind} admission p50 ms inside the server", legs["in_server"]["p50_ms"], "", ""],
        [f"{kind} admission p99 ms inside the server", in_server, "", ""],
        [f"{kind} admission p99 ms to the server", legs["to_server"]["p99_ms"], "", ""],
        [f"{kind} admission p99 ms server to guest", legs["to_guest"]["p99_ms"], "", ""],
        [f"{kind} admissions/s (serial)", figures["admissions_per_s"], base["relays_per_s"], ""],
        [
            f"{kind} server CPU ms per admission (vs relay)",
            figures["server_cpu_ms_per_admission"],
            base["server_cpu_ms_per_relay"],
            "",
        ],
        [
            f"{kind} server GC gen2 max pause ms",
            lag["gc"]["max_ms"]["2"],
            base["server_loop_lag"]["gc"]["max_ms"]["2"],
            "",
        ],
        [f"{kind} server loop lag p99 ms", lag["p99_ms"], base["server_loop_lag"]["p99_ms"], ""],
    ]
