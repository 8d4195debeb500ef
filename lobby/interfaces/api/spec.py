"""The OpenAPI 3.1 document of `/api/v1`, built here and kept in `docs/openapi.json`.

A test checks that the file is what this builds, and schemathesis checks the running
server against it.
"""

from __future__ import annotations

import json

from lobby.interfaces import wire_api as w
from lobby.interfaces.api.schemas import ERROR_CODES, ID, TIME, Schema, language, ref, schemas
from lobby.services.access import SCOPES

VERSION = "1.0.0"


# operations ------------------------------------------------------------------------------


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Schema]:
    codes = sorted({400, 401, 403, 429, 503, *statuses})
    answers = {str(s): _json(ref("Error"), ERROR_CODES[s]) for s in codes}
    answers["429"]["headers"] = {
        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}
    }
    return answers


def _param(name: str, where: str, schema: Schema, description: str = "") -> Schema:
    param = {"name": name, "in": where, "required": where == "path", "schema": schema}
    if description:
        param["description"] = description
    return param


ROOM_ID = _param("room_id", "path", ID)
VISIT_ID = _param("visit_id", "path", ID)
PAGING = [
    _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": w.LIMIT_MAX}),
    _param(
        "cursor",
        "query",
        {"type": "string", "pattern": w.CURSOR_PATTERN},
        "`next_cursor` of the previous page.",
    ),
]
IDEMPOTENCY = _param(
    "Idempotency-Key",
    "header",
    {"type": "string", "pattern": w.IDEMPOTENCY_KEY_PATTERN},
    "Repeat a create safely: the same key and request within 24 hours make one resource; "
    "the same key with another request is `422 idempotency_mismatch`.",
)
LOCATION = {"Location": {"schema": {"type": "string"}, "required": True}}
ROOM_ANSWER = _json(ref("Room"), "The room.")
VISIT_ANSWER = _json(ref("Visit"), "The visit and its invitation.")


def _op(
    summary: str,
    scope: str,
    responses: dict[str, Schema],
    *,
    params: list[Schema] | None = None,
    body: str | None = None,
    errors: tuple[int, ...] = (404,),
) -> Schema:
    operation: Schema = {
        "summary": summary,
        "description": f"Needs the `{scope}` scope.",
        "parameters": params or [],
        "responses": {**responses, **_errors(*errors)},
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return operation


def _paths() -> dict[str, Schema]:
    """Every route by path: the rooms', then the visits'."""
    return {**_room_paths(), **_visit_paths()}


def _room_paths() -> dict[str, Schema]:
    return {
        "/rooms": _rooms(),
        "/rooms/{room_id}": {
            "get": _op("Read a room", "rooms:read", {"200": ROOM_ANSWER}, params=[ROOM_ID])
        },
        "/rooms/{room_id}/close": {
            "post": _op(
                "Close a room nobody is in; its links are refused from then on",
                "rooms:write",
                {"200": ROOM_ANSWER},
                params=[ROOM_ID],
                errors=(404, 409),
            )
        },
        "/rooms/{room_id}/owners": {
            "put": _op(
                "Set which clinicians own the room",
                "rooms:write",
                {"200": ROOM_ANSWER},
                params=[ROOM_ID],
                body="Owners",
                errors=(404, 422),
            )
        },
        "/rooms/{room_id}/state": {
            "get": _op(
                "Counts and states in the room now (names only with the clinical scope)",
                "rooms:read",
                {"200": _json(ref("RoomState"), "The room now.")},
                params=[ROOM_ID],
            )
        },
        "/rooms/{room_id}/visits": _room_visits(),
    }


def _rooms() -> Schema:
    return {
        "get": _op(
            "List rooms (a clinician's session: their own)",
            "rooms:read",
            {"200": _json(ref("RoomPage"), "A page of rooms, oldest first.")},
            params=PAGING,
            errors=(),
        ),
        "post": _op(
            "Create a room",
            "rooms:write",
            {"201": {**_json(ref("Room"), "Created."), "headers": LOCATION}},
            params=[IDEMPOTENCY],
            body="RoomCreate",
            errors=(422,),
        ),
    }


def _room_visits() -> Schema:
    return {
        "get": _op(
            "List the room's scheduled visits by appointment time",
            "visits:read",
            {"200": _json(ref("VisitPage"), "A page of visits.")},
            params=[
                ROOM_ID,
                *PAGING,
                _param("from", "query", TIME, "Only appointments starting at or after."),
            ],
            errors=(404, 422),
        ),
        "post": _op(
            "Schedule a visit and get its invitation link (and e-mail it if asked)",
            "visits:write",
            {"201": {**VISIT_ANSWER, "headers": LOCATION}},
            params=[ROOM_ID, IDEMPOTENCY],
            body="VisitCreate",
            errors=(404, 409, 422),
        ),
    }


def _visit_paths() -> dict[str, Schema]:
    return {
        "/visits/{visit_id}": {
            "get": _op("Read a visit", "visits:read", {"200": VISIT_ANSWER}, params=[VISIT_ID])
        },
        "/visits/{visit_id}/revoke": {
            "post": _op(
                "Revoke the invitation; a guest who opened it is told at once",
                "visits:write",
                {"200": VISIT_ANSWER},
                params=[VISIT_ID],
            )
        },
        "/visits/{visit_id}/email": _visit_email(),
        "/visits/{visit_id}/invitation.ics": {
            "get": _op(
                "The invitation as an iCalendar file, in the clinic's time zone",
                "visits:read",
                {
                    "200": {
                        "description": "RFC 5545 calendar.",
                        "content": {"text/calendar": {"schema": {"type": "string"}}},
                    }
                },
                params=[VISIT_ID, _param("language", "query", language())],
                errors=(404, 409),
            )
        },
    }


def _visit_email() -> Schema:
    return {
        "get": _op(
            "The invitation e-mail's text (Norwegian and English)",
            "visits:read",
            {"200": _json(ref("EmailText"), "Subject, plain text and HTML.")},
            params=[VISIT_ID, _param("language", "query", language())],
            errors=(404, 409),
        ),
        "post": _op(
            "E-mail the invitation (again); the link works whatever happens to the e-mail",
            "visits:write",
            {"202": _json(ref("Visit"), "Sent, or queued for a retry, or failed.")},
            params=[VISIT_ID],
            body="EmailRequest",
            errors=(404, 409, 422),
        ),
    }


def document() -> Schema:
    scopes = ", ".join(f"`{s}`" for s in sorted(SCOPES))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Venterom integration API",
            "version": VERSION,
            "description": "Rooms, visits and invitations for a clinic's scheduling system. "
            f"Authenticate with `Authorization: Bearer <API key>`; keys have scopes ({scopes}) "
            "and are made with `venterom apikey create`. Errors are JSON "
            '`{"error": code, "message": text}`. Lists are paged with `limit` and `cursor`.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"apiKey": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key."}
            },
            "schemas": schemas(),
        },
    }


def render() -> str:
    """The document as kept in docs/openapi.json."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
