"""Edge validation of signaling payloads: every bad payload gets its own named code."""

from __future__ import annotations

import pytest

from lobby.domain.errors import InvalidPayload
from signaling.messages import (
    MAX_CANDIDATE_BYTES,
    MAX_SDP_BYTES,
    IceCandidate,
    SessionDescription,
    parse_candidate,
    parse_description,
)

HEAD = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
FINGERPRINT = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n"
MEDIA = (
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
)
HOST = "candidate:1 1 udp 2130706431 192.0.2.10 50000 typ host"
SDP = HEAD + FINGERPRINT + MEDIA + f"a={HOST}\r\n"


def candidates(n: int) -> str:
    """`n` SDP candidate lines."""
    return "".join(f"a=candidate:{i} 1 udp 1 192.0.2.1 {1000 + i} typ host\r\n" for i in range(n))


def padded(size: int) -> str:
    """A well-formed SDP of exactly `size` bytes (padded with an attribute line)."""
    filler = size - len(SDP) - len("a=x-pad:\r\n")
    return SDP + "a=x-pad:" + "p" * filler + "\r\n"


GOOD_DESCRIPTIONS = [
    pytest.param({"type": "offer", "sdp": SDP}, id="offer"),
    pytest.param({"type": "answer", "sdp": SDP}, id="answer"),
    pytest.param({"type": "offer", "sdp": SDP.replace("\r\n", "\n")}, id="bare-newlines"),
    pytest.param({"type": "offer", "sdp": padded(MAX_SDP_BYTES)}, id="exactly-64KiB"),
    pytest.param({"type": "offer", "sdp": SDP + candidates(299)}, id="300-candidates"),
]

BAD_DESCRIPTIONS = [
    pytest.param(None, "invalid_payload", id="none"),
    pytest.param("v=0", "invalid_payload", id="string"),
    pytest.param(["offer", SDP], "invalid_payload", id="list"),
    pytest.param({"type": "offer"}, "invalid_payload", id="no-sdp"),
    pytest.param({"sdp": SDP}, "invalid_payload", id="no-type"),
    pytest.param({"type": "offer", "sdp": SDP, "x": 1}, "invalid_payload", id="extra-field"),
    pytest.param({"type": 1, "sdp": SDP}, "invalid_payload", id="type-not-string"),
    pytest.param({"type": "offer", "sdp": None}, "invalid_payload", id="sdp-null"),
    pytest.param({"type": "offer", "sdp": b"v=0"}, "invalid_payload", id="sdp-bytes"),
    pytest.param({"type": "pranswer", "sdp": SDP}, "unknown_sdp_type", id="pranswer"),
    pytest.param({"type": "rollback", "sdp": ""}, "unknown_sdp_type", id="rollback"),
    pytest.param({"type": "Offer", "sdp": SDP}, "unknown_sdp_type", id="type-case"),
    pytest.param({"type": "offer", "sdp": ""}, "sdp_malformed", id="sdp-empty"),
    pytest.param({"type": "offer", "sdp": "hello"}, "sdp_malformed", id="sdp-garbage"),
    pytest.param(
        {"type": "offer", "sdp": padded(MAX_SDP_BYTES + 1)}, "sdp_too_large", id="64KiB+1"
    ),
    pytest.param(
        {"type": "offer", "sdp": padded(MAX_SDP_BYTES - 1) + "é"}, "sdp_too_large", id="utf8-bytes"
    ),
    pytest.param(
        {"type": "offer", "sdp": HEAD + MEDIA}, "sdp_missing_fingerprint", id="no-fingerprint"
    ),
    pytest.param(
        {"type": "offer", "sdp": HEAD + MEDIA + "a=x-fingerprint:sha-256 AB\r\n"},
        "sdp_missing_fingerprint",
        id="fingerprint-not-at-line-start",
    ),
    pytest.param(
        {"type": "offer", "sdp": SDP + candidates(300)}, "too_many_candidates", id="301-candidates"
    ),
]


@pytest.mark.parametrize("payload", GOOD_DESCRIPTIONS)
def test_good_description_is_accepted_unchanged(payload: dict[str, str]) -> None:
    description = parse_description(payload)

    assert description == SessionDescription(type=payload["type"], sdp=payload["sdp"])  # type: ignore[arg-type]
    assert description.to_json() == payload


@pytest.mark.parametrize(("payload", "code"), BAD_DESCRIPTIONS)
def test_bad_description_is_refused_with_its_code(payload: object, code: str) -> None:
    with pytest.raises(InvalidPayload) as refused:
        parse_description(payload)

    assert refused.value.code == code


def test_refusal_never_echoes_the_sdp() -> None:
    with pytest.raises(InvalidPayload) as refused:
        parse_description({"type": "offer", "sdp": HEAD + "a=secret-marker\r\n"})

    assert "secret-marker" not in str(refused.value)


GOOD_CANDIDATES = [
    pytest.param(
        {"candidate": HOST, "sdpMid": "0", "sdpMLineIndex": 0},
        IceCandidate(HOST, "0", 0),
        id="browser-shape",
    ),
    pytest.param(
        {"candidate": HOST, "sdpMid": "0", "sdpMLineIndex": None, "usernameFragment": "abcd"},
        IceCandidate(HOST, "0", None, "abcd"),
        id="mid-and-ufrag",
    ),
    pytest.param({"candidate": HOST, "sdpMLineIndex": 1}, IceCandidate(HOST, None, 1), id="index"),
    pytest.param({"candidate": ""}, IceCandidate("", None, None), id="end-of-candidates"),
    pytest.param(
        {"candidate": "", "sdpMid": "1", "sdpMLineIndex": 1},
        IceCandidate("", "1", 1),
        id="end-of-candidates-for-mid",
    ),
    pytest.param(
        {"candidate": "candidate:" + "x" * (MAX_CANDIDATE_BYTES - 10), "sdpMid": "0"},
        IceCandidate("candidate:" + "x" * (MAX_CANDIDATE_BYTES - 10), "0", None),
        id="exactly-1KiB",
    ),
]

BAD_CANDIDATES = [
    pytest.param(None, "invalid_payload", id="none"),
    pytest.param(HOST, "invalid_payload", id="bare-string"),
    pytest.param({}, "invalid_payload", id="empty-object"),
    pytest.param({"sdpMid": "0"}, "invalid_payload", id="no-candidate"),
    pytest.param({"candidate": None, "sdpMid": "0"}, "invalid_payload", id="candidate-null"),
    pytest.param({"candidate": 5, "sdpMid": "0"}, "invalid_payload", id="candidate-number"),
    pytest.param({"candidate": HOST, "sdpMid": 0}, "invalid_payload", id="mid-number"),
    pytest.param({"candidate": HOST, "sdpMid": "0\r\na=x"}, "invalid_payload", id="mid-newline"),
    pytest.param({"candidate": HOST, "sdpMid": "m" * 65}, "invalid_payload", id="mid-long"),
    pytest.param({"candidate": HOST, "sdpMLineIndex": "0"}, "invalid_payload", id="index-string"),
    pytest.param({"candidate": HOST, "sdpMLineIndex": True}, "invalid_payload", id="index-bool"),
    pytest.param({"candidate": HOST, "sdpMLineIndex": -1}, "invalid_payload", id="index-neg"),
    pytest.param({"candidate": HOST, "sdpMLineIndex": 1.0}, "invalid_payload", id="index-float"),
    pytest.param(
        {"candidate": HOST, "sdpMid": "0", "usernameFragment": 7},
        "invalid_payload",
        id="ufrag-number",
    ),
    pytest.param({"candidate": HOST, "sdpMid": "0", "foo": 1}, "invalid_payload", id="extra"),
    pytest.param(
        {"candidate": "candidate:" + "x" * (MAX_CANDIDATE_BYTES - 9), "sdpMid": "0"},
        "candidate_too_large",
        id="1KiB+1",
    ),
    pytest.param(
        {"candidate": "candidate:" + "ø" * 600, "sdpMid": "0"},
        "candidate_too_large",
        id="utf8-bytes",
    ),
    pytest.param({"candidate": "a=" + HOST, "sdpMid": "0"}, "invalid_candidate", id="a-prefix"),
    pytest.param({"candidate": " " + HOST, "sdpMid": "0"}, "invalid_candidate", id="space"),
    pytest.param({"candidate": "hello", "sdpMid": "0"}, "invalid_candidate", id="garbage"),
    pytest.param(
        {"candidate": HOST + "\r\na=fingerprint:x", "sdpMid": "0"},
        "invalid_candidate",
        id="line-injection",
    ),
    pytest.param({"candidate": HOST}, "invalid_candidate", id="no-mid-no-index"),
    pytest.param(
        {"candidate": HOST, "sdpMid": None, "sdpMLineIndex": None},
        "invalid_candidate",
        id="null-mid-null-index",
    ),
]


@pytest.mark.parametrize(("payload", "expected"), GOOD_CANDIDATES)
def test_good_candidate_is_accepted(payload: dict[str, object], expected: IceCandidate) -> None:
    candidate = parse_candidate(payload)

    assert candidate == expected
    assert candidate.end_of_candidates == (payload["candidate"] == "")


@pytest.mark.parametrize(("payload", "code"), BAD_CANDIDATES)
def test_bad_candidate_is_refused_with_its_code(payload: object, code: str) -> None:
    with pytest.raises(InvalidPayload) as refused:
        parse_candidate(payload)

    assert refused.value.code == code


def test_candidate_json_round_trips() -> None:
    payload = {"candidate": HOST, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "ab"}

    assert parse_candidate(payload).to_json() == payload
    assert IceCandidate(HOST, None, 2).to_json() == {
        "candidate": HOST,
        "sdpMid": None,
        "sdpMLineIndex": 2,
    }
