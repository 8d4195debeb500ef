"""ICE server configuration for admitted participants, with time-limited TURN credentials.

TURN credentials follow the TURN REST scheme that coturn checks with `use-auth-secret`:
the username is `<expiry unix time>:<participant id>` and the password is
base64(HMAC-SHA1(secret, username)), so coturn needs no user database and a leaked
credential expires on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import NotRequired, TypedDict

STUN_SCHEMES = ("stun:", "stuns:")
TURN_SCHEMES = ("turn:", "turns:")


class IceServer(TypedDict):
    """One entry of the browser's RTCConfiguration.iceServers, as JSON."""

    urls: list[str]
    username: NotRequired[str]
    credential: NotRequired[str]


def turn_credentials(
    secret: str, participant_id: str, now: float, lifetime: float
) -> tuple[str, str]:
    """TURN REST `(username, password)` valid until `now + lifetime` (unix seconds)."""
    if not secret:
        raise ValueError("a TURN secret is required")
    if not participant_id or ":" in participant_id:
        raise ValueError("participant_id must be non-empty and contain no ':'")
    if lifetime <= 0:
        raise ValueError("lifetime must be positive")
    username = f"{int(now + lifetime)}:{participant_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(
    stun_urls: Sequence[str],
    turn_urls: Sequence[str],
    turn_secret: str,
    participant_id: str,
    now: float,
    lifetime: float,
) -> list[IceServer]:
    """The iceServers list for one participant: STUN if configured, TURN if URLs and secret."""
    servers: list[IceServer] = []
    if stun_urls:
        servers.append({"urls": _checked(stun_urls, STUN_SCHEMES)})
    if turn_urls and turn_secret:
        username, password = turn_credentials(turn_secret, participant_id, now, lifetime)
        urls = _checked(turn_urls, TURN_SCHEMES)
        servers.append({"urls": urls, "username": username, "credential": password})
    return servers


def _checked(urls: Sequence[str], schemes: tuple[str, ...]) -> list[str]:
    """`urls` as a list, refusing any without the expected scheme (a browser would throw)."""
    bad = [url for url in urls if not url.startswith(schemes)]
    if bad:
        raise ValueError(f"ICE URLs must start with {' or '.join(schemes)}")
    return list(urls)
