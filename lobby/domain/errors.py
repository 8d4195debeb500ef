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
    """A concurrent change won, or the resource's state refuses the change (`code` says
    which: `room_closed`, `room_busy`, …); the caller's action was not applied."""

    code = "conflict"

    def __init__(self, message: str = "", code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class RateLimited(LobbyError):
    """Too many requests (from this address, for this account, on this connection…);
    `retry_after` says in how many seconds to try again."""

    code = "rate_limited"

    def __init__(self, message: str = "", retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvitationRevoked(LobbyError):
    """The clinic cancelled this invitation; its link no longer works."""

    code = "invitation_revoked"


class RoomClosed(LobbyError):
    """The room is closed: its invitation links are refused."""

    code = "room_closed"


class InsufficientScope(LobbyError):
    """The API key (or account) may not do this: it lacks the scope."""

    code = "insufficient_scope"


class Unprocessable(LobbyError):
    """Well-formed, but it cannot be done (an unknown owner, a time in the past, …);
    `code` says which."""

    code = "unprocessable"

    def __init__(self, message: str = "", code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class Unavailable(LobbyError):
    """The presence store cannot be reached (Redis down or restarting): nothing was
    changed; try again in a moment."""

    code = "unavailable"


class UnknownEvent(LobbyError):
    """A socket.io event this namespace does not have (or a message that names none)."""

    code = "unknown_event"
