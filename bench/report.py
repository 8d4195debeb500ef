"""Benchmark results: targets, JSON files under the results folder, and printed tables."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Target:
    """One target from issue #5: `value` compared with `limit` (`op` is "<=" or ">=")."""

    name: str
    value: float | None
    op: str
    limit: float

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "op": self.op,
            "limit": self.limit,
            "met": self.met,
        }


@dataclass
class Result:
    """What one benchmark measured, its baseline, the ratios, and the targets."""

    name: str
    title: str
    quick: bool
    versions: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    ratio: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    failures: int = 0
    notes: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)
    """Rows of the printed table: metric, value, baseline, ratio."""
    duration_s: float = 0.0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "quick": self.quick,
            "cpu_count": os.cpu_count(),
            "versions": self.versions,
            "params": self.params,
            "figures": self.figures,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "targets": [t.to_json() for t in self.targets],
            "failures": self.failures,
            "notes": self.notes,
            "table": self.table,
            "duration_s": round(self.duration_s, 1),
            "error": self.error,
        }

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")
        tmp.replace(path)
        return path

    def render(self) -> str:
        lines = [f"== {self.title} ({self.duration_s:.0f} s) =="]
        if self.table:
            lines.append(render_table(["metric", "value", "baseline", "ratio"], self.table))
        if self.targets:
            rows = [
                [t.name, fmt(t.value), f"{t.op} {fmt(t.limit)}", "met" if t.met else "MISSED"]
                for t in self.targets
            ]
            lines.append(render_table(["target", "value", "limit", ""], rows))
        lines.append(f"failures: {self.failures}")
        if self.error:
            lines.append(f"ERROR: {self.error}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


def fmt(value: Any) -> str:
    """A compact cell: floats with up to 3 significant decimals, None as '-'."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}" if value else "0"
    return str(value)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table (also valid Markdown)."""
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
