"""The lobby's timing knobs, taken from `Settings`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    secret: str
    guest_session_ttl: float
    clinician_session_ttl: float
    grace_period: float
    clinician_idle_timeout: float = 30 * 60.0
