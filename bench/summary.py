"""`python -m bench.summary [DIR ...]`: the targets and tables of saved results, as Markdown
(what bench/README.md quotes). Given the folders of several runs, each figure is their
median, with the spread (lowest-highest) beside it, and a target is judged on its median."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.config import BENCHMARKS
from bench.report import fmt, render_table


def load(folder: Path) -> list[dict[str, Any]]:
    """The results in `folder`, in benchmark order."""
    found = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    return [found[name] for name in BENCHMARKS if name in found]


def median(values: Sequence[Any]) -> Any:
    """The median of the numbers among `values` (None if there are none; a single
    non-numeric value as it is, several as `a / b / c`)."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers:
        return statistics.median(numbers)
    texts = [str(v) for v in values if v not in (None, "")]
    if not texts:
        return ""
    return texts[0] if len(set(texts)) == 1 else " / ".join(texts)


def spread(values: Sequence[Any]) -> str:
    """`lowest-highest` of the numbers among `values` (empty when fewer than two)."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) < 2:
        return ""
    return f"{fmt(min(numbers))}-{fmt(max(numbers))}"


def targets(results: list[dict[str, Any]]) -> str:
    rows = [
        [r["name"], t["name"], t["value"], f"{t['op']} {t['limit']}", _verdict(t["met"])]
        for r in results
        for t in r["targets"]
    ]
    rows += [
        [r["name"], "failures", r["failures"], "== 0", _verdict(not r["failures"])] for r in results
    ]
    return render_table(["benchmark", "target", "value", "limit", ""], rows)


def target_medians(runs: list[list[dict[str, Any]]]) -> str:
    """The targets over several runs: median, spread, how many runs met it, and the verdict
    on the median."""
    rows = []
    for name, per_run in _by_benchmark(runs).items():
        for target in per_run[0]["targets"]:
            found = [_target(r, target["name"]) for r in per_run]
            values = [t["value"] for t in found if t is not None]
            middle = median(values)
            met = sum(1 for t in found if t is not None and t["met"])
            rows.append(
                [
                    name,
                    target["name"],
                    middle,
                    spread(values),
                    f"{target['op']} {fmt(target['limit'])}",
                    f"{met} of {len(per_run)}",
                    _verdict(_meets(middle, target["op"], target["limit"])),
                ]
            )
        failures = [r["failures"] for r in per_run]
        rows.append(
            [
                name,
                "failures",
                median(failures),
                spread(failures),
                "== 0",
                "",
                _verdict(not any(failures)),
            ]
        )
    headers = ["benchmark", "target", "median", "spread", "limit", "runs met", ""]
    return render_table(headers, rows)


def table_medians(per_run: list[dict[str, Any]]) -> str:
    """One benchmark's table over several runs: each cell's median, and the value's spread."""
    rows = []
    for row in per_run[0].get("table", []):
        cells = [_row(r, row[0]) for r in per_run]
        columns = [[c[i] for c in cells if c is not None] for i in range(1, 4)]
        rows.append(
            [row[0], median(columns[0]), spread(columns[0]), median(columns[1]), median(columns[2])]
        )
    return render_table(["metric", "median", "spread", "baseline", "ratio"], rows)


def _by_benchmark(runs: list[list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """name -> that benchmark's result in every run that has it (in run order)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        for result in run:
            found.setdefault(result["name"], []).append(result)
    return {name: found[name] for name in BENCHMARKS if name in found}


def _target(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((t for t in result["targets"] if t["name"] == name), None)


def _row(result: dict[str, Any], metric: str) -> list[Any] | None:
    return next((row for row in result.get("table", []) if row[0] == metric), None)


def _meets(value: Any, op: str, limit: float) -> bool:
    if not isinstance(value, int | float):
        return False
    return value <= limit if op == "<=" else value >= limit


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _one(results: list[dict[str, Any]]) -> None:
    first = results[0]
    print(f"cpu_count {first['cpu_count']}, versions {first['versions']}, quick {first['quick']}\n")
    print(targets(results))
    for result in results:
        print(f"\n### {result['title']} ({result['duration_s']:.0f} s)\n")
        if result.get("notes"):
            print("\n".join(f"- {n}" for n in result["notes"]) + "\n")
        print(render_table(["metric", "value", "baseline", "ratio"], result.get("table", [])))


def _several(runs: list[list[dict[str, Any]]]) -> None:
    commits = sorted({str(r[0]["versions"].get("venterom")) for r in runs if r})
    print(f"{len(runs)} runs, Venterom {', '.join(commits)}; medians, spread lowest-highest\n")
    print(target_medians(runs))
    for per_run in _by_benchmark(runs).values():
        seconds = [r["duration_s"] for r in per_run]
        title = per_run[0]["title"]
        print(f"\n### {title} (median {median(seconds):.0f} s, {len(per_run)} runs)\n")
        print(table_medians(per_run))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary")
    parser.add_argument(
        "folders", type=Path, nargs="*", help="one run's folder, or several runs' (medians)"
    )
    args = parser.parse_args(argv)
    folders = args.folders or [Path(__file__).parent / "results"]
    runs = [load(folder) for folder in folders]
    if not any(runs):
        print("no results")
        return 1
    if len(runs) == 1:
        _one(runs[0])
    else:
        _several([r for r in runs if r])
    return 0


if __name__ == "__main__":
    sys.exit(main())
