"""Garbage-collector tuning for a server that holds many long-lived objects.

A full (generation 2) collection walks every tracked object: with 2,000 waiting guests it
stopped the event loop for about 0.5 s, with 10,000 for 2.5 s (bench/README.md, "Why targets
are missed", item 1). While tuned, whatever survived start-up and each full collection is
moved to the permanent generation (`gc.freeze()`), so the next full collection scans only
newer objects, and young collections run every 10,000 allocations instead of 700.

Cyclic garbage among frozen objects is never collected, so every `unfreeze_every` seconds
(hourly) everything is unfrozen and collected once; the hook freezes the survivors again.

Several apps may run in one process (the tests start many): the first to start tunes the
collector, the last to stop restores the thresholds it found, removes the hook and unfreezes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger("venterom.gc")

THRESHOLDS = (10_000, 10, 10)
"""Young collections every 10,000 net allocations; older ones as CPython does (10, 10)."""
UNFREEZE_EVERY = 3600.0
"""Seconds between collections of everything (frozen cyclic garbage included)."""


class _Tuning:
    """The process-wide state: how many apps hold the tuning, and what to restore."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.previous: tuple[int, int, int] = gc.get_threshold()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.freeze_pending = False

    def acquire(self, loop: asyncio.AbstractEventLoop) -> None:
        with self.lock:
            self.users += 1
            if self.users == 1:
                self.previous = gc.get_threshold()
                self.loop = loop
                gc.set_threshold(*THRESHOLDS)
                gc.callbacks.append(self.after_collection)
        gc.freeze()

    def release(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users > 0:
                return
            with contextlib.suppress(ValueError):
                gc.callbacks.remove(self.after_collection)
            gc.set_threshold(*self.previous)
            self.loop = None
            self.freeze_pending = False
        gc.unfreeze()

    def after_collection(self, phase: str, info: dict[str, Any]) -> None:
        """`gc.callbacks` hook: after a full collection, freeze what survived (soon, from
        the event loop, not from inside the collector). Runs in any thread."""
        if phase != "stop" or info.get("generation") != 2:
            return
        loop = self.loop
        if loop is None or self.freeze_pending:
            return
        self.freeze_pending = True
        try:
            loop.call_soon_threadsafe(self.freeze)
        except RuntimeError:  # the loop is closed
            self.freeze_pending = False

    def freeze(self) -> None:
        self.freeze_pending = False
        if self.users > 0:
            gc.freeze()


_TUNING = _Tuning()


@contextlib.asynccontextmanager
async def tuned(unfreeze_every: float = UNFREEZE_EVERY) -> AsyncIterator[None]:
    """Tune the collector while the block runs (call it once the app is built)."""
    _TUNING.acquire(asyncio.get_running_loop())
    task = asyncio.create_task(_unfreeze_periodically(unfreeze_every), name="venterom-gc")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        _TUNING.release()


async def _unfreeze_periodically(seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()  # a full collection: the hook freezes the survivors again
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("gc unfrozen and collected", extra={"collected": found, "ms": elapsed_ms})
