"""Load worker processes, started and stopped by the harness (see bench.worker)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procs import Cores, pin, worker_command

READY_TIMEOUT = 400.0
ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 10.0


@dataclass
class Fleet:
    """Worker processes holding idle clients; `ready` sums what they reported."""

    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ready(self) -> int:
        return sum(int(r.get("ready", 0)) for r in self.reports)

    @property
    def failures(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for report in self.reports:
            total.update(report.get("failures", {}))
        return total

    @property
    def rss_kib(self) -> int:
        return sum(int(r.get("rss_kib", 0)) for r in self.reports)

    async def start(self, args: list[list[str]], cores: Cores, log: Path) -> None:
        """Start one worker per argument list and wait until every one reports ready."""
        with log.open("ab") as errors:
            for worker_args in args:
                process = await asyncio.create_subprocess_exec(
                    *worker_command(worker_args),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=errors,
                    cwd=ROOT,
                )
                pin(process.pid, cores.load)
                self.processes.append(process)
        async with asyncio.timeout(READY_TIMEOUT):
            for process in self.processes:
                assert process.stdout is not None
                line = await process.stdout.readline()
                self.reports.append(json.loads(line) if line else {"ready": 0, "failures": {}})

    async def ask(self, index: int, command: str) -> dict[str, Any]:
        """Send worker `index` a command line and return its one-line JSON answer."""
        process = self.processes[index]
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(command.encode() + b"\n")
        await process.stdin.drain()
        async with asyncio.timeout(READY_TIMEOUT):
            line = await process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {index} exited (asked {command!r})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def waiting(self) -> int:
        """How many of the workers' guests are connected and waiting right now."""
        total = 0
        async with asyncio.timeout(READY_TIMEOUT):
            for process in self.processes:
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(b"count\n")
                await process.stdin.drain()
                line = await process.stdout.readline()
                total += int(json.loads(line).get("waiting", 0)) if line else 0
        return total

    async def stop(self) -> None:
        """Tell every worker to exit; kill those still running after STOP_TIMEOUT."""
        for process in self.processes:
            if process.returncode is None and process.stdin is not None:
                with contextlib.suppress(Exception):
                    process.stdin.write(b"stop\n")
                    await process.stdin.drain()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        self.processes.clear()
