"""Relayed call messages, validated at the edge: signaling and fixed technical messages.

Nothing here is logged or stored: the server passes a message on or refuses it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from lobby.domain.errors import InvalidPayload
from signaling.messages import IceCandidate, SessionDescription, parse_candidate, parse_description

SIGNAL_KEYS = frozenset({"to", "room_id", "description", "candidate"})
MAX_PEER_ID = 64


class TechCode(enum.Enum):
    """The only messages participants can send each other: fixed, translated on screen."""

    CANT_HEAR_YOU = "cant_hear_you"
    CANT_SEE_YOU = "cant_see_you"
    VIDEO_FROZEN = "video_frozen"
    AUDIO_CHOPPY = "audio_choppy"
    WILL_CALL_BY_PHONE = "will_call_by_phone"
    ONE_MOMENT = "one_moment"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True, slots=True)
class Signal:
    """One offer, answer or ICE candidate for one other participant."""

    to: str
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None

    def relayed(self, sender: str) -> dict[str, Any]:
        """The payload the target receives."""
        if self.description is not None:
            return {"from": sender, "description": self.description.to_json()}
        assert self.candidate is not None
        return {"from": sender, "candidate": self.candidate.to_json()}


def parse_signal(payload: object) -> Signal:
    if not isinstance(payload, dict) or not set(payload) <= SIGNAL_KEYS:
        raise InvalidPayload("a signal is {to, description} or {to, candidate}")
    target = payload.get("to")
    if not isinstance(target, str) or not 1 <= len(target) <= MAX_PEER_ID:
        raise InvalidPayload("to must name a participant")
    if ("description" in payload) == ("candidate" in payload):
        raise InvalidPayload("a signal carries either a description or a candidate")
    if "description" in payload:
        return Signal(target, description=parse_description(payload["description"]))
    return Signal(target, candidate=parse_candidate(payload["candidate"]))


def parse_tech_message(payload: object) -> TechCode:
    if not isinstance(payload, dict) or not set(payload) <= {"code", "room_id"}:
        raise InvalidPayload("a technical message is {code}")
    try:
        return TechCode(payload.get("code"))
    except ValueError:
        raise InvalidPayload("only the fixed technical messages can be sent") from None
