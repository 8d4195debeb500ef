"""The sweep: heartbeats of this instance's guests, and the visits whose guests went quiet."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from lobby.adapters.presence.store import PresenceStore
from lobby.domain.errors import LobbyError
from lobby.domain.model import Action, Actor
from lobby.services.policy import Policy
from lobby.services.visits import Visits


class Maintenance:
    def __init__(
        self, store: PresenceStore, visits: Visits, policy: Policy, clock: Callable[[], float]
    ) -> None:
        self.store = store
        self.visits = visits
        self.policy = policy
        self.clock = clock

    async def sweep(self, local_visit_ids: list[str], is_local: Callable[[str], bool]) -> None:
        """Heartbeat our guests, clear the flag of ours that are back (they may have dropped on
        another instance and returned here), and expire the others whose grace is over."""
        now = self.clock()
        if local_visit_ids:
            await self.store.heartbeat(local_visit_ids, now)
        for visit_id in await self.store.reconnecting_since_before(now):
            if is_local(visit_id):
                with contextlib.suppress(LobbyError):
                    await self.visits.guest_connected(visit_id)
        for visit_id in await self.store.reconnecting_since_before(now - self.policy.grace_period):
            if not is_local(visit_id):
                await self.visits.quietly(visit_id, Action.EXPIRE, Actor.SYSTEM)

    async def mark_stale(self, seen_before: float) -> None:
        """Guests whose instance stopped beating (it died): flagged reconnecting."""
        for visit_id in await self.store.stale(seen_before):
            await self.visits.guest_disconnected(visit_id)
            await self.store.forget_heartbeat(visit_id)
