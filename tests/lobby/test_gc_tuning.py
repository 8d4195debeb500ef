"""The garbage collector is tuned while a server runs (VENTEROM_GC_TUNE), and put back after."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from lobby import gctune
from lobby.settings import Settings
from tests.fixtures.servers import Harness

OURS = (701, 11, 12)
"""Thresholds set before each test, so "restored" cannot pass by luck."""


@pytest.fixture(autouse=True)
def known_gc_state() -> Iterator[None]:
    before, callbacks = gc.get_threshold(), list(gc.callbacks)
    gc.unfreeze()
    gc.set_threshold(*OURS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.callbacks[:] = callbacks
        gc.unfreeze()


async def _frozen_soon() -> bool:
    for _ in range(200):
        if gc.get_freeze_count() > 0:
            return True
        await asyncio.sleep(0.01)
    return False


def test_on_by_default_and_off_with_zero() -> None:
    assert Settings().gc_tune is True
    assert Settings.from_env({"VENTEROM_GC_TUNE": "0"}).gc_tune is False
    assert Settings.from_env({"VENTEROM_GC_TUNE": "1"}).gc_tune is True


async def test_off_leaves_the_collector_alone(tmp_path: Path) -> None:
    callbacks = list(gc.callbacks)
    harness = Harness(tmp_path)
    try:
        await harness.server(gc_tune=False)
        assert gc.get_threshold() == OURS
        assert gc.callbacks == callbacks
        assert gc.get_freeze_count() == 0
    finally:
        await harness.close()
    assert gc.get_threshold() == OURS
    assert gc.callbacks == callbacks


async def test_tuned_while_any_app_runs_and_restored_after_the_last(tmp_path: Path) -> None:
    callbacks = list(gc.callbacks)
    harness = Harness(tmp_path)
    try:
        first = await harness.server()
        assert gc.get_threshold() == gctune.THRESHOLDS
        assert gc.get_freeze_count() > 0, "the built app is frozen at start-up"
        assert len(gc.callbacks) == len(callbacks) + 1

        second = await harness.server()  # tests run many apps in one process
        assert len(gc.callbacks) == len(callbacks) + 1, "hooked once per process"

        harness.servers.remove(first)
        await first.stop()
        assert gc.get_threshold() == gctune.THRESHOLDS, "the second app still runs"

        harness.servers.remove(second)
        await second.stop()
        assert gc.get_threshold() == OURS
        assert gc.callbacks == callbacks
        assert gc.get_freeze_count() == 0
    finally:
        await harness.close()


async def test_a_full_collection_is_followed_by_a_freeze(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    try:
        await harness.server()
        gc.unfreeze()
        assert gc.get_freeze_count() == 0
        gc.collect()  # generation 2
        assert await _frozen_soon()
    finally:
        await harness.close()


async def test_everything_is_unfrozen_and_collected_periodically(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="venterom.gc")
    async with gctune.tuned(unfreeze_every=0.05):
        for _ in range(200):
            if any(r.getMessage() == "gc unfrozen and collected" for r in caplog.records):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("no periodic unfreeze")
        assert await _frozen_soon(), "the survivors are frozen again"
    assert gc.get_threshold() == OURS
