import importlib.util
from collections.abc import Mapping

import pytest
from pytest_asyncio.plugin import LoopFactory

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
