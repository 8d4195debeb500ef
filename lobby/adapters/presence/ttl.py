"""How long soft state lives, shared by both store backends."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ttls:
    visit: int = 12 * 3600
    """A visit that is not ended; refreshed on every change."""
    ended: int = 600
    """The tombstone of an ended visit (state and reason only): a reload shows the ended
    screen, and an instance whose appointment cache has not seen a revocation yet refuses
    the link (the directory's flag does after the cache's 5 s). Short, because nothing about
    a visit should outlive its end by more than ten minutes (tests/security/test_privacy.py);
    once it is gone, a denied or removed guest's still valid link opens a new visit."""
    notice: int = 3 * 3600
    heartbeat_index: int = 12 * 3600
