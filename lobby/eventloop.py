"""The event loop `venterom serve` runs on: uvloop by default, the standard library's on
request (`VENTEROM_EVENT_LOOP=asyncio`).

uvloop runs the same asyncio code. It is here for the minute on the hour: with 2,000 guests
arriving at once, a timer on the server ran 14 to 29 ms late at the p99 on the standard loop
and 5 to 9 ms late on uvloop, and the p99 of a `join`'s acknowledgement was about a third
lower, for the same CPU (bench/README.md, item 28).
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("venterom.loop")

LOOPS = ("uvloop", "asyncio")


def new_event_loop(name: str) -> asyncio.AbstractEventLoop:
    """A new loop of the named kind. uvloop has no Windows build: where it cannot be
    imported, the standard loop runs instead, with a warning."""
    if name == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("uvloop is not installed; running on the standard asyncio loop")
        else:
            log.info("event loop", extra={"event_loop": "uvloop"})
            return uvloop.new_event_loop()
    log.info("event loop", extra={"event_loop": "asyncio"})
    return asyncio.new_event_loop()
