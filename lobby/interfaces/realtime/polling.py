"""Long-polling POSTs over the message cap, refused before engine.io reads them.

python-engineio answers one by disconnecting its socket, and that close waits, without a
limit, for the send queue to be emptied by a poll that the refused client never makes: the
request was held for ever, one per hostile POST (docs/upstream.md, `engine`). This guard
answers first and closes the socket without waiting, whichever engine.io sockets serve: a
security fix, on with the overrides off too.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware

from lobby.interfaces.http.errors import Handler
from lobby.keys import SIO

ENGINEIO_PATH = "/socket.io/"


def oversized_polls(limit: int) -> Middleware:
    """A middleware refusing (400) a POST to engine.io whose body is over `limit` bytes."""

    @web.middleware
    async def refuse(request: web.Request, handler: Handler) -> web.StreamResponse:
        length = request.content_length
        if (
            request.method == "POST"
            and length is not None
            and length > limit
            and request.path.startswith(ENGINEIO_PATH)
        ):
            sock = request.app[SIO].eio.sockets.get(request.query.get("sid", ""))
            if sock is not None:
                await sock.close(wait=False)  # the client's next poll gets its CLOSE
            return web.Response(status=400, text="packet is too large")
        return await handler(request)

    return refuse
