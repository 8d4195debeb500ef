"""The lobby's services, built together: what handlers, the API and the sweep act through.

Each concern is its own module: `sessions` (log-in, exchanged invitations), `visits` (every
transition), `rooms` (whose rooms, what a lobby shows), `notices`, `maintenance` (the sweep).
Changes leave through one `Fanout`, which the realtime layer implements.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lobby.adapters.audit import Audit
from lobby.adapters.directory import Directory
from lobby.adapters.presence.store import PresenceStore
from lobby.adapters.ratelimit import RateLimits
from lobby.services.fanout import Fanout
from lobby.services.maintenance import Maintenance
from lobby.services.metrics import Metrics
from lobby.services.notices import Notices
from lobby.services.policy import Policy
from lobby.services.rooms import Rooms
from lobby.services.sessions import Sessions
from lobby.services.visits import Visits


class LobbyService:
    def __init__(
        self,
        store: PresenceStore,
        directory: Directory,
        fanout: Fanout,
        policy: Policy,
        audit: Audit,
        limits: RateLimits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.directory = directory
        self.fanout = fanout
        self.policy = policy
        self.audit = audit
        self.limits = limits
        self.clock = clock
        self.rooms = Rooms(store, directory, clock)
        self.visits = Visits(store, directory, self.rooms, fanout, audit, clock)
        self.sessions = Sessions(
            store, directory, self.visits, self.rooms, fanout, policy, limits, clock
        )
        self.notices = Notices(store, self.rooms, fanout, clock)
        self.maintenance = Maintenance(store, self.visits, policy, clock)

    @property
    def metrics(self) -> Metrics:
        return self.visits.metrics

    def schedule_changed(self, room_id: str) -> None:
        """Appointments were added or revoked: read them afresh, and let the room's
        clinicians (on every instance) see who is expected now."""
        self.rooms.forget_schedule(room_id)
        self.fanout.room_changed(room_id)
