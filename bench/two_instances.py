"""Benchmark 5, two instances on one Redis: cross-instance admission latency (guest on A,
clinician on B) against single-instance (both on A), interleaved in the same run; and the
CPU instance B spends on pub/sub messages meant for A while A handles a join storm whose
recipients are all on A (B holds one bystander clinician, so it is subscribed)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
from collections import Counter
from typing import Any

from bench.admission import PHASE_DEADLINE
from bench.clients import (
    Clinician,
    Guest,
    Load,
    admission,
    arrive,
    bounded,
    connect_clinician,
    disconnect_all,
    now,
    sequential,
)
from bench.context import Context, arrive_all, clinicians_for
from bench.procs import ServerProcess
from bench.report import Result, Target
from bench.seed import BYSTANDER
from bench.stats import ratio, summary

NAME = "two_instances"
TARGET_RATIO = 2.0
CHANNEL = "venterom-bench-two"


def _split_rooms(ctx: Context) -> tuple[list[str], list[str]]:
    """The rooms of the first half of the clinicians, and of the second half."""
    owners = [u for u in ctx.seeded.clinicians if u != BYSTANDER]
    half = max(1, len(owners) // 2)
    first = [r for u in owners[:half] for r in ctx.seeded.clinicians[u]]
    second = [r for u in owners[half:] for r in ctx.seeded.clinicians[u]]
    return first, second


def _per_room(ctx: Context) -> tuple[list[int], int]:
    """Visits per room: admissions in every room, then the storm's in the first half's
    rooms (which come first); and the storm's offset (the admissions' rounds)."""
    rooms = ctx.scale.rooms
    each = ctx.scale.rooms_per_clinician
    owners = -(-rooms // each)
    single = min(rooms, max(1, owners // 2) * each)
    cross = rooms - single
    if not cross:
        raise ValueError("two instances need rooms of at least two clinicians")
    half = ctx.scale.instance_guests // 2
    admissions = -(-half // min(single, cross))
    storm = -(-ctx.scale.instance_guests // single)
    return [admissions + storm] * single + [admissions] * cross, admissions


async def cross_vs_single(
    ctx: Context, a: ServerProcess, b: ServerProcess, load_a: Load, load_b: Load
) -> tuple[dict[str, Any], list[Any]]:
    """Guests all on A; rooms of half the clinicians admitted from A, the others from B."""
    single_rooms, cross_rooms = _split_rooms(ctx)
    count = ctx.scale.instance_guests // 2
    single_visits = ctx.seeded.pick(count, single_rooms)
    cross_visits = ctx.seeded.pick(count, cross_rooms)
    failures: Counter[str] = Counter()
    on_a = await clinicians_for(load_a, ctx.seeded, set(single_rooms), failures)
    on_b = await clinicians_for(load_b, ctx.seeded, set(cross_rooms), failures)
    single, cross = ctx.guests(single_visits), ctx.guests(cross_visits)
    sockets = [c.sio for c in (*on_a.values(), *on_b.values())]
    _, arrival_failures = await arrive_all(load_a, single + cross, ctx.scale.arrival_concurrency)
    failures.update(arrival_failures)
    sockets += [g.sio for g in single + cross]
    samples: dict[str, list[float]] = {"single": [], "cross": []}

    async def admit(kind: str, clinician: Clinician, guest: Guest) -> float:
        latency = await admission(clinician, guest)
        samples[kind].append(latency)
        return latency

    steps = [
        functools.partial(admit, kind, clinicians[g.visit.room_id], g)
        for pair in itertools.zip_longest(single, cross)
        for kind, clinicians, g in zip(("single", "cross"), (on_a, on_b), pair, strict=True)
        if g is not None and g.state == "waiting"
    ]
    for server, load in ((a, load_a), (b, load_b)):
        await server.lag(load.http)
    sampled = await sequential(steps, PHASE_DEADLINE, 0)
    warm = ctx.scale.admission_warmup // 2
    failures.update(sampled.failures)
    figures = {
        "guests_on_a": len(single) + len(cross),
        "single": summary(samples["single"][warm:]),
        "cross": summary(samples["cross"][warm:]),
        "lag_a": await a.lag(load_a.http, "stop"),
        "lag_b": await b.lag(load_b.http, "stop"),
        "failures": sum(failures.values()),
        "failure_kinds": dict(failures),
    }
    return figures, sockets


async def bystander_cpu(
    ctx: Context,
    a: ServerProcess,
    b: ServerProcess,
    load_a: Load,
    load_b: Load,
    redis: Any,
    offset: int,
) -> tuple[dict[str, Any], list[Any]]:
    """B's CPU while A takes a join storm for A's clinicians only, against B idle."""
    single_rooms, _ = _split_rooms(ctx)
    bystander = await connect_clinician(load_b, BYSTANDER, ctx.seeded.clinicians[BYSTANDER])
    guests = ctx.guests(ctx.seeded.pick(ctx.scale.instance_guests, single_rooms, offset=offset))
    sockets: list[Any] = [bystander.sio]
    window = 1.5 if ctx.scale.quick else 5.0
    idle = b.cpu().start()
    await asyncio.sleep(window)
    idle.stop()
    published = redis.commandstats().get("publish", 0)
    meter_a, meter_b = a.cpu().start(), b.cpu().start()
    started = now()
    arrivals = await bounded(
        guests, lambda g: arrive(load_a, g), ctx.scale.storm_concurrency, PHASE_DEADLINE
    )
    await asyncio.sleep(0.3)
    storm_s = now() - started
    meter_a.stop()
    meter_b.stop()
    messages = redis.commandstats().get("publish", 0) - published
    sockets += [g.sio for g in guests]
    failures = Counter(x.error for x in arrivals if x is not None and not x.ok)
    failures["not started"] += sum(1 for x in arrivals if x is None)
    idle_rate = idle.cpu_s / idle.wall_s if idle.wall_s else 0.0
    extra_b = max(0.0, meter_b.cpu_s - idle_rate * meter_b.wall_s)
    figures = {
        "storm_guests": len(guests),
        "storm_s": round(storm_s, 2),
        "pubsub_messages": messages,
        "a_cpu_percent": meter_a.percent,
        "b_cpu_percent": meter_b.percent,
        "b_idle_cpu_percent": idle.percent,
        "b_extra_cpu_s": round(extra_b, 3),
        "b_cpu_us_per_message": round(1e6 * extra_b / messages, 1) if messages else None,
        "b_share_of_a_cpu": ratio(extra_b, meter_a.cpu_s),
        "failures": sum(v for v in failures.values()),
        "failure_kinds": {k: v for k, v in failures.items() if v},
    }
    return figures, sockets


async def run(ctx: Context) -> Result:
    result = ctx.result(NAME, "Two instances on one Redis")
    per_room, offset = _per_room(ctx)
    await ctx.scenario(NAME, per_room)
    result.params = {
        "admitted_guests": ctx.scale.instance_guests // 2 * 2,
        "storm_guests": ctx.scale.instance_guests,
        "order": "single- and cross-instance admissions interleaved",
    }
    with contextlib.ExitStack() as stack:
        redis = ctx.redis(stack)
        a = ctx.lobby(stack, "instance-a", redis_url=redis.url, channel=CHANNEL)
        b = ctx.lobby(stack, "instance-b", redis_url=redis.url, channel=CHANNEL)
        load_a, load_b = Load(a.url), Load(b.url)
        sockets: list[Any] = []
        try:
            ctx.say("two instances: admissions")
            latency, more = await cross_vs_single(ctx, a, b, load_a, load_b)
            sockets += more
            ctx.say("two instances: bystander CPU")
            cpu, more = await bystander_cpu(ctx, a, b, load_a, load_b, redis, offset)
            sockets += more
        finally:
            await asyncio.gather(a.astop(), b.astop())
            await disconnect_all(sockets, 5.0)
            await load_a.close()
            await load_b.close()
    result.figures = {"cross_instance": latency, "bystander": cpu}
    result.baseline = {"single_instance": latency["single"]}
    result.ratio = {
        "p50": ratio(latency["cross"]["p50_ms"], latency["single"]["p50_ms"]),
        "p99": ratio(latency["cross"]["p99_ms"], latency["single"]["p99_ms"]),
    }
    result.failures = latency["failures"] + cpu["failures"]
    result.table = [
        [
            "admission p50 ms (cross vs single)",
            latency["cross"]["p50_ms"],
            latency["single"]["p50_ms"],
            result.ratio["p50"],
        ],
        [
            "admission p99 ms (cross vs single)",
            latency["cross"]["p99_ms"],
            latency["single"]["p99_ms"],
            result.ratio["p99"],
        ],
        ["storm on A: pub/sub messages", cpu["pubsub_messages"], "", ""],
        ["storm on A: A CPU %", cpu["a_cpu_percent"], "", ""],
        ["storm on A: B CPU % (vs B idle)", cpu["b_cpu_percent"], cpu["b_idle_cpu_percent"], ""],
        ["B CPU us per message for A", cpu["b_cpu_us_per_message"], "", ""],
        ["B extra CPU / A CPU", cpu["b_share_of_a_cpu"], "", ""],
    ]
    result.targets = [
        Target("cross/single-instance admission p99", result.ratio["p99"], "<=", TARGET_RATIO)
    ]
    return result
