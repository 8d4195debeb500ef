"""Who is acting through the integration API: an API key, or a logged-in member of staff.

An API key carries scopes and sees every room. A clinician's session (the dashboard)
acts as a key with the clinical scopes, limited to the rooms the clinician owns; an ops
account's session may read figures of every room and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lobby.adapters.directory import Account, AccountRole, ApiKey
from lobby.domain.errors import InsufficientScope


class Scope(enum.Enum):
    ROOMS_READ = "rooms:read"
    ROOMS_WRITE = "rooms:write"
    VISITS_READ = "visits:read"
    VISITS_WRITE = "visits:write"
    CLINICAL = "clinical"
    """Names and who is present, in a room's state: health data, so a scope of its own."""


SCOPES = frozenset(s.value for s in Scope)

_ROLE_SCOPES = {
    AccountRole.CLINICIAN: frozenset(
        {Scope.ROOMS_READ, Scope.VISITS_READ, Scope.VISITS_WRITE, Scope.CLINICAL}
    ),
    AccountRole.OPS: frozenset({Scope.ROOMS_READ}),
}


class Kind(enum.Enum):
    API_KEY = "api_key"
    CLINICIAN = "clinician"
    OPS = "ops"


@dataclass(frozen=True, slots=True)
class Principal:
    actor: str
    """The API key's or the account's id: what the audit stream records."""
    kind: Kind
    scopes: frozenset[Scope]
    owner: str | None = None
    """Set for a clinician: only rooms this account owns exist for them."""

    @classmethod
    def of_key(cls, key: ApiKey) -> Principal:
        scopes = frozenset(Scope(s) for s in key.scopes if s in SCOPES)
        return cls(key.key_id, Kind.API_KEY, scopes)

    @classmethod
    def of_account(cls, account: Account) -> Principal:
        kind = Kind.OPS if account.role is AccountRole.OPS else Kind.CLINICIAN
        owner = account.account_id if kind is Kind.CLINICIAN else None
        return cls(account.account_id, kind, _ROLE_SCOPES[account.role], owner)

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise InsufficientScope(f"this needs the {scope.value} scope")

    def may_see(self, owns: bool) -> bool:
        """Whether a room is visible: every room, or for a clinician only those they own."""
        return self.owner is None or owns
