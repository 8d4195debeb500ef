"""Edge validation of WebRTC signaling payloads (session descriptions, ICE candidates).

Payloads arrive as JSON-decoded objects from clients. Nothing here logs: SDP and
candidates carry network addresses and must never reach a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from signaling.errors import (
    CandidateTooLarge,
    InvalidCandidate,
    InvalidSignal,
    SdpMalformed,
    SdpMissingFingerprint,
    SdpTooLarge,
    TooManyCandidates,
    UnknownDescriptionType,
)

MAX_SDP_BYTES = 48 * 1024
"""Real offers are a few KiB; below the 64 KiB message cap, so the answer is a clear error."""
MAX_SDP_CANDIDATES = 300
MAX_CANDIDATE_BYTES = 1024
MAX_MID_CHARS = 64
MAX_UFRAG_CHARS = 256
DESCRIPTION_TYPES = ("offer", "answer")
DESCRIPTION_KEYS = frozenset({"type", "sdp"})
CANDIDATE_KEYS = frozenset({"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"})

DescriptionType = Literal["offer", "answer"]
_LINE_BREAK = re.compile(r"\r?\n")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """A validated offer or answer, shaped like the browser's RTCSessionDescriptionInit."""

    type: DescriptionType
    sdp: str

    def to_json(self) -> dict[str, str]:
        """The browser's JSON shape, for relaying to the other peer."""
        return {"type": self.type, "sdp": self.sdp}


@dataclass(frozen=True, slots=True)
class IceCandidate:
    """A validated trickled ICE candidate; an empty `candidate` means end-of-candidates."""

    candidate: str
    sdp_mid: str | None
    sdp_mline_index: int | None
    username_fragment: str | None = None

    @property
    def end_of_candidates(self) -> bool:
        """True for the empty candidate that closes a generation."""
        return self.candidate == ""

    def to_json(self) -> dict[str, object]:
        """The browser's RTCIceCandidateInit shape, for relaying to the other peer."""
        out: dict[str, object] = {
            "candidate": self.candidate,
            "sdpMid": self.sdp_mid,
            "sdpMLineIndex": self.sdp_mline_index,
        }
        if self.username_fragment is not None:
            out["usernameFragment"] = self.username_fragment
        return out


def parse_description(payload: object) -> SessionDescription:
    """Validate `{"type", "sdp"}` from a client; raise a named `InvalidSignal` otherwise."""
    fields = _object(payload, DESCRIPTION_KEYS, required=DESCRIPTION_KEYS)
    kind = _string(fields["type"], "type")
    if kind not in DESCRIPTION_TYPES:
        raise UnknownDescriptionType("type must be 'offer' or 'answer'")
    sdp = _string(fields["sdp"], "sdp")
    _check_sdp(sdp)
    return SessionDescription(type=cast(DescriptionType, kind), sdp=sdp)


def parse_candidate(payload: object) -> IceCandidate:
    """Validate an RTCIceCandidateInit from a client; raise a named `InvalidSignal` otherwise."""
    fields = _object(payload, CANDIDATE_KEYS, required=frozenset({"candidate"}))
    candidate = _string(fields["candidate"], "candidate")
    _check_candidate(candidate)
    mid = _optional_token(fields.get("sdpMid"), "sdpMid", MAX_MID_CHARS)
    index = _optional_index(fields.get("sdpMLineIndex"))
    if candidate and mid is None and index is None:
        raise InvalidCandidate("a candidate needs sdpMid or sdpMLineIndex")
    ufrag = _optional_token(fields.get("usernameFragment"), "usernameFragment", MAX_UFRAG_CHARS)
    return IceCandidate(candidate, mid, index, ufrag)


def _object(
    payload: object, allowed: frozenset[str], required: frozenset[str]
) -> Mapping[str, object]:
    """The payload as a mapping with only `allowed` keys and every `required` one."""
    if not isinstance(payload, Mapping):
        raise InvalidSignal("payload must be an object")
    keys = set(payload)
    if not keys <= allowed:
        raise InvalidSignal("payload has unknown fields")
    if not required <= keys:
        raise InvalidSignal(f"payload needs {', '.join(sorted(required))}")
    return cast(Mapping[str, object], payload)


def _string(value: object, name: str) -> str:
    """`value` if it is a string, else a refusal naming the field."""
    if not isinstance(value, str):
        raise InvalidSignal(f"{name} must be a string")
    return value


def _optional_token(value: object, name: str, limit: int) -> str | None:
    """A short single-line string or None (for sdpMid and usernameFragment)."""
    if value is None:
        return None
    text = _string(value, name)
    if len(text) > limit or _CONTROL.search(text):
        raise InvalidSignal(f"{name} is malformed")
    return text


def _optional_index(value: object) -> int | None:
    """An m-line index (0..65535) or None; booleans are not numbers here."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFF:
        raise InvalidSignal("sdpMLineIndex must be an integer 0..65535")
    return value


def _check_sdp(sdp: str) -> None:
    """Refuse oversized SDP, text that is no SDP (no `v=0` start, a NUL character, which
    SDP never holds), SDP without DTLS fingerprint, or with a flood of candidates."""
    if _too_long(sdp, MAX_SDP_BYTES):
        raise SdpTooLarge(f"sdp is over {MAX_SDP_BYTES} bytes")
    if not sdp.startswith("v=0") or "\x00" in sdp:
        raise SdpMalformed("sdp must start with v=0 and hold no NUL character")
    lines = _LINE_BREAK.split(sdp)
    if not any(line.startswith("a=fingerprint:") for line in lines):
        raise SdpMissingFingerprint("sdp has no a=fingerprint line (DTLS is required)")
    if sum(line.startswith("a=candidate") for line in lines) > MAX_SDP_CANDIDATES:
        raise TooManyCandidates(f"sdp has over {MAX_SDP_CANDIDATES} candidates")


def _check_candidate(candidate: str) -> None:
    """Refuse oversized, multi-line or non-`candidate:` strings; empty is end-of-candidates."""
    if candidate == "":
        return
    if _too_long(candidate, MAX_CANDIDATE_BYTES):
        raise CandidateTooLarge(f"candidate is over {MAX_CANDIDATE_BYTES} bytes")
    if not candidate.startswith("candidate:") or _CONTROL.search(candidate):
        raise InvalidCandidate("candidate must be one 'candidate:...' line")


def _too_long(text: str, limit: int) -> bool:
    """Whether `text` is over `limit` bytes in UTF-8 (checking length first, cheaply)."""
    return len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit
