"""The caller of an API request, as the authentication middleware found it."""

from __future__ import annotations

from aiohttp import web

from lobby.domain.errors import Unauthenticated
from lobby.services.access import Principal

PRINCIPAL = web.RequestKey("principal", Principal)


def bearer(request: web.Request) -> str | None:
    """The API key in `Authorization: Bearer …`, if the header is there (else None)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("use Authorization: Bearer <API key>")
    return value.strip()
