"""API keys and idempotency keys, on both backends."""

from __future__ import annotations

import pytest

from lobby.adapters.directory import Directory, DirectoryError
from lobby.adapters.directory.api_keys import IDEMPOTENCY_TTL, TOUCH_EVERY
from tests.directory.conftest import Clock


async def test_a_key_authenticates_until_revoked(directory: Directory, clock: Clock) -> None:
    key, secret = await directory.api_keys.create("EPJ", frozenset({"rooms:read"}))

    found = await directory.api_keys.authenticate(secret)
    assert found is not None and found.key_id == key.key_id and found.last_used is None
    first_use = clock.now
    clock.now += TOUCH_EVERY / 2
    touched = await directory.api_keys.authenticate(secret)
    assert touched is not None and touched.last_used == first_use
    assert [k.last_used for k in await directory.api_keys.all()] == [first_use], (
        "written at most once a minute"
    )
    clock.now += TOUCH_EVERY
    await directory.api_keys.authenticate(secret)
    assert [k.last_used for k in await directory.api_keys.all()] == [clock.now]

    revoked = await directory.api_keys.revoke(key.key_id)
    assert revoked.revoked
    again = await directory.api_keys.authenticate(secret)
    assert again is not None and again.revoked
    assert await directory.api_keys.authenticate(secret + "x") is None
    assert await directory.api_keys.authenticate("not a key") is None
    with pytest.raises(DirectoryError):
        await directory.api_keys.revoke("k_unknown")
    with pytest.raises(DirectoryError):
        await directory.api_keys.create("no scopes", frozenset())


async def test_an_idempotency_key_is_remembered_for_a_day(
    directory: Directory, clock: Clock
) -> None:
    await directory.idempotency.remember("key:k1", "abc", "hash1", "room:r1")

    assert await directory.idempotency.recall("key:k1", "abc") == ("hash1", "room:r1")
    assert await directory.idempotency.recall("key:k2", "abc") is None
    clock.now += IDEMPOTENCY_TTL
    assert await directory.idempotency.recall("key:k1", "abc") is None
    await directory.idempotency.remember("key:k1", "abc", "hash2", "room:r2")
    assert await directory.idempotency.recall("key:k1", "abc") == ("hash2", "room:r2")
