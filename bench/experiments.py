"""Opt-in, in-process patches of the server that try a proposed product fix
(`python -m bench --experiment NAME`). They never run by default: the benchmarks measure
the product as it is; an experiment only gives the before/after of a proposal.

Every experiment tried so far has become product code (see bench/README.md); the registry
is empty until the next proposal."""

from __future__ import annotations

from collections.abc import Callable, Iterable

EXPERIMENTS: dict[str, Callable[[], None]] = {}


def apply(names: Iterable[str]) -> list[str]:
    """Apply the named experiments (unknown names raise KeyError); return them."""
    applied = []
    for name in names:
        EXPERIMENTS[name]()
        applied.append(name)
    return applied
