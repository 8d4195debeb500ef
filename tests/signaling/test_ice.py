"""ICE server lists and TURN REST credentials as coturn's `use-auth-secret` checks them."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from signaling.ice import ice_servers, turn_credentials

SECRET = "north-sea-shared-secret"
NOW = 1_700_000_000.75
STUN = ["stun:turn.example.no:3478"]
TURN = ["turn:turn.example.no:3478?transport=udp", "turns:turn.example.no:5349"]


def expected_password(secret: str, username: str) -> str:
    """The coturn check, computed independently: base64(HMAC-SHA1(secret, username))."""
    mac = hmac.new(secret.encode(), username.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def test_turn_credentials_follow_the_rest_scheme() -> None:
    username, password = turn_credentials(SECRET, "p-42", NOW, 3600)

    assert username == "1700003600:p-42"
    assert password == expected_password(SECRET, "1700003600:p-42")


def test_turn_credentials_match_a_fixed_vector() -> None:
    """Vector from `printf 1000086400:alice | openssl dgst -sha1 -hmac secret -binary | base64`."""
    _, password = turn_credentials("secret", "alice", 1_000_000_000, 86_400)

    assert password == "w+6s9SN3hzEBPHf+pwNtxQAYd48="


def test_turn_credentials_differ_per_participant_and_secret() -> None:
    a = turn_credentials(SECRET, "p-1", NOW, 60)
    b = turn_credentials(SECRET, "p-2", NOW, 60)
    c = turn_credentials("other", "p-1", NOW, 60)

    assert len({a[1], b[1], c[1]}) == 3


@pytest.mark.parametrize(
    ("secret", "participant", "lifetime"),
    [
        pytest.param("", "p-1", 60, id="no-secret"),
        pytest.param(SECRET, "", 60, id="no-participant"),
        pytest.param(SECRET, "1:2", 60, id="colon-in-participant"),
        pytest.param(SECRET, "p-1", 0, id="no-lifetime"),
    ],
)
def test_turn_credentials_refuse_bad_input(secret: str, participant: str, lifetime: float) -> None:
    with pytest.raises(ValueError):
        turn_credentials(secret, participant, NOW, lifetime)


def test_ice_servers_with_stun_and_turn() -> None:
    servers = ice_servers(STUN, TURN, SECRET, "p-7", NOW, 600)

    username = "1700000600:p-7"
    assert servers == [
        {"urls": STUN},
        {"urls": TURN, "username": username, "credential": expected_password(SECRET, username)},
    ]


def test_ice_servers_without_a_turn_secret_leave_turn_out() -> None:
    assert ice_servers(STUN, TURN, "", "p-7", NOW, 600) == [{"urls": STUN}]


def test_ice_servers_without_turn_urls_leave_turn_out() -> None:
    assert ice_servers(STUN, [], SECRET, "p-7", NOW, 600) == [{"urls": STUN}]


def test_ice_servers_can_be_turn_only_or_empty() -> None:
    assert [s["urls"] for s in ice_servers([], TURN, SECRET, "p", NOW, 60)] == [TURN]
    assert ice_servers([], [], "", "p", NOW, 60) == []


@pytest.mark.parametrize(
    ("stun", "turn"),
    [
        pytest.param(["turn:x"], [], id="turn-url-as-stun"),
        pytest.param([], ["stun:x"], id="stun-url-as-turn"),
        pytest.param(["https://x"], [], id="http-url"),
    ],
)
def test_ice_servers_refuse_urls_with_the_wrong_scheme(stun: list[str], turn: list[str]) -> None:
    with pytest.raises(ValueError):
        ice_servers(stun, turn, SECRET, "p", NOW, 60)
