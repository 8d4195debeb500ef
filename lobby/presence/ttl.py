"""How long soft state lives, shared by both store backends."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ttls:
    visit: int = 12 * 3600
    """A visit that is not ended; refreshed on every change."""
    ended: int = 3600
    """The tombstone of an ended visit (state and reason only), for the ended screen."""
    notice: int = 3 * 3600
    heartbeat_index: int = 12 * 3600
