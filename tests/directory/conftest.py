"""The directory's backends, for the contract tests: every test runs on SQLite and on a
real PostgreSQL (tests/fixtures/postgres_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lobby.adapters.directory import Directory


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a directory lives: a SQLite file, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "directory.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def directory(target: str, clock: Clock) -> AsyncIterator[Directory]:
    async with Directory(target, clock) as opened:
        yield opened
