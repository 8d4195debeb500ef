"""Prometheus metrics: counts and durations only, never names or ids.

Small enough to write by hand in the text exposition format (version 0.0.4), so the
server needs no metrics library.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field

from lobby.model import Visit, VisitState

WAIT_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)
"""Seconds a guest waited before admission: the clinic's question is minutes, not ms."""


@dataclass
class Histogram:
    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    observations: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.observations += 1

    def lines(self, name: str) -> list[str]:
        out, running = [], 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            running += count
            out.append(f'{name}_bucket{{le="{bound:g}"}} {running}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.observations}')
        out.append(f"{name}_sum {self.total:.3f}")
        out.append(f"{name}_count {self.observations}")
        return out


@dataclass
class Metrics:
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    ended: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    wait_before_admission: Histogram = field(default_factory=lambda: Histogram(WAIT_BUCKETS))

    def visit_changed(self, before: Visit | None, after: Visit, now: float) -> None:
        old = before.state.value if before else "new"
        self.transitions[(old, after.state.value)] += 1
        if after.end_reason is not None:
            self.ended[after.end_reason.value] += 1
        if before is not None and before.reconnecting and not after.reconnecting and after.live:
            self.reconnects += 1
        if (
            before is not None
            and before.state is VisitState.WAITING
            and after.state is VisitState.IN_CALL
            and before.waiting_since
        ):
            self.wait_before_admission.observe(max(0.0, now - before.waiting_since))

    def render(self, gauges: dict[str, float]) -> str:
        lines = [
            "# HELP venterom_visit_transitions_total Visit state changes on this instance.",
            "# TYPE venterom_visit_transitions_total counter",
        ]
        for (old, new), count in sorted(self.transitions.items()):
            lines.append(f'venterom_visit_transitions_total{{from="{old}",to="{new}"}} {count}')
        lines += [
            "# HELP venterom_visits_ended_total Visits ended, by reason.",
            "# TYPE venterom_visits_ended_total counter",
        ]
        lines += [
            f'venterom_visits_ended_total{{reason="{r}"}} {c}'
            for r, c in sorted(self.ended.items())
        ]
        lines += [
            "# HELP venterom_reconnects_total Guests back within their grace period.",
            "# TYPE venterom_reconnects_total counter",
            f"venterom_reconnects_total {self.reconnects}",
            "# HELP venterom_wait_seconds Time waited in the lobby before admission.",
            "# TYPE venterom_wait_seconds histogram",
            *self.wait_before_admission.lines("venterom_wait_seconds"),
        ]
        for name, value in sorted(gauges.items()):
            lines += [f"# TYPE venterom_{name} gauge", f"venterom_{name} {value:g}"]
        return "\n".join(lines) + "\n"


def outcome_lines(name: str, help_text: str, counts: dict[str, int]) -> str:
    """A counter family with one `outcome` label (e.g. invitation e-mails)."""
    lines = [f"# HELP venterom_{name} {help_text}", f"# TYPE venterom_{name} counter"]
    lines += [f'venterom_{name}{{outcome="{o}"}} {c}' for o, c in sorted(counts.items())]
    return "\n".join(lines) + "\n"
