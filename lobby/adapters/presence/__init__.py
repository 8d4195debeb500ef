"""Presence: who is connected, in which state, where in the queue (soft state with TTLs)."""

from lobby.adapters.presence.store import PresenceStore, SessionRecord

__all__ = ["PresenceStore", "SessionRecord"]
