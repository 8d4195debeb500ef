"""Named domain errors; each carries a stable code that clients receive."""

from __future__ import annotations


class LobbyError(Exception):
    """Base for every refusal a client may see; `code` is stable and documented."""

    code = "error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.code)


class InvalidTransition(LobbyError):
    """The visit's current state does not allow the requested action."""

    code = "invalid_transition"


class NotPermitted(LobbyError):
    """The actor may not perform this action (e.g. a guest trying to admit)."""

    code = "not_permitted"


class NotFound(LobbyError):
    """The visit or room does not exist, or is not visible to the caller."""

    code = "not_found"


class InvalidPayload(LobbyError):
    """The message is malformed, oversized or has values out of range."""

    code = "invalid_payload"


class Unauthenticated(LobbyError):
    """No valid session accompanies the request."""

    code = "unauthenticated"


class InvalidToken(LobbyError):
    """An invitation token is forged, malformed or for another audience."""

    code = "invalid_token"


class TokenExpired(LobbyError):
    """An invitation token is outside its validity window."""

    code = "token_expired"


class TokenNotYetValid(LobbyError):
    """An invitation token was opened before its window opens."""

    code = "token_not_yet_valid"


class Conflict(LobbyError):
    """A concurrent change won; the caller's action was not applied."""

    code = "conflict"


class RateLimited(LobbyError):
    """Too many requests from this connection."""

    code = "rate_limited"
