"""The call: who is in it, how they reach each other, and which ICE servers they get.

Guests take part through their visit (in_call or paused); clinicians by joining the
room's call. The server relays signaling only; this module decides who may talk to whom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lobby.adapters.presence.store import CallMember, RoomQuery
from lobby.domain.errors import LobbyError
from lobby.domain.model import CALL_STATES, Visit
from lobby.services.lobby import LobbyService
from signaling import policy
from signaling.errors import NotInCall
from signaling.ice import IceServer, ice_servers
from signaling.policy import Participant, Roster

MAX_TURN_LIFETIME = 4 * 3600.0
CALL_OVERRUN = 3600.0
"""TURN credentials outlive the appointment's planned end by this much."""


class CallFull(LobbyError):
    code = "call_full"


@dataclass(frozen=True, slots=True)
class IcePolicy:
    stun_urls: Sequence[str] = ()
    turn_urls: Sequence[str] = ()
    turn_secret: str = ""


@dataclass(frozen=True, slots=True)
class CallJoin:
    peer_id: str
    ice_servers: list[IceServer]
    roster: Roster

    def to_wire(self) -> dict[str, object]:
        return {
            "peer_id": self.peer_id,
            "ice_servers": self.ice_servers,
            "roster": self.roster.to_wire(),
        }


class CallService:
    def __init__(self, lobby: LobbyService, ice: IcePolicy, heartbeat_timeout: float) -> None:
        self.lobby = lobby
        self.store = lobby.store
        self.ice = ice
        self.heartbeat_timeout = heartbeat_timeout

    async def roster(self, room_id: str) -> Roster:
        snapshot = await self.store.room_snapshot(RoomQuery(room_id))
        return self.roster_of(room_id, snapshot.visits, snapshot.members)

    def roster_of(self, room_id: str, visits: list[Visit], members: list[CallMember]) -> Roster:
        now = self.lobby.clock()
        gone = now - self.heartbeat_timeout - self.lobby.policy.grace_period
        clinicians = [
            Participant(
                m.peer_id,
                "clinician",
                "clinician",
                m.name,
                "in_call",
                m.reconnecting or m.seen_at < now - self.heartbeat_timeout,
            )
            for m in members
            if m.seen_at >= gone
        ]
        guests = [
            Participant(
                v.visit_id, "guest", v.role.value, v.display_name, v.state.value, v.reconnecting
            )
            for v in visits
            if v.state in CALL_STATES
        ]
        return Roster(room_id, tuple(clinicians + guests))

    async def guest_join(self, visit_id: str) -> CallJoin:
        visit = await self.lobby.visits.get(visit_id)
        if visit.state not in CALL_STATES:
            raise NotInCall("you have not been let in yet")
        roster = await self.roster(visit.room_id)
        lifetime = visit.appointment_end + CALL_OVERRUN - self.lobby.clock()
        return CallJoin(visit_id, self._ice_servers(visit_id, lifetime), roster)

    async def clinician_join(self, clinician_id: str, room_id: str) -> CallJoin:
        await self.lobby.rooms.require(clinician_id, room_id)
        roster = await self.roster(room_id)
        others = [m for m in roster.members if m.peer_id != clinician_id]
        if len(others) >= policy.MAX_DEVICES:
            raise CallFull(f"a call holds at most {policy.MAX_DEVICES} devices")
        clinician = await self.lobby.directory.accounts.get(clinician_id)
        name = clinician.display_name if clinician else ""
        await self.store.put_call_member(
            room_id, CallMember(clinician_id, name, self.lobby.clock())
        )
        self.lobby.fanout.room_changed(room_id, call=True)
        roster = await self.roster(room_id)
        return CallJoin(clinician_id, self._ice_servers(clinician_id, MAX_TURN_LIFETIME), roster)

    async def clinician_leave(self, clinician_id: str, room_id: str) -> None:
        await self.lobby.rooms.require(clinician_id, room_id)
        await self.store.remove_call_member(room_id, clinician_id)
        self.lobby.fanout.room_changed(room_id, call=True)

    async def clinician_seen(self, room_id: str, member: CallMember, reconnecting: bool) -> None:
        """Refresh (or, on a dropped connection, flag) a clinician's place in a call."""
        fresh = CallMember(member.peer_id, member.name, self.lobby.clock(), reconnecting)
        await self.store.put_call_member(room_id, fresh)
        if reconnecting:
            self.lobby.fanout.room_changed(room_id, call=True)

    async def route(self, room_id: str, sender: str, target: str) -> Participant:
        return policy.route(await self.roster(room_id), sender, target)

    async def member_roster(self, room_id: str, sender: str) -> Roster:
        """The roster, provided `sender` is in it."""
        roster = await self.roster(room_id)
        if roster.member(sender) is None:
            raise NotInCall("you are not in this call")
        return roster

    def _ice_servers(self, peer_id: str, lifetime: float) -> list[IceServer]:
        lifetime = max(600.0, min(lifetime, MAX_TURN_LIFETIME))
        return ice_servers(
            self.ice.stun_urls,
            self.ice.turn_urls,
            self.ice.turn_secret,
            peer_id,
            self.lobby.clock(),
            lifetime,
        )
