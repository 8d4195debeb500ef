"""The folders are the layers, and imports go one way (issue #18).

domain ← services ← interfaces, with adapters beside the services: the domain imports
nothing of ours and does no I/O; adapters know the domain (and each other), never a service
or an interface; services never import an interface; `signaling` needs only the domain.
Socket.io's format stays out of the domain, the services and the presence stores.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("lobby.settings", "lobby.logs")
"""Configuration and logging: any layer may read them."""

RULES = {
    "lobby.domain": ("lobby.domain",),
    "lobby.adapters": ("lobby.domain", "lobby.adapters", *SHARED),
    "lobby.services": ("lobby.domain", "lobby.adapters", "lobby.services", "signaling", *SHARED),
    "signaling": ("lobby.domain", "signaling"),
}
"""Of our own modules, what each layer may import."""

NO_SOCKETS = ("lobby.domain", "lobby.services", "lobby.adapters.presence")
NO_IO = ("asyncio", "aiohttp", "redis", "socketio", "engineio", "asyncpg", "sqlite3", "aiortc")


def modules() -> dict[str, Path]:
    found = {}
    for package in ("lobby", "signaling"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def ours(name: str) -> bool:
    return name.split(".")[0] in {"lobby", "signaling"}


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("layer", sorted(RULES))
def test_each_layer_imports_only_what_lies_beneath(layer: str) -> None:
    found = modules()
    wrong = {
        f"{module} imports {name}"
        for module, path in found.items()
        if within(module, (layer,))
        for name in imports(path)
        if ours(name) and not within(name, RULES[layer]) and name not in {"lobby"}
    }
    assert not wrong, sorted(wrong)
    assert any(within(m, (layer,)) for m in found), f"no modules in {layer}: the rule tests nothing"


def test_socket_io_stays_in_the_realtime_layer_and_its_managers() -> None:
    found = modules()
    wrong = {
        f"{module} imports {name}"
        for module, path in found.items()
        if within(module, NO_SOCKETS)
        for name in imports(path)
        if within(name, ("socketio", "engineio", "lobby.interfaces"))
    }
    assert not wrong, sorted(wrong)


def test_the_domain_does_no_io() -> None:
    found = modules()
    wrong = {
        f"{module} imports {name}"
        for module, path in found.items()
        if within(module, ("lobby.domain",))
        for name in imports(path)
        if within(name, NO_IO)
    }
    assert not wrong, sorted(wrong)


def test_the_rules_catch_a_back_arrow(tmp_path: Path) -> None:
    """The checker itself: a service importing the realtime layer is seen."""
    sample = tmp_path / "sample.py"
    sample.write_text("from lobby.interfaces.realtime.common import GUEST_NS\nimport socketio\n")
    names = imports(sample)
    assert "lobby.interfaces.realtime.common" in names
    assert not all(within(n, RULES["lobby.services"]) for n in names if ours(n))
    assert any(within(n, ("socketio",)) for n in names)
