"""A load worker process: holds many clients so one harness can drive thousands, and plays
some of them on the harness's command.

`python -m bench.worker --url URL --tokens FILE` connects and joins a guest per token line
(`--bare N` instead opens N bare socket.io connections to the do-nothing app), prints one
JSON line `{"ready": ...}`, holds the connections and answers commands on stdin, one JSON
line each:

- `count`: `{"waiting": n}`, the guests connected and waiting;
- `admit VISIT_ID` (with `--clinicians FILE`, whose clinicians it logged in before the
  guests came): one admission by the room's clinician, `{"visit_id", "emitted", "arrived"}`
  from the `admit` emit to the guest's `in_call` visit event, on `time.perf_counter()` (one
  clock for the machine, so the harness can cut it at the server's stamps);
- `relay K` (with `--bare N --relay`): the do-nothing baseline of an admission: an extra
  client calls `relay` to bare connection K, which the server sends on to it;
  `{"emitted", "arrived"}` from the emit to K's receipt.

Any other line, EOF, or `--hold` seconds, and it exits without a graceful goodbye. Like the
harness (bench/README.md, "The harness's own garbage collector"), a worker that plays
clients collects only between commands, never inside one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import socketio

from bench.clients import (
    CALL_TIMEOUT,
    GUEST_NS,
    Clinician,
    Guest,
    Load,
    admission,
    arrival_failures,
    arrive,
    bounded,
    call,
    collect_if_due,
    connect_clinician,
    error_name,
    now,
)
from bench.procs import raise_nofile, rss_kib, run_harness
from bench.seed import load_tokens

Command = Callable[[str], Awaitable[dict[str, Any]]]
PLAYED = {"admit", "relay"}
"""Commands that play clients in a measured step (the collector waits between them)."""


class Bare:
    """Bare connections to the do-nothing app, and (with `relay`) a client that relays to
    them through the server."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self.sockets: list[socketio.AsyncClient] = []
        self.sids: list[str] = []
        self.sender: socketio.AsyncClient | None = None
        self._waiters: dict[int, asyncio.Future[float]] = {}

    async def open(self, count: int, concurrency: int, deadline: float) -> Counter[str]:
        failures: Counter[str] = Counter()

        async def connect(index: int) -> None:
            sio = self.load.socket()
            sio.on("relayed", lambda data: self._relayed(data), namespace=GUEST_NS)
            self.sockets.append(sio)
            try:
                await self.load.connect(sio, GUEST_NS)
            except Exception as exc:
                failures[error_name(exc)] += 1

        await bounded(range(count), connect, concurrency, deadline)
        failures["not started"] += count - len(self.sockets)
        self.sids = [s.get_sid(GUEST_NS) or "" for s in self.sockets]
        return failures

    async def add_sender(self) -> None:
        self.sender = self.load.socket()
        await self.load.connect(self.sender, GUEST_NS)

    def _relayed(self, data: dict[str, Any]) -> None:
        waiter = self._waiters.pop(int(data.get("n", -1)), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now())

    async def relay(self, argument: str) -> dict[str, Any]:
        index = int(argument)
        assert self.sender is not None
        arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[index] = arrived
        emitted = now()
        await call(self.sender, GUEST_NS, "relay", {"to": self.sids[index], "n": index})
        return {"emitted": emitted, "arrived": await asyncio.wait_for(arrived, CALL_TIMEOUT)}


class Guests:
    """Waiting guests, and the clinicians of their rooms to admit them."""

    def __init__(self, guests: list[Guest]) -> None:
        self.guests = {g.visit.visit_id: g for g in guests}
        self.clinicians: dict[str, Clinician] = {}

    async def log_in(self, load: Load, clinicians: dict[str, list[str]]) -> None:
        for username, rooms in clinicians.items():
            clinician = await connect_clinician(load, username, rooms)
            self.clinicians.update((room, clinician) for room in clinician.rooms)

    async def count(self, argument: str) -> dict[str, Any]:
        waiting = sum(
            1
            for g in self.guests.values()
            if g.sio is not None and g.sio.connected and g.state == "waiting"
        )
        return {"waiting": waiting}

    async def admit(self, visit_id: str) -> dict[str, Any]:
        guest = self.guests[visit_id]
        emitted = now()
        latency = await admission(self.clinicians[guest.visit.room_id], guest)
        return {"visit_id": visit_id, "emitted": emitted, "arrived": emitted + latency}


def load_clinicians(path: Path) -> dict[str, list[str]]:
    """username -> rooms, from JSON lines `{"username": ..., "rooms": [...]}`."""
    entries = [json.loads(line) for line in path.read_text().splitlines() if line]
    return {e["username"]: e["rooms"] for e in entries}


async def _serve_commands(commands: dict[str, Command], hold: float) -> None:
    """Answer commands until an unknown one, EOF or `hold` seconds."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    deadline = loop.time() + hold
    if set(commands) & PLAYED:
        gc.collect()
        gc.freeze()  # what was set up is not garbage: later collections skip it
        gc.disable()  # collected between commands only (collect_if_due)
    while loop.time() < deadline:
        try:
            line = await asyncio.wait_for(reader.readline(), deadline - loop.time())
        except TimeoutError:
            return
        name, _, argument = line.decode().strip().partition(" ")
        command = commands.get(name)
        if command is None:
            return
        try:
            answer = await command(argument)
        except Exception as exc:
            answer = {"error": error_name(exc)}
        print(json.dumps(answer), flush=True)
        collect_if_due()


async def run(args: argparse.Namespace) -> None:
    load = Load(args.url)
    started = now()
    commands: dict[str, Command] = {}
    if args.bare:
        bare = Bare(load)
        failures = await bare.open(args.bare, args.concurrency, args.deadline)
        count = args.bare
        if args.relay:
            await bare.add_sender()
            commands["relay"] = bare.relay
    else:
        guests = Guests([Guest(v) for v in load_tokens(Path(args.tokens))])
        if args.clinicians:
            await guests.log_in(load, load_clinicians(Path(args.clinicians)))
            commands["admit"] = guests.admit
        arrivals = await bounded(
            list(guests.guests.values()), lambda g: arrive(load, g), args.concurrency, args.deadline
        )
        failures = arrival_failures(arrivals)
        count = len(guests.guests)
        commands["count"] = guests.count
    report = {
        "ready": count - sum(failures.values()),
        "failures": dict(failures),
        "seconds": round(now() - started, 3),
        "rss_kib": rss_kib(os.getpid()),
    }
    print(json.dumps(report), flush=True)
    await _serve_commands(commands, args.hold)
    os._exit(0)  # thousands of sockets: let the kernel close them, skip the slow teardown


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", help="JSON lines of visits to bring in as waiting guests")
    parser.add_argument(
        "--clinicians", help="JSON lines of clinicians (username, rooms) to log in, for `admit`"
    )
    parser.add_argument("--bare", type=int, default=0, help="bare connections to the noop app")
    parser.add_argument("--relay", action="store_true", help="with --bare: answer `relay K`")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument("--hold", type=float, default=600.0)
    args = parser.parse_args(argv)
    raise_nofile()
    run_harness(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
