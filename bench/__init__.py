"""Venterom load benchmarks: admission latency, lobby capacity, join storms, Redis cost,
two instances and the echo peer. Run with `python -m bench` (`--quick` for a short run)."""
