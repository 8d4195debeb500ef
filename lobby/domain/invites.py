"""Invitation tokens: HMAC-signed, bound to audience, room, visit, role and a time window.

The link carries the token in the URL fragment (`/join#<token>`) so it reaches no server
log or Referer; the page exchanges it by POST for a short-lived guest session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from lobby.domain.errors import InvalidToken, TokenExpired, TokenNotYetValid
from lobby.domain.model import Role

AUDIENCE = "venterom-guest"
_VERSION = 1
_MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class Invitation:
    room_id: str
    visit_id: str
    role: Role
    not_before: float
    expires_at: float
    appointment_start: float
    appointment_end: float


def sign(invitation: Invitation, secret: str) -> str:
    """Encode and sign an invitation as `<payload>.<mac>` (both base64url, unpadded)."""
    payload = {
        "v": _VERSION,
        "aud": AUDIENCE,
        "room": invitation.room_id,
        "visit": invitation.visit_id,
        "role": invitation.role.value,
        "nbf": int(invitation.not_before),
        "exp": int(invitation.expires_at),
        "start": int(invitation.appointment_start),
        "end": int(invitation.appointment_end),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(secret, body))}"


def verify(token: str, secret: str, now: float) -> Invitation:
    """Return the invitation a token carries, or raise a named error; no detail leaks."""
    body = _authentic_body(token, secret)
    try:
        claims = json.loads(_unb64(body))
        invitation = _from_claims(claims)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("malformed invitation") from exc
    if now < invitation.not_before:
        raise TokenNotYetValid("invitation not valid yet")
    if now >= invitation.expires_at:
        raise TokenExpired("invitation expired")
    return invitation


def link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/join#{token}"


def _authentic_body(token: str, secret: str) -> str:
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidToken("malformed invitation")
    body, mac = token.split(".")
    try:
        given = _unb64(mac)
    except ValueError as exc:
        raise InvalidToken("malformed invitation") from exc
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise InvalidToken("bad signature")
    return body


def _from_claims(claims: dict[str, object]) -> Invitation:
    if claims["v"] != _VERSION or claims["aud"] != AUDIENCE:
        raise ValueError("wrong audience or version")
    room, visit = claims["room"], claims["visit"]
    if not isinstance(room, str) or not isinstance(visit, str) or not room or not visit:
        raise ValueError("room and visit must be strings")
    return Invitation(
        room_id=room,
        visit_id=visit,
        role=Role(claims["role"]),
        not_before=_number(claims["nbf"]),
        expires_at=_number(claims["exp"]),
        appointment_start=_number(claims["start"]),
        appointment_end=_number(claims["end"]),
    )


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return float(value)


def _mac(secret: str, body: str) -> bytes:
    message = f"{AUDIENCE}.v{_VERSION}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))
