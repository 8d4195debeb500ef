"""Benchmark 4, Redis cost: Redis round trips and commands per join and per admission, and
Redis-store throughput as a ratio of memory-store throughput (joins/s, admissions/s).

Round trips are counted by the server's own Redis clients (bench.trips: each command or
script call is one, each pipeline is one), including the coalesced lobby flushes and pub/sub
publishes each phase triggers. The sweeper's periodic work (heartbeats, expiry, instance
stats, bulk republish) is counted separately ("background"). As a cross-check, the same is
estimated from `MONITOR` on the harness's own redis-server (commands inside Lua scripts
excluded; consecutive commands of one client close together taken as one pipeline, see
`round_trips`), and `INFO commandstats` deltas (which include commands run inside scripts)
are reported too.

The counted phases run one operation at a time, so a figure is what one operation costs
alone. With many in flight, concurrent calls share writes (lobby/adapters/resp.py):
the throughput phase on Redis reports that figure as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.clients import (
    Clinician,
    Guest,
    Load,
    admission,
    bounded,
    disconnect_all,
    join_room,
    now,
)
from bench.context import Context, arrive_all, clinicians_for
from bench.procs import RedisProcess, ServerProcess, stop_process
from bench.report import Result, Target
from bench.seed import spread
from bench.stats import ratio
from bench.trips import label

NAME = "redis_cost"
TRAILING_S = 0.4
MONITOR_START_S = 5.0
THROUGHPUT_DEADLINE = 300.0
THROUGHPUT_CHUNKS = 5
"""Turns each server takes per phase in the throughput comparison."""
TARGET_ROUND_TRIPS = 2.0
TARGET_THROUGHPUT_RATIO = 0.6
BACKGROUND = ("heartbeats", "reconnecting", "instance", "kept", "changed")
"""Labels of the sweeper's periodic work (per instance per second, not per event)."""
BULK = 20
"""A pipeline of at least this many of one command is periodic bulk work (republish)."""
BATCH_GAP_S = 50e-6

_LINE = re.compile(r"^(\d+\.\d+) \[\d+ ([^\]]+)\] (.*)$")
_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"')


def round_trips(lines: list[str]) -> Counter[str]:
    """Client round trips by label from MONITOR output.

    Redis runs all the commands a client pipelined (MULTI…EXEC included) back to back, so
    consecutive commands from one client less than BATCH_GAP_S apart count as one round
    trip, labelled `pipeline(...)`; a reply must travel before a client's next command.
    """
    counts: Counter[str] = Counter()
    batch: list[str] = []
    last_client, last_time = "", 0.0
    for line in lines:
        match = _LINE.match(line)
        if match is None or match.group(2) == "lua":
            continue
        when, client, args = float(match.group(1)), match.group(2), _ARG.findall(match.group(3))
        if not args:
            continue
        if batch and (client != last_client or when - last_time > BATCH_GAP_S):
            counts[_batch_label(batch)] += 1
            batch = []
        batch.append(label(args))
        last_client, last_time = client, when
    if batch:
        counts[_batch_label(batch)] += 1
    return counts


def _batch_label(batch: list[str]) -> str:
    inner = [name for name in batch if name not in {"multi", "exec"}]
    if len(batch) == 1:
        return batch[0]
    parts = [f"{k} x{n}" if n > 1 else k for k, n in sorted(Counter(inner).items())]
    return f"pipeline({', '.join(parts)})"


def is_background(name: str) -> bool:
    """The sweeper's periodic work: heartbeats, expiry, instance stats, the keeper's checks,
    bulk republish (a burst of queued publishes is not background: it is the phase's own
    messages), and the socket.io subscriber's keepalive `ping` after 10 s of silence. A
    pipeline shared by concurrent calls (lobby/adapters/resp.py) is background only if all of its
    calls are."""
    if name == "ping":
        return True
    if name.startswith("pipeline(") and "evalsha" in name:
        return all(is_background(part.rsplit(" x", 1)[0]) for part in name[9:-1].split(", "))
    if any(word in name for word in BACKGROUND):
        return True
    return name.startswith("pipeline(") and any(
        int(part.rsplit(" x", 1)[1]) >= BULK and not part.startswith("publish")
        for part in name[9:-1].split(", ")
        if " x" in part
    )


def per_op(
    client: Counter[str], monitored: Counter[str], commandstats: dict[str, int], ops: int
) -> dict[str, Any]:
    """Round trips per operation, with the sweeper's background work split out."""

    def spread(counts: Counter[str]) -> tuple[int, int, float | None, dict[str, float]]:
        total = sum(counts.values())
        background = sum(n for name, n in counts.items() if is_background(name))
        per = round((total - background) / ops, 2) if ops else None
        breakdown = {
            name: round(n / ops, 2)
            for name, n in counts.most_common()
            if ops and not is_background(name)
        }
        return total, background, per, breakdown

    total, background, per, breakdown = spread(client)
    _, _, monitor_per, monitor_breakdown = spread(monitored)
    return {
        "operations": ops,
        "round_trips": total,
        "background_round_trips": background,
        "round_trips_per_op": per,
        "breakdown_per_op": breakdown,
        "background": {name: n for name, n in client.most_common() if is_background(name)},
        "monitor_round_trips_per_op": monitor_per,
        "monitor_breakdown_per_op": monitor_breakdown,
        "commands_incl_scripts_per_op": round(sum(commandstats.values()) / ops, 2) if ops else None,
        "commandstats_delta": dict(sorted(commandstats.items(), key=lambda kv: -kv[1])),
    }


class Monitor:
    """One phase: the server's own round-trip counts, and `redis-cli monitor` around it."""

    def __init__(self, redis: RedisProcess, path: Path, server: ServerProcess, load: Load) -> None:
        self.redis, self.path = redis, path
        self.server, self.load = server, load
        self.stats: dict[str, int] = {}
        self.trips: Counter[str] = Counter()

    async def __aenter__(self) -> Monitor:
        self.stats = self.redis.commandstats()
        self.trips = await self.server.redis_trips(self.load.http)
        self.process = self.redis.monitor(self.path)
        for _ in range(int(MONITOR_START_S / 0.02)):
            if self.path.stat().st_size:
                break
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.sleep(TRAILING_S)
        self.trips = await self.server.redis_trips(self.load.http) - self.trips
        await asyncio.to_thread(stop_process, self.process, signal.SIGTERM, 2.0)

    def result(self, ops: int) -> dict[str, Any]:
        after = self.redis.commandstats()
        delta = {k: v - self.stats.get(k, 0) for k, v in after.items()}
        delta = {k: v for k, v in delta.items() if v and k not in {"info", "monitor"}}
        lines = self.path.read_text(errors="replace").splitlines()
        return per_op(self.trips, round_trips(lines), delta, ops)


async def count_phases(ctx: Context, redis: RedisProcess, server: ServerProcess) -> dict[str, Any]:
    """Round trips while guests arrive, join, and are admitted (one phase each)."""
    count = ctx.scale.cost_guests
    load = Load(server.url)
    guests: list[Guest] = []
    clinician_sockets: list[Any] = []
    phases: dict[str, Any] = {}
    failures: Counter[str] = Counter()
    try:
        visits = ctx.seeded.pick(count)
        clinicians = await clinicians_for(load, ctx.seeded, {v.room_id for v in visits}, failures)
        clinician_sockets = [c.sio for c in clinicians.values()]
        guests = ctx.guests(visits)
        arrive_path = ctx.workdir / "monitor-arrive.txt"
        # One at a time: what an operation costs alone. Concurrent calls share pipelines,
        # which `throughput` shows.
        async with Monitor(redis, arrive_path, server, load) as arrive_monitor:
            _, arrival_failures = await arrive_all(load, guests, 1, join=False)
            failures.update(arrival_failures)
        phases["open_link_and_connect"] = arrive_monitor.result(count)
        async with Monitor(redis, ctx.workdir / "monitor-join.txt", server, load) as join_monitor:
            joined = await bounded(guests, _safe(join_room), 1, THROUGHPUT_DEADLINE)
        phases["join"] = join_monitor.result(count)
        waiting = [g for g in guests if g.state == "waiting"]

        async def admit(guest: Guest) -> float:
            return await admission(clinicians[guest.visit.room_id], guest)

        async with Monitor(redis, ctx.workdir / "monitor-admit.txt", server, load) as admit_monitor:
            admitted = await bounded(waiting, _safe(admit), 1, THROUGHPUT_DEADLINE)
        phases["admit"] = admit_monitor.result(len(waiting))
    finally:
        await server.astop()
        await disconnect_all([g.sio for g in guests] + clinician_sockets, 5.0)
        await load.close()
    failures["join failed"] += sum(1 for j in joined if j is None or j < 0)
    failures["admit failed"] += sum(1 for a in admitted if a is None or a < 0)
    phases["failures"] = sum(failures.values())
    phases["failure_kinds"] = {k: v for k, v in failures.items() if v}
    return phases


def _safe(step: Any) -> Any:
    async def run(guest: Guest) -> float:
        try:
            result: float = await step(guest)
            return result
        except Exception:
            return -1.0

    return run


@dataclass
class Side:
    """One server of the throughput comparison and its clients."""

    name: str
    server: ServerProcess
    on_redis: bool
    load: Load
    guests: list[Guest] = field(default_factory=list)
    clinicians: dict[str, Clinician] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    """Operations that succeeded, by phase."""
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    cpu_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    trips: dict[str, Counter[str]] = field(default_factory=dict)

    async def arrive(self, ctx: Context, visits: list[Any]) -> None:
        rooms = {v.room_id for v in visits}
        self.clinicians = await clinicians_for(self.load, ctx.seeded, rooms, self.failures)
        self.guests = ctx.guests(visits)
        _, failures = await arrive_all(
            self.load, self.guests, ctx.scale.arrival_concurrency, join=False
        )
        self.failures.update(failures)

    async def admit(self, guest: Guest) -> float:
        return await admission(self.clinicians[guest.visit.room_id], guest)

    async def measure(self, phase: str, step: Any, items: list[Guest], concurrency: int) -> None:
        """One chunk of a phase, timed and metered; counted into the phase's totals."""
        meter = self.server.cpu().start()
        started = now()
        results = await bounded(items, _safe(step), concurrency, THROUGHPUT_DEADLINE)
        self.seconds[phase] += now() - started
        self.cpu_s[phase] += meter.stop().cpu_s
        ok = sum(1 for r in results if r is not None and r >= 0)
        self.done[phase] += ok
        self.failures[f"{phase} failed"] += len(items) - ok

    def figures(self, concurrency: int) -> dict[str, Any]:
        def rate(phase: str) -> float | None:
            return round(self.done[phase] / self.seconds[phase], 1) if self.seconds[phase] else None

        def cpu(phase: str) -> float | None:
            seconds = self.seconds[phase]
            return round(100.0 * self.cpu_s[phase] / seconds, 2) if seconds else None

        shared = {}
        if self.on_redis:
            shared = {
                "round_trips_per_join": _own_work(self.trips["join"], self.done["join"]),
                "round_trips_per_admission": _own_work(self.trips["admit"], self.done["admit"]),
            }
        return {
            **shared,
            "joins_per_s": rate("join"),
            "join_server_cpu_percent": cpu("join"),
            "admissions_per_s": rate("admit"),
            "admit_server_cpu_percent": cpu("admit"),
            "in_flight": concurrency,
            "chunks": THROUGHPUT_CHUNKS,
            "failures": sum(self.failures.values()),
            "failure_kinds": {k: v for k, v in self.failures.items() if v},
        }


async def throughput(ctx: Context, sides: list[Side]) -> None:
    """Joins/s and admissions/s with many in flight, the server's CPU share, and (on Redis)
    the round trips per operation when they share pipelines.

    The servers run side by side and take turns, a chunk of operations each, so that a slow
    spell of the machine (they come and go over seconds here) falls on both alike."""
    concurrency = ctx.scale.arrival_concurrency
    visits = ctx.seeded.pick(ctx.scale.throughput_guests)
    for side in sides:
        await side.arrive(ctx, visits)

    async def phase(name: str, step_of: Any, items_of: Any) -> None:
        before = {s.name: await s.server.redis_trips(s.load.http) for s in sides if s.on_redis}
        items = {s.name: items_of(s) for s in sides}
        for chunk in range(THROUGHPUT_CHUNKS):
            order = sides if chunk % 2 == 0 else sides[::-1]
            for side in order:
                part = items[side.name][chunk::THROUGHPUT_CHUNKS]
                await side.measure(name, step_of(side), part, concurrency)
        await asyncio.sleep(TRAILING_S)
        for side in sides:
            if side.on_redis:
                after = await side.server.redis_trips(side.load.http)
                side.trips[name] = after - before[side.name]

    await phase("join", lambda side: join_room, lambda side: side.guests)
    await phase(
        "admit",
        lambda side: side.admit,
        lambda side: [g for g in side.guests if g.state == "waiting"],
    )


def _own_work(trips: Counter[str], ops: int) -> float | None:
    own = sum(n for name, n in trips.items() if not is_background(name))
    return round(own / ops, 2) if ops else None


async def run(ctx: Context) -> Result:
    count = ctx.scale.cost_guests
    compared = ctx.scale.throughput_guests
    result = ctx.result(
        NAME, f"Redis cost ({count} guests: round trips; {compared} each: throughput)"
    )
    result.params = {
        "guests": count,
        "throughput_guests": compared,
        "throughput_chunks": THROUGHPUT_CHUNKS,
        "in_flight": ctx.scale.arrival_concurrency,
    }
    await ctx.scenario(NAME, spread(max(count, ctx.scale.throughput_guests), ctx.scale.rooms))
    ctx.say("redis cost: counting round trips")
    with contextlib.ExitStack() as stack:
        redis = ctx.redis(stack)
        server = ctx.lobby(stack, "cost-count", redis_url=redis.url)
        counted = await count_phases(ctx, redis, server)
    ctx.say("redis cost: throughput, memory and Redis taking turns")
    with contextlib.ExitStack() as stack:
        redis = ctx.redis(stack)
        memory_server = ctx.lobby(stack, "cost-memory")
        redis_server = ctx.lobby(stack, "cost-redis", redis_url=redis.url)
        sides = [
            Side("memory", memory_server, False, Load(memory_server.url)),
            Side("redis", redis_server, True, Load(redis_server.url)),
        ]
        try:
            await throughput(ctx, sides)
        finally:
            for side in sides:
                await side.server.astop()
                await disconnect_all(
                    [g.sio for g in side.guests] + [c.sio for c in side.clinicians.values()], 5.0
                )
                await side.load.close()
    concurrency = ctx.scale.arrival_concurrency
    memory, on_redis = (side.figures(concurrency) for side in sides)
    result.figures = {"round_trips": counted, "throughput_redis": on_redis}
    result.baseline = {"throughput_memory": memory}
    result.ratio = {
        "joins_per_s": ratio(on_redis["joins_per_s"], memory["joins_per_s"]),
        "admissions_per_s": ratio(on_redis["admissions_per_s"], memory["admissions_per_s"]),
    }
    result.failures = counted["failures"] + memory["failures"] + on_redis["failures"]
    join, admit = counted["join"], counted["admit"]
    in_flight = ctx.scale.arrival_concurrency
    arrive = counted["open_link_and_connect"]
    result.table = [
        ["round trips per open link + connect (alone)", arrive["round_trips_per_op"], "", ""],
        ["round trips per join (alone)", join["round_trips_per_op"], "", ""],
        ["round trips per admission (alone)", admit["round_trips_per_op"], "", ""],
        [f"round trips per join ({in_flight} in flight)", on_redis["round_trips_per_join"], "", ""],
        [
            f"round trips per admission ({in_flight} in flight)",
            on_redis["round_trips_per_admission"],
            "",
            "",
        ],
        ["round trips per join (MONITOR estimate)", join["monitor_round_trips_per_op"], "", ""],
        [
            "round trips per admission (MONITOR estimate)",
            admit["monitor_round_trips_per_op"],
            "",
            "",
        ],
        ["commands (incl. in scripts) per join", join["commands_incl_scripts_per_op"], "", ""],
        [
            "commands (incl. in scripts) per admission",
            admit["commands_incl_scripts_per_op"],
            "",
            "",
        ],
        [
            "joins/s (redis vs memory)",
            on_redis["joins_per_s"],
            memory["joins_per_s"],
            result.ratio["joins_per_s"],
        ],
        [
            "admissions/s (redis vs memory)",
            on_redis["admissions_per_s"],
            memory["admissions_per_s"],
            result.ratio["admissions_per_s"],
        ],
        [
            "server CPU % joining (redis vs memory)",
            on_redis["join_server_cpu_percent"],
            memory["join_server_cpu_percent"],
            "",
        ],
        [
            "server CPU % admitting (redis vs memory)",
            on_redis["admit_server_cpu_percent"],
            memory["admit_server_cpu_percent"],
            "",
        ],
    ]
    result.targets = [
        Target("Redis round trips per join", join["round_trips_per_op"], "<=", TARGET_ROUND_TRIPS),
        Target(
            "Redis round trips per admission", admit["round_trips_per_op"], "<=", TARGET_ROUND_TRIPS
        ),
        Target("Redis/memory joins/s", result.ratio["joins_per_s"], ">=", TARGET_THROUGHPUT_RATIO),
        Target(
            "Redis/memory admissions/s",
            result.ratio["admissions_per_s"],
            ">=",
            TARGET_THROUGHPUT_RATIO,
        ),
    ]
    return result
