"""Named signaling refusals; each carries a stable code that clients receive."""

from __future__ import annotations

from lobby.domain.errors import InvalidPayload, LobbyError


class InvalidSignal(InvalidPayload):
    """A signaling payload has the wrong shape or types."""

    code = "invalid_payload"


class UnknownDescriptionType(InvalidSignal):
    """A session description's type is not one this server relays."""

    code = "unknown_sdp_type"


class SdpTooLarge(InvalidSignal):
    """An SDP is over the size limit; real offers are a few KiB."""

    code = "sdp_too_large"


class SdpMalformed(InvalidSignal):
    """An SDP does not start like one (`v=0`)."""

    code = "sdp_malformed"


class SdpMissingFingerprint(InvalidSignal):
    """An SDP has no `a=fingerprint:` line, so DTLS-SRTP could not be enforced."""

    code = "sdp_missing_fingerprint"


class TooManyCandidates(InvalidSignal):
    """An SDP lists more ICE candidates than any honest client gathers."""

    code = "too_many_candidates"


class CandidateTooLarge(InvalidSignal):
    """An ICE candidate string is over the size limit."""

    code = "candidate_too_large"


class InvalidCandidate(InvalidSignal):
    """An ICE candidate string is not `candidate:...`, or lacks its m-line reference."""

    code = "invalid_candidate"


class UnexpectedDescriptionType(InvalidSignal):
    """The description is valid but not the type this step expects (e.g. an answer)."""

    code = "unexpected_sdp_type"


class UnsupportedOffer(InvalidSignal):
    """The echo test takes one audio and one video section at most, nothing else."""

    code = "unsupported_offer"


class SdpRejected(InvalidSignal):
    """The WebRTC stack could not apply the description."""

    code = "sdp_rejected"


class EchoBusy(LobbyError):
    """Every echo test slot is taken; the client may retry shortly."""

    code = "busy"


class EchoClosed(LobbyError):
    """The echo session was closed (or replaced) before it could answer."""

    code = "echo_closed"


class NotInCall(LobbyError):
    """The sender is not admitted to this call (waiting, ended, or another room)."""

    code = "not_in_call"


class UnknownPeer(LobbyError):
    """The signaling target is not a participant of the sender's call."""

    code = "unknown_peer"


class TooManySignals(LobbyError):
    """A connection sent more candidates than any real negotiation needs."""

    code = "too_many_candidates"
