"""Processes the harness owns: Venterom servers, the do-nothing app, redis-server, load
workers; CPU pinning, the open-file limit, and what /proc tells about each of them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import redis
import uvloop

from lobby.settings import Settings

T = TypeVar("T")

FORBIDDEN_PORT = 6379
"""Another service may live on Redis's default port: never start on it or talk to it."""
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
SERVER_GRACE = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def raise_nofile() -> int:
    """Raise this process's open-file soft limit to the hard maximum; return the new limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    """A free loopback TCP port (never 6379)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port != FORBIDDEN_PORT:
            return port
    raise RuntimeError("no free port")


@dataclass(frozen=True, slots=True)
class Cores:
    """Which CPUs the servers and the load (harness, workers, redis) run on."""

    server: frozenset[int]
    load: frozenset[int]

    @classmethod
    def split(cls) -> Cores:
        """Servers on the first allowed CPU, load on the others (all together if only one)."""
        allowed = sorted(os.sched_getaffinity(0))
        if len(allowed) < 2:
            return cls(frozenset(allowed), frozenset(allowed))
        return cls(frozenset(allowed[:1]), frozenset(allowed[1:]))


def pin(pid: int, cpus: frozenset[int]) -> None:
    """Pin a process (0: this one) to `cpus`; ignored where the OS refuses."""
    with contextlib.suppress(OSError):
        os.sched_setaffinity(pid, cpus)


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS from /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far (/proc/<pid>/stat utime + stime)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU used by a process between `start()` and `stop()`, as seconds and % of one core."""

    pid: int
    _cpu: float = 0.0
    _wall: float = 0.0
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def start(self) -> CpuMeter:
        self._cpu, self._wall = cpu_seconds(self.pid), time.monotonic()
        return self

    def stop(self) -> CpuMeter:
        self.cpu_s = cpu_seconds(self.pid) - self._cpu
        self.wall_s = time.monotonic() - self._wall
        return self

    @property
    def percent(self) -> float:
        return round(100.0 * self.cpu_s / self.wall_s, 2) if self.wall_s else 0.0


def stop_process(
    process: subprocess.Popen[Any], sig: int = signal.SIGTERM, grace: float = STOP_TIMEOUT
) -> None:
    """Ask a child to stop, then kill it if it has not exited within `grace` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


@dataclass
class ServerProcess:
    """A server child (`python -m bench.serve lobby|noop`) listening on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    profiler: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        kind: str,
        workdir: Path,
        cores: Cores,
        env: Mapping[str, str] | None = None,
        name: str = "",
        profile_dir: Path | None = None,
    ) -> ServerProcess:
        """Start a server, pin it to the server cores and wait until /healthz answers.

        With `profile_dir`, py-spy samples it into `<profile_dir>/<name>-<port>.txt`
        (collapsed stacks, `--format raw`) until it exits.
        """
        port = free_port()
        log = workdir / f"{name or kind}-{port}.log"
        full_env = {**os.environ, **(env or {}), "VENTEROM_PORT": str(port)}
        full_env["VENTEROM_HOST"] = "127.0.0.1"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bench.serve", kind, "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=Path(__file__).resolve().parent.parent,
            )
        pin(process.pid, cores.server)
        server = cls(process, port, log)
        try:
            server.wait_ready()
            if profile_dir is not None:
                server.profiler = _py_spy(process.pid, profile_dir / f"{name or kind}-{port}.txt")
        except BaseException:
            server.stop()
            raise
        return server

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early; log:\n{self.log.read_text()[-4000:]}")
            if _healthy(self.port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer /healthz; log:\n{self.log.read_text()[-4000:]}")

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def cpu(self) -> CpuMeter:
        return CpuMeter(self.pid)

    async def lag(self, http: aiohttp.ClientSession, action: str = "reset") -> dict[str, Any]:
        """Event-loop lag the server measured on itself (ms) since it was last reset; then
        `reset` (clear and sample on), `stop` (sample no more) or `read` (no change)."""
        url = f"{self.url}/_bench/lag?{action}=1"
        async with http.get(url) as response:
            result: dict[str, Any] = await response.json()
            return result

    async def stamps(self, http: aiohttp.ClientSession) -> dict[str, dict[str, float]]:
        """When the server started each admission and sent its in_call frame (bench.stamps)."""
        async with http.get(f"{self.url}/_bench/stamps") as response:
            result: dict[str, dict[str, float]] = await response.json()
            return result

    async def redis_trips(self, http: aiohttp.ClientSession) -> Counter[str]:
        """Redis round trips the server's own clients made so far, by label (bench.trips)."""
        async with http.get(f"{self.url}/_bench/redis_trips") as response:
            return Counter(await response.json())

    async def directory_statements(self, http: aiohttp.ClientSession) -> Counter[str]:
        """Directory statements the server ran so far, by label (bench.dircount)."""
        async with http.get(f"{self.url}/_bench/directory") as response:
            return Counter(await response.json())

    def stop(self) -> None:
        """Stop the server: SIGINT, then SIGKILL after SERVER_GRACE seconds.

        A graceful stop of a server holding thousands of sockets takes long (aiohttp waits
        for every websocket handler) and measures nothing; its state is disposable.
        """
        stop_process(self.process, signal.SIGINT, SERVER_GRACE)
        if self.profiler is not None:
            stop_process(self.profiler, signal.SIGINT)

    async def astop(self) -> None:
        """Stop without blocking the caller's loop (its clients answer the closing handshakes)."""
        await asyncio.to_thread(self.stop)


@dataclass
class RedisProcess:
    """A private redis-server (no persistence) on a free loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    monitors: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls, workdir: Path, cores: Cores) -> RedisProcess:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        port = free_port()
        log = workdir / f"redis-{port}.log"
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        args += ["no", "--dir", str(workdir)]
        with log.open("wb") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        pin(process.pid, cores.load)
        server = cls(process, port, log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if server.ping():
                return server
            time.sleep(0.05)
        server.stop()
        raise RuntimeError(f"redis-server did not start; log:\n{log.read_text()}")

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)

    def ping(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def flush(self) -> None:
        """Empty this private server (never used for anything but this run)."""
        client = self.client()
        try:
            client.flushall()
        finally:
            client.close()

    def commandstats(self) -> dict[str, int]:
        """Calls per command so far (INFO commandstats; includes calls made inside scripts)."""
        client = self.client()
        try:
            info = client.info("commandstats")
        finally:
            client.close()
        return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()}

    def monitor(self, path: Path) -> subprocess.Popen[bytes]:
        """Start `redis-cli monitor` writing every command the server runs to `path`."""
        cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        with path.open("wb") as out:
            process = subprocess.Popen(
                [cli, "-p", str(self.port), "monitor"], stdout=out, stderr=subprocess.DEVNULL
            )
        self.monitors.append(process)
        return process

    def stop(self) -> None:
        """Stop monitors, then the server (SIGTERM: it exits without saving, as started)."""
        for monitor in self.monitors:
            stop_process(monitor)
        stop_process(self.process)


def _healthy(port: int) -> bool:
    """Whether GET /healthz on the port answers 200 within a second."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return b" 200 " in sock.recv(256)
    except OSError:
        return False


def _py_spy(pid: int, output: Path) -> subprocess.Popen[bytes]:
    """Sample a process with py-spy (installed in the venv) until it exits."""
    binary = Path(sys.executable).with_name("py-spy")
    command = [str(binary), "record", "--pid", str(pid), "--format", "raw", "--rate", "200"]
    command += ["--nonblocking", "--output", str(output)]
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.with_suffix(".log").open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def run_harness(main: Coroutine[Any, Any, T]) -> T:
    """Run a harness process's coroutine on uvloop. The harness plays thousands of clients
    on one core, and what it spends per message is added to every latency it measures
    (bench/README.md, item 30)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def versions() -> dict[str, str]:
    """Versions of what the figures depend on."""
    from importlib.metadata import version

    found = {"python": sys.version.split()[0]}
    for package in ("aiohttp", "python-socketio", "python-engineio", "redis", "aiortc", "uvloop"):
        with contextlib.suppress(Exception):
            found[package] = version(package)
    found["event_loop"] = Settings.from_env().event_loop
    found.update(_source_revision())
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        found["redis-server"] = next(
            (p.split("=", 1)[1] for p in out.split() if p.startswith("v=")), out.strip()
        )
    except OSError:
        found["redis-server"] = "missing"
    return found


def _source_revision() -> dict[str, str]:
    """The commit the product code comes from, and whether lobby/ or signaling/ differ."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--", "lobby", "signaling")
    except OSError:
        return {}
    return {"venterom": head + ("+uncommitted" if changed else "")} if head else {}


def worker_command(args: Sequence[str]) -> list[str]:
    """The command line of a load worker process."""
    return [sys.executable, "-m", "bench.worker", *args]
