"""`python -m bench.summary [DIR]`: the targets and tables of saved results, as Markdown
(what bench/README.md quotes)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.report import render_table

ORDER = ("admission", "capacity", "join_storm", "redis_cost", "two_instances", "echo")


def load(folder: Path) -> list[dict[str, Any]]:
    """The results in `folder`, in benchmark order."""
    found = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    return [found[name] for name in ORDER if name in found]


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


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary")
    parser.add_argument("folder", type=Path, nargs="?", default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    results = load(args.folder)
    if not results:
        print("no results")
        return 1
    first = results[0]
    print(f"cpu_count {first['cpu_count']}, versions {first['versions']}, quick {first['quick']}\n")
    print(targets(results))
    for result in results:
        print(f"\n### {result['title']} ({result['duration_s']:.0f} s)\n")
        if result.get("notes"):
            print("\n".join(f"- {n}" for n in result["notes"]) + "\n")
        print(render_table(["metric", "value", "baseline", "ratio"], result.get("table", [])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
