"""Who is in a call and who may signal whom: pure functions over a roster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from signaling.errors import NotInCall, UnknownPeer

MAX_DEVICES = 4
"""A mesh call holds at most this many devices (clinicians and guests together)."""

Kind = Literal["clinician", "guest"]


@dataclass(frozen=True, slots=True)
class Participant:
    peer_id: str
    kind: Kind
    role: str
    name: str
    state: str
    reconnecting: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "peer_id": self.peer_id,
            "kind": self.kind,
            "role": self.role,
            "name": self.name,
            "state": self.state,
            "reconnecting": self.reconnecting,
        }


@dataclass(frozen=True, slots=True)
class Roster:
    room_id: str
    members: tuple[Participant, ...]

    def member(self, peer_id: str) -> Participant | None:
        return next((m for m in self.members if m.peer_id == peer_id), None)

    def guests(self) -> list[str]:
        return [m.peer_id for m in self.members if m.kind == "guest"]

    def to_wire(self) -> dict[str, Any]:
        return {"room_id": self.room_id, "members": [m.to_wire() for m in self.members]}


def route(roster: Roster, sender: str, target: str) -> Participant:
    """The participant a message from `sender` to `target` goes to, or a named refusal."""
    if roster.member(sender) is None:
        raise NotInCall("you are not in this call")
    recipient = roster.member(target)
    if recipient is None or target == sender:
        raise UnknownPeer("no such participant in your call")
    return recipient


def offerer(a: str, b: str) -> str:
    """Of two peers, the one that sends the offer (the lower id), so both sides agree."""
    return min(a, b)
