"""Percentiles and small summaries of latency samples (seconds in, milliseconds out)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds rounded to microseconds; None stays None."""
    return None if seconds is None else round(seconds * 1000.0, 3)


def summary(samples: Sequence[float]) -> dict[str, float | int | None]:
    """Count, p50, p95, p99 and max of latency samples given in seconds, in milliseconds."""
    return {
        "count": len(samples),
        "p50_ms": ms(percentile(samples, 0.50)),
        "p95_ms": ms(percentile(samples, 0.95)),
        "p99_ms": ms(percentile(samples, 0.99)),
        "max_ms": ms(max(samples) if samples else None),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator rounded to 3 places; None if either is missing or zero."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)
