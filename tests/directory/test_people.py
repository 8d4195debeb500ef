"""Accounts, on both backends."""

from __future__ import annotations

import pytest

from lobby.adapters.directory import AccountRole, Directory, DirectoryError
from tests.directory.conftest import Clock


async def test_an_account_is_found_by_id_and_by_its_normalised_username(
    directory: Directory,
) -> None:
    added = await directory.accounts.add("  Dr.Lege ", "hash", " Dr. Lege ")

    assert (added.username, added.display_name, added.role) == (
        "dr.lege",
        "Dr. Lege",
        AccountRole.CLINICIAN,
    )
    assert await directory.accounts.get(added.account_id) == added
    assert await directory.accounts.by_username("DR.LEGE") == added
    assert await directory.accounts.get("c_unknown") is None


async def test_a_taken_or_empty_username_is_refused(directory: Directory) -> None:
    await directory.accounts.add("doctor", "hash", "Doctor")

    with pytest.raises(DirectoryError, match="taken"):
        await directory.accounts.add("DOCTOR", "other", "Someone else")
    with pytest.raises(DirectoryError, match="1 to 64"):
        await directory.accounts.add("   ", "hash", "Nobody")
    assert [a.username for a in await directory.accounts.all()] == ["doctor"]


async def test_many_and_all(directory: Directory) -> None:
    nurse = await directory.accounts.add("nurse", "hash", "")
    ops = await directory.accounts.add("ops", "hash", "Ops", AccountRole.OPS)
    doctor = await directory.accounts.add("doctor", "hash", "Doctor")

    assert nurse.display_name == "nurse", "no name: the username"
    assert await directory.accounts.many([ops.account_id, nurse.account_id, "c_x"]) == {
        ops.account_id: ops,
        nurse.account_id: nurse,
    }
    assert await directory.accounts.many([]) == {}
    assert await directory.accounts.all() == [doctor, nurse, ops]


async def test_disabling_and_a_new_password_void_earlier_sessions(
    directory: Directory, clock: Clock
) -> None:
    account = await directory.accounts.add("doctor", "hash", "Doctor")
    issued = clock.now
    clock.now += 10

    await directory.accounts.set_password(account.account_id, "new hash")
    changed = await directory.accounts.get(account.account_id)
    assert changed is not None and changed.password_hash == "new hash"
    assert not changed.accepts_session(issued) and changed.accepts_session(clock.now)

    clock.now += 10
    await directory.accounts.set_disabled(account.account_id, True)
    disabled = await directory.accounts.get(account.account_id)
    assert disabled is not None and disabled.disabled and disabled.sessions_after == clock.now
    await directory.accounts.set_disabled(account.account_id, False)
    enabled = await directory.accounts.get(account.account_id)
    assert enabled is not None and enabled.accepts_session(clock.now)

    with pytest.raises(DirectoryError, match="no such account"):
        await directory.accounts.set_disabled("c_unknown", True)
