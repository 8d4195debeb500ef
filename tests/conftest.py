import importlib.util
from collections.abc import Mapping

import pytest
from pytest_asyncio.plugin import LoopFactory

from tests.fixtures.upstream import UPSTREAM, skip_if_overridden_off

pytest_plugins = [
    "tests.fixtures.redis_server",
    "tests.fixtures.postgres_server",
    "tests.fixtures.servers",
]

if importlib.util.find_spec("uvloop") is not None:  # not on Windows (pyproject.toml)
    import uvloop

    def pytest_asyncio_loop_factories(
        config: pytest.Config, item: pytest.Item
    ) -> Mapping[str, LoopFactory]:
        """Every async test runs on uvloop, the loop `venterom serve` runs on
        (lobby/eventloop.py); tests/lobby/test_cli.py serves on each of the two."""
        return {"uvloop": uvloop.new_event_loop}


def pytest_configure(config: pytest.Config) -> None:
    if not UPSTREAM.overrides("pubsub"):
        # Upstream's AsyncRedisManager opens a new client at each reconnection and leaves
        # the one it replaces open (docs/upstream.md, `pubsub`): its streams warn when
        # collected. Only in runs that use it.
        for unclosed in ("<StreamWriter", "Connection <redis.asyncio.connection"):
            config.addinivalue_line("filterwarnings", f"ignore:unclosed {unclosed}:ResourceWarning")


def pytest_runtest_setup(item: pytest.Item) -> None:
    skip_if_overridden_off(item)
