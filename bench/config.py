"""How big each benchmark runs: the full run (`make bench`) and the quick one (`--quick`)."""

from __future__ import annotations

from dataclasses import dataclass

BENCHMARKS = (
    "admission",
    "capacity",
    "join_storm",
    "redis_cost",
    "two_instances",
    "directory",
    "echo",
)
"""Every benchmark, in the order a full run takes them and the tables list them."""


@dataclass(frozen=True, slots=True)
class Scale:
    quick: bool
    rooms: int
    rooms_per_clinician: int
    """Each clinician owns this many rooms (logins are argon2: fewer clinicians start faster)."""
    admission_guests: int
    admission_warmup: int
    admission_workers: int
    """Worker processes holding the admission benchmark's clients (and its relay baseline's)."""
    capacity_levels: tuple[int, ...]
    capacity_probe: int
    """Guests admitted one by one (and measured) while the rest are held idle."""
    idle_seconds: float
    settle_seconds: float
    """Pause before idle measurements (and the length of the idle lag window)."""
    storm_guests: int
    storm_concurrency: int
    """Guest arrivals in flight at once during the storm (the harness's pace)."""
    cost_guests: int
    """Guests whose Redis round trips are counted, one operation at a time."""
    throughput_guests: int
    """Guests of each server in the Redis/memory throughput comparison."""
    instance_guests: int
    directory_guests: int
    """Guests whose directory statements are counted, one operation at a time (PostgreSQL)."""
    echo_sessions: int
    echo_concurrency: int
    echo_media_seconds: float
    clients_per_worker: int
    capacity_in_flight: int
    """Guest arrivals in flight over all workers while filling the lobby (paced: capacity is
    about holding guests; storms are benchmark 3)."""
    capacity_setup_s: float
    """Time allowed to fill the lobby; guests not in by then count as failures."""
    arrival_concurrency: int
    """Arrivals in flight while setting up (not measured)."""


FULL = Scale(
    quick=False,
    rooms=200,
    rooms_per_clinician=20,
    admission_guests=2_000,
    admission_warmup=50,
    admission_workers=4,
    capacity_levels=(1_000, 5_000, 10_000),
    capacity_probe=200,
    idle_seconds=10.0,
    settle_seconds=2.0,
    storm_guests=2_000,
    storm_concurrency=50,
    cost_guests=500,
    throughput_guests=1_000,
    instance_guests=400,
    directory_guests=200,
    echo_sessions=12,
    echo_concurrency=4,
    echo_media_seconds=5.0,
    clients_per_worker=2_500,
    capacity_in_flight=20,
    capacity_setup_s=180.0,
    arrival_concurrency=50,
)

QUICK = Scale(
    quick=True,
    rooms=20,
    rooms_per_clinician=10,
    admission_guests=100,
    admission_warmup=10,
    admission_workers=2,
    capacity_levels=(500,),
    capacity_probe=40,
    idle_seconds=2.0,
    settle_seconds=1.0,
    storm_guests=200,
    storm_concurrency=50,
    cost_guests=60,
    throughput_guests=60,
    instance_guests=60,
    directory_guests=30,
    echo_sessions=2,
    echo_concurrency=2,
    echo_media_seconds=1.5,
    clients_per_worker=2_500,
    capacity_in_flight=20,
    capacity_setup_s=60.0,
    arrival_concurrency=50,
)
