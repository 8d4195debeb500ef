"""Staff accounts: clinicians and operations staff, their passwords and whether they may log in."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from lobby.adapters.directory.db import Database, IntegrityError, Row
from lobby.adapters.directory.records import Account, AccountRole, DirectoryError
from lobby.domain.passwords import new_id

MAX_USERNAME = 64


class Accounts:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    async def add(
        self,
        username: str,
        password_hash: str,
        display_name: str,
        role: AccountRole = AccountRole.CLINICIAN,
    ) -> Account:
        username = normalise_username(username)
        if not username or len(username) > MAX_USERNAME:
            raise DirectoryError(f"username must have 1 to {MAX_USERNAME} characters")
        account = Account(
            new_id("c"), username, display_name.strip() or username, password_hash, role
        )
        try:
            async with self._db.transaction():
                await self._db.execute(
                    "INSERT INTO clinicians (id, username, password_hash, display_name, created,"
                    " role) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        account.account_id,
                        username,
                        password_hash,
                        account.display_name,
                        self._clock(),
                        role.value,
                    ),
                )
        except IntegrityError as exc:
            raise DirectoryError(f"username {username!r} is taken") from exc
        return account

    async def get(self, account_id: str) -> Account | None:
        row = await self._db.one("SELECT * FROM clinicians WHERE id = ?", (account_id,))
        return account_from_row(row) if row else None

    async def by_username(self, username: str) -> Account | None:
        row = await self._db.one(
            "SELECT * FROM clinicians WHERE username = ?", (normalise_username(username),)
        )
        return account_from_row(row) if row else None

    async def many(self, account_ids: Iterable[str]) -> dict[str, Account]:
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._db.all(f"SELECT * FROM clinicians WHERE id IN ({marks})", tuple(ids))  # noqa: S608
        return {row["id"]: account_from_row(row) for row in rows}

    async def all(self) -> list[Account]:
        return [
            account_from_row(r)
            for r in await self._db.all("SELECT * FROM clinicians ORDER BY username")
        ]

    async def set_password(self, account_id: str, password_hash: str) -> None:
        """A new password; sessions opened with the old one end."""
        await self._update(
            account_id,
            "password_hash = ?, sessions_after = ?",
            (password_hash, self._clock()),
        )

    async def set_disabled(self, account_id: str, disabled: bool) -> None:
        """Disabling ends the account's sessions; enabling lets it log in again."""
        if disabled:
            await self._update(account_id, "disabled = 1, sessions_after = ?", (self._clock(),))
        else:
            await self._update(account_id, "disabled = 0", ())

    async def _update(self, account_id: str, assignments: str, params: tuple[object, ...]) -> None:
        async with self._db.transaction():
            changed = await self._db.execute(
                f"UPDATE clinicians SET {assignments} WHERE id = ?",  # noqa: S608
                (*params, account_id),
            )
        if changed == 0:
            raise DirectoryError("no such account")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def account_from_row(row: Row) -> Account:
    return Account(
        account_id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        password_hash=row["password_hash"],
        role=AccountRole(row["role"]),
        disabled=bool(row["disabled"]),
        sessions_after=row["sessions_after"],
    )
