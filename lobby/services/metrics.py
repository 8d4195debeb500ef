"""Prometheus metrics: counts and durations only, never names or ids.

`Metrics` is the bookkeeping the service does as visits change. `Exposition` is one app's
own registry (never prometheus-client's process-wide default: tests run several apps in one
process) whose collectors read that bookkeeping and the app's live counts at each scrape.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from lobby.domain.model import Visit, VisitState

PREFIX = "venterom_"

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

    def cumulative(self) -> list[tuple[str, float]]:
        """`(le, count)` pairs up to `+Inf`, counting each observation in every bucket it fits."""
        bounds = [f"{bound:g}" for bound in self.buckets] + ["+Inf"]
        running, out = 0, []
        for bound, count in zip(bounds, self.counts, strict=True):
            running += count
            out.append((bound, float(running)))
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


class VisitCollector(Collector):
    """The service's visit counters and wait histogram, as they stand at the scrape."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        transitions = CounterMetricFamily(
            f"{PREFIX}visit_transitions",
            "Visit state changes on this instance.",
            labels=["from", "to"],
        )
        for (old, new), count in sorted(m.transitions.items()):
            transitions.add_metric([old, new], count)
        yield transitions
        ended = CounterMetricFamily(
            f"{PREFIX}visits_ended", "Visits ended, by reason.", labels=["reason"]
        )
        for reason, count in sorted(m.ended.items()):
            ended.add_metric([reason], count)
        yield ended
        yield CounterMetricFamily(
            f"{PREFIX}reconnects", "Guests back within their grace period.", value=m.reconnects
        )
        wait = m.wait_before_admission
        yield HistogramMetricFamily(
            f"{PREFIX}wait_seconds",
            "Time waited in the lobby before admission.",
            buckets=wait.cumulative(),
            sum_value=wait.total,
        )


@dataclass(frozen=True)
class Gauge:
    """A gauge whose value is read when Prometheus scrapes: a count, never who."""

    name: str
    help: str
    read: Callable[[], float]


class GaugeCollector(Collector):
    def __init__(self, gauges: Sequence[Gauge]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for gauge in self.gauges:
            yield GaugeMetricFamily(f"{PREFIX}{gauge.name}", gauge.help, value=gauge.read())


class OutcomeCollector(Collector):
    """A counter family with one `outcome` label (e.g. invitation e-mails)."""

    def __init__(self, name: str, help: str, read: Callable[[], Mapping[str, int]]) -> None:
        self.name, self.help, self.read = name, help, read

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(f"{PREFIX}{self.name}", self.help, labels=["outcome"])
        for outcome, count in sorted(self.read().items()):
            family.add_metric([outcome], count)
        yield family


class Exposition:
    """One app's registry. The store's health needs I/O, which a collector cannot do, so the
    handler checks it and hands it to `render`; everything else is read at the scrape."""

    def __init__(
        self, metrics: Metrics, gauges: Sequence[Gauge], emails: Callable[[], Mapping[str, int]]
    ) -> None:
        self._store_up = False
        store = Gauge("store_up", "Whether the presence store answered.", self._store_gauge)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(VisitCollector(metrics))
        self.registry.register(GaugeCollector([*gauges, store]))
        self.registry.register(
            OutcomeCollector(
                "invitation_emails",
                "Invitation e-mail attempts made by this instance, by outcome.",
                emails,
            )
        )

    def _store_gauge(self) -> float:
        return 1.0 if self._store_up else 0.0

    def render(self, store_up: bool) -> bytes:
        """The text exposition; nothing awaits in between, so scrapes cannot interleave."""
        self._store_up = store_up
        return generate_latest(self.registry)
