"""`python -m bench [--quick] [--out DIR] [--only NAME,...]`: run the benchmarks, print a
table for each, and write `<out>/<name>.json`."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import importlib
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.clients import collector_off
from bench.config import BENCHMARKS, FULL, QUICK
from bench.context import Context
from bench.experiments import EXPERIMENTS
from bench.procs import Cores, pin, raise_nofile, run_harness, versions
from bench.report import Result, render_table

RESULTS = Path(__file__).resolve().parent / "results"


def _workdir() -> Path:
    """A scratch folder on tmpfs when there is one (SQLite commits stay cheap)."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() else None
    return Path(tempfile.mkdtemp(prefix="venterom-bench-", dir=parent))


def _run_one(name: str, ctx: Context) -> Result:
    module = importlib.import_module(f"bench.{name}")
    runner: Callable[[Context], Coroutine[Any, Any, Result]] = module.run
    started = time.monotonic()
    try:
        with _harness_collector_off():
            result: Result = run_harness(runner(ctx))
    except Exception as exc:
        result = ctx.result(name, name)
        result.error = f"{type(exc).__name__}: {exc}"
        result.failures = max(result.failures, 1)
        traceback.print_exc()
    result.duration_s = time.monotonic() - started
    return result


@contextlib.contextmanager
def _harness_collector_off() -> Iterator[None]:
    """No automatic garbage collection in the harness while a benchmark runs; everything is
    collected after it (serial phases also collect between their steps: clients.sequential).

    One harness process plays thousands of clients, so each of its collections stops all of
    them at once, which independent browsers never do. With the collector on, full
    collections of up to 0.6 s (12 over the three join storms) set the storms' join p99,
    the do-nothing baseline's included. Off, the harness peaked at 176 MiB over the storms."""
    try:
        with collector_off():
            yield
    finally:
        gc.collect()


def _summary(results: list[Result]) -> str:
    rows = [
        [r.name, t.name, t.value, f"{t.op} {t.limit}", "met" if t.met else "MISSED"]
        for r in results
        for t in r.targets
    ]
    rows += [
        [r.name, "failures", r.failures, "== 0", "met" if not r.failures else "MISSED"]
        for r in results
    ]
    return render_table(["benchmark", "target", "value", "limit", ""], rows)


def results_folder(out: Path | None, quick: bool) -> Path:
    """Where results go: a quick run never replaces the full run's committed figures."""
    if out is not None:
        return out
    return RESULTS / "quick" if quick else RESULTS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under two minutes")
    parser.add_argument(
        "--out",
        type=Path,
        help="folder for the JSON results (default bench/results, bench/results/quick with"
        " --quick, so that a quick run never replaces the full run's figures)",
    )
    parser.add_argument("--only", default="", help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and logs")
    parser.add_argument(
        "--experiment",
        action="append",
        default=[],
        choices=sorted(EXPERIMENTS),
        help="patch a proposed fix into every lobby server (for before/after figures)",
    )
    parser.add_argument(
        "--levels", default="", help="capacity levels instead of the scale's, e.g. 10000"
    )
    parser.add_argument("--verbose", action="store_true", help="print progress to stderr")
    parser.add_argument(
        "--profile", type=Path, help="sample every server with py-spy into this folder"
    )
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {sorted(unknown)}")
    scale = QUICK if args.quick else FULL
    out = results_folder(args.out, args.quick)
    if args.levels:
        levels = tuple(int(n) for n in args.levels.split(","))
        scale = dataclasses.replace(scale, capacity_levels=levels)
    raise_nofile()
    cores = Cores.split()
    pin(0, cores.load)
    workdir = _workdir()
    started = time.monotonic()
    results: list[Result] = []
    ctx: Context | None = None
    try:
        ctx = Context(
            scale,
            workdir,
            cores,
            versions(),
            "bench-" + uuid.uuid4().hex,
            args.profile,
            args.verbose,
            tuple(args.experiment),
        )
        print(f"server CPUs {sorted(cores.server)}, load CPUs {sorted(cores.load)}", flush=True)
        for name in names:
            result = _run_one(name, ctx)
            result.write(out)
            results.append(result)
            print(result.render() + "\n", flush=True)
    finally:
        if ctx is not None:
            ctx.close()
        if args.keep:
            print(f"scratch folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(_summary(results))
    print(f"\nall benchmarks took {time.monotonic() - started:.0f} s; results in {out}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
