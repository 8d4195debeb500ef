"""Security floors: every package the server runs on is at or above the lowest version that
fixed its known vulnerabilities, both as installed and as pyproject.toml declares it.

The floors and the advisories behind them are in tests/security/floors.toml (no vulnerability
service is reachable from here: the table is kept by hand).
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
FLOORS = Path(__file__).with_name("floors.toml")
LOWER_BOUNDS = frozenset({">=", ">", "==", "~=", "==="})
"""Specifier operators that put a lower bound on the versions allowed."""
ADVISORY = re.compile(r"CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}")


@dataclass(frozen=True)
class Floor:
    package: str
    version: Version | None
    """None: no advisory was found, so there is no floor to hold."""
    advisories: tuple[str, ...]
    source: str

    @property
    def why(self) -> str:
        return ", ".join(self.advisories) or self.source


def _floor(package: str, row: dict[str, Any]) -> Floor:
    version = Version(row["floor"]) if "floor" in row else None
    return Floor(package, version, tuple(row.get("advisories", ())), str(row.get("source", "")))


def floors() -> list[Floor]:
    table = tomllib.loads(FLOORS.read_text(encoding="utf-8"))["packages"]
    return [_floor(package, row) for package, row in table.items()]


def declared() -> dict[str, Requirement]:
    """pyproject.toml's runtime dependencies, by canonical name."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = (Requirement(line) for line in project["dependencies"])
    return {canonicalize_name(r.name): r for r in requirements}


def lowest_allowed(specifier: SpecifierSet) -> Version | None:
    """The lowest version a specifier lets in (None: no lower bound at all)."""
    bounds = [
        Version(spec.version.removesuffix(".*"))
        for spec in specifier
        if spec.operator in LOWER_BOUNDS
    ]
    return max(bounds, default=None)


HELD = [floor for floor in floors() if floor.version is not None]


def _ids(floor: Floor) -> str:
    return floor.package


@pytest.mark.parametrize("floor", HELD, ids=_ids)
def test_the_installed_version_is_at_or_above_the_floor(floor: Floor) -> None:
    requirement = declared().get(canonicalize_name(floor.package))
    if requirement is not None and requirement.marker and not requirement.marker.evaluate():
        pytest.skip(f"{floor.package} is not used on this platform ({requirement.marker})")
    try:
        installed = Version(importlib.metadata.version(floor.package))
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{floor.package} is not installed (floor {floor.version}: {floor.why})")
    assert floor.version is not None
    assert installed >= floor.version, (
        f"{floor.package}: installed {installed} is below its security floor "
        f"{floor.version} ({floor.why})"
    )


@pytest.mark.parametrize("floor", HELD, ids=_ids)
def test_pyproject_declares_at_least_the_floor(floor: Floor) -> None:
    requirement = declared().get(canonicalize_name(floor.package))
    assert requirement is not None, (
        f"{floor.package} is not in pyproject.toml's dependencies: declare it with "
        f"'>={floor.version}' so that no install resolves below its floor ({floor.why})"
    )
    lowest = lowest_allowed(requirement.specifier)
    assert floor.version is not None
    assert lowest is not None and lowest >= floor.version, (
        f"{floor.package}: pyproject.toml allows {lowest or 'any version'} "
        f"({requirement}), below its security floor {floor.version} ({floor.why})"
    )


def test_every_runtime_dependency_has_a_row() -> None:
    """A new dependency is looked up for advisories before it ships (a row with no floor
    says none was found)."""
    rows = {canonicalize_name(floor.package) for floor in floors()}
    missing = sorted(set(declared()) - rows)
    assert not missing, f"add these to {FLOORS.name} (with their advisories, or none): {missing}"


def test_every_row_says_where_it_comes_from() -> None:
    problems = []
    for floor in floors():
        if not floor.source:
            problems.append(f"{floor.package}: no source")
        problems += [
            f"{floor.package}: {advisory!r} is not a CVE or GHSA id"
            for advisory in floor.advisories
            if not ADVISORY.fullmatch(advisory)
        ]
        if floor.version is None and floor.advisories:
            problems.append(f"{floor.package}: advisories without the version that fixed them")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("specifier", "lowest"),
    [
        (">=3.14.3", "3.14.3"),
        (">=1.0,!=1.2", "1.0"),
        ("==2.1.*", "2.1"),
        ("~=50.0", "50.0"),
        (">4,>=3", "4"),
        ("<9", None),
        ("", None),
    ],
)
def test_lowest_allowed(specifier: str, lowest: str | None) -> None:
    expected = Version(lowest) if lowest is not None else None
    assert lowest_allowed(SpecifierSet(specifier)) == expected
