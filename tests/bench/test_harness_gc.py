"""The harness's own garbage collector never runs inside a measured phase: serial phases
collect between their steps, and a whole benchmark runs with automatic collection off."""

from __future__ import annotations

import gc
from typing import Any

from bench.__main__ import _harness_collector_off
from bench.clients import now, sequential


class _Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_the_harness_collects_between_steps_never_inside_one() -> None:
    inside_step = False
    collections_inside: list[int] = []
    collections_between: list[int] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            (collections_inside if inside_step else collections_between).append(info["generation"])

    async def step() -> float:
        nonlocal inside_step
        inside_step = True
        started = now()
        garbage = [_Cycle() for _ in range(3 * gc.get_threshold()[0])]
        del garbage
        inside_step = False
        return now() - started

    gc.callbacks.append(record)
    try:
        sampled = await sequential([step] * 20, deadline_s=60.0, warmup=2)
    finally:
        gc.callbacks.remove(record)

    assert collections_inside == []
    assert len(collections_between) >= 20
    assert sampled.collecting_s > 0
    assert len(sampled.samples) == 18
    assert gc.isenabled()


def test_a_benchmark_runs_with_automatic_collection_off_and_collects_after() -> None:
    assert gc.isenabled()
    with _harness_collector_off():
        assert not gc.isenabled()
        left = _Cycle()
        del left
        assert any(isinstance(o, _Cycle) for o in gc.get_objects())
    assert gc.isenabled()
    assert not any(isinstance(o, _Cycle) for o in gc.get_objects())
