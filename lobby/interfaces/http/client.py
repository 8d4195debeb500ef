"""The address of whoever sent an HTTP request (see `lobby.addresses`)."""

from __future__ import annotations

from aiohttp import web

from lobby.addresses import client_address
from lobby.keys import SETTINGS


def request_client(request: web.Request) -> str:
    """The address of whoever sent `request` (see `client_address`)."""
    return client_address(
        request.remote,
        request.headers.get("X-Forwarded-For"),
        request.config_dict[SETTINGS].trusted_proxies,
    )
