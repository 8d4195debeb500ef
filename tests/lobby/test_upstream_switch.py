"""`VENTEROM_UPSTREAM` turns each override of another package's internals off on its own,
and the server then works on upstream's path (docs/upstream.md). `make test` runs the
realtime tests with all of them off; here each one alone, on Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
import socketio
from engineio.async_socket import AsyncSocket

from lobby.adapters.managers import SidRoomsIndex
from lobby.adapters.pubsub import OwnedPubSub
from lobby.adapters.resp import RedisPyLine, RespConnection
from lobby.interfaces.realtime.engine import LeanAsyncServer, LeanSocket
from lobby.keys import SIO, STORE
from lobby.settings import OVERRIDES, Settings
from tests.fixtures.servers import Harness, visit_in


def test_the_setting_names_overrides_or_all() -> None:
    assert Settings().upstream == ()
    assert all(Settings().overrides(name) for name in OVERRIDES)
    everything = Settings.from_env({"VENTEROM_UPSTREAM": "all"})
    assert not any(everything.overrides(name) for name in OVERRIDES)
    some = Settings.from_env({"VENTEROM_UPSTREAM": "engine, managers"})
    assert [name for name in OVERRIDES if not some.overrides(name)] == ["engine", "managers"]
    assert not Settings(upstream=("resp",)).overrides("pubsub"), "pubsub is built on resp"
    with pytest.raises(ValueError, match="VENTEROM_UPSTREAM: pubsbu not among"):
        Settings.from_env({"VENTEROM_UPSTREAM": "pubsbu"})


@pytest.mark.redis
@pytest.mark.parametrize("off", OVERRIDES)
async def test_each_override_alone_can_be_turned_off(
    tmp_path: Path, redis_url: str, off: str
) -> None:
    harness = Harness(tmp_path, redis_url)
    try:
        server = await harness.server(upstream=(off,))
        room = await harness.room(await harness.clinician("doctor"))
        doctor = await harness.clinician_client(server, "doctor")
        guest, visit_id = await harness.waiting_guest(server, room)
        assert (await doctor.call("admit", {"visit_id": visit_id}))["ok"]
        await guest.wait_for("visit", visit_in("in_call"))

        sio = server.app[SIO]
        assert isinstance(sio, LeanAsyncServer) == (off != "engine")
        socket_class = AsyncSocket if off == "engine" else LeanSocket
        assert {type(s) for s in sio.eio.sockets.values()} == {socket_class}
        assert isinstance(sio.manager, socketio.AsyncRedisManager)
        assert isinstance(sio.manager, OwnedPubSub) == (off not in {"pubsub", "resp"})
        assert isinstance(sio.manager, SidRoomsIndex) == (off != "managers")
        line = server.app[STORE]._line  # type: ignore[attr-defined]
        assert isinstance(line, RedisPyLine if off == "resp" else RespConnection)
    finally:
        await harness.close()
