"""A load worker process: holds many idle clients so one harness can drive 10,000.

`python -m bench.worker --url URL --tokens FILE` connects and joins a guest per token line
(`--bare N` instead opens N bare socket.io connections to the do-nothing app), prints one
JSON line `{"ready": ...}`, holds the connections, answers `count` on stdin with
`{"waiting": n}`, and on any other line (or EOF, or after `--hold` seconds) exits without a
graceful goodbye.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.clients import (
    GUEST_NS,
    Guest,
    Load,
    arrival_failures,
    arrive,
    bounded,
    error_name,
    now,
)
from bench.procs import raise_nofile, rss_kib, run_harness
from bench.seed import load_tokens


async def _bare(load: Load, count: int, concurrency: int, deadline: float) -> Counter[str]:
    failures: Counter[str] = Counter()
    sockets = []

    async def connect(_: int) -> None:
        sio = load.socket()
        sockets.append(sio)
        try:
            await load.connect(sio, GUEST_NS)
        except Exception as exc:
            failures[error_name(exc)] += 1

    await bounded(range(count), connect, concurrency, deadline)
    failures["not started"] += count - len(sockets)
    return failures


async def _guests(
    load: Load, guests: list[Guest], concurrency: int, deadline: float
) -> Counter[str]:
    arrivals = await bounded(guests, lambda g: arrive(load, g), concurrency, deadline)
    return arrival_failures(arrivals)


async def _serve_commands(guests: list[Guest], hold: float) -> None:
    """Answer `count` (guests connected and waiting) until `stop`, EOF or `hold` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + hold
    while loop.time() < deadline:
        try:
            line = await asyncio.wait_for(
                loop.run_in_executor(None, sys.stdin.readline), deadline - loop.time()
            )
        except TimeoutError:
            return
        if line.strip() != "count":
            return
        waiting = sum(
            1 for g in guests if g.sio is not None and g.sio.connected and g.state == "waiting"
        )
        print(json.dumps({"waiting": waiting}), flush=True)


async def run(args: argparse.Namespace) -> None:
    load = Load(args.url)
    started = now()
    guests = [Guest(v) for v in load_tokens(Path(args.tokens))] if args.tokens else []
    if args.bare:
        failures = await _bare(load, args.bare, args.concurrency, args.deadline)
        count = args.bare
    else:
        failures = await _guests(load, guests, args.concurrency, args.deadline)
        count = len(guests)
    report = {
        "ready": count - sum(failures.values()),
        "failures": dict(failures),
        "seconds": round(now() - started, 3),
        "rss_kib": rss_kib(os.getpid()),
    }
    print(json.dumps(report), flush=True)
    await _serve_commands(guests, args.hold)
    os._exit(0)  # thousands of sockets: let the kernel close them, skip the slow teardown


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", help="JSON lines of visits to bring in as waiting guests")
    parser.add_argument("--bare", type=int, default=0, help="bare connections to the noop app")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--hold", type=float, default=600.0)
    args = parser.parse_args(argv)
    raise_nofile()
    run_harness(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
