"""API keys for integrations (only their SHA-256 is kept) and idempotency keys of creates."""

from __future__ import annotations

import time
from collections.abc import Callable

from lobby.adapters.directory.db import Database, Row
from lobby.adapters.directory.records import ApiKey, DirectoryError
from lobby.domain.passwords import hash_api_key, new_id, new_secret

KEY_PREFIX = "vtr_"
TOUCH_EVERY = 60.0
"""`last_used` is written at most this often per key, not on every request."""
IDEMPOTENCY_TTL = 24 * 3600.0


class ApiKeys:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def create(self, name: str, scopes: frozenset[str]) -> tuple[ApiKey, str]:
        """A new key: its record and the secret, which is shown once and never stored."""
        name = name.strip()
        if not name or len(name) > 100:
            raise DirectoryError("an API key needs a name of 1 to 100 characters")
        if not scopes:
            raise DirectoryError("an API key needs at least one scope")
        secret = KEY_PREFIX + new_secret(32)
        key = ApiKey(new_id("k"), name, scopes, self._clock())
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO api_keys (id, name, key_hash, scopes, created) VALUES (?, ?, ?, ?, ?)",
                (key.key_id, name, hash_api_key(secret), " ".join(sorted(scopes)), key.created),
            )
        return key, secret

    async def authenticate(self, secret: str) -> ApiKey | None:
        """The key this secret belongs to (revoked ones too: the caller says why it refuses)."""
        if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
            return None
        row = await self._db.one(
            "SELECT * FROM api_keys WHERE key_hash = ?", (hash_api_key(secret),)
        )
        if row is None:
            return None
        key = _key(row)
        now = self._clock()
        if not key.revoked and (key.last_used is None or now - key.last_used > TOUCH_EVERY):
            async with self._db.transaction():
                await self._db.execute(
                    "UPDATE api_keys SET last_used = ? WHERE id = ?", (now, key.key_id)
                )
        return key

    async def all(self) -> list[ApiKey]:
        return [
            _key(row) for row in await self._db.all("SELECT * FROM api_keys ORDER BY created, id")
        ]

    async def revoke(self, key_id: str) -> ApiKey:
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                (self._clock(), key_id),
            )
        row = await self._db.one("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        if row is None:
            raise DirectoryError(f"no API key {key_id!r}")
        return _key(row)


class Idempotency:
    """Remembers which resource a create with an `Idempotency-Key` made, for 24 hours."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def recall(self, principal: str, key: str) -> tuple[str, str] | None:
        """(request hash, resource) of an earlier create with this key, if any."""
        row = await self._db.one(
            "SELECT request_hash, resource FROM idempotency"
            " WHERE principal = ? AND key = ? AND created > ?",
            (principal, key, self._clock() - IDEMPOTENCY_TTL),
        )
        return (row["request_hash"], row["resource"]) if row else None

    async def remember(self, principal: str, key: str, request_hash: str, resource: str) -> None:
        """Call inside the create's transaction, so the two stand or fall together."""
        async with self._db.transaction():
            await self._db.execute(
                "DELETE FROM idempotency WHERE created <= ?", (self._clock() - IDEMPOTENCY_TTL,)
            )
            await self._db.execute(
                "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
                (principal, key, request_hash, resource, self._clock()),
            )


def _key(row: Row) -> ApiKey:
    return ApiKey(
        key_id=row["id"],
        name=row["name"],
        scopes=frozenset(row["scopes"].split()),
        created=row["created"],
        revoked_at=row["revoked_at"],
        last_used=row["last_used"],
    )
