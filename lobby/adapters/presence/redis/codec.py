"""Records as Redis holds them: visits as hashes, sessions and change records as JSON."""

from __future__ import annotations

import enum
import json
import math
import time
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from lobby.adapters.presence.store import SessionKind, SessionRecord, VisitSaved
from lobby.domain.model import Visit


def _num(value: float) -> str:
    """A float as text that parses back to the identical float (Redis reads it too)."""
    return repr(float(value))


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _text(value: object) -> str:
    """Decode what redis-py returns, with or without ``decode_responses``."""
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def _encode_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return _flag(value)
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return str(value)


def _decoder(hint: Any) -> Callable[[str], Any]:
    """How to read back one field, from its type hint; unknown types fail at import."""
    args = typing.get_args(hint)
    if type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        if inner is str:
            raise TypeError("str | None cannot be told apart from an empty string")
        read = _decoder(inner)
        return lambda text: None if text == "" else read(text)
    if hint is bool:
        return lambda text: text == "1"
    if hint in (str, int, float):
        return cast("Callable[[str], Any]", hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if typing.get_origin(hint) is tuple:
        return lambda text: tuple(str(item) for item in json.loads(text))
    raise TypeError(f"no Redis encoding for {hint!r}")


_VISIT_FIELDS: dict[str, Callable[[str], Any]] = {
    name: _decoder(hint) for name, hint in typing.get_type_hints(Visit).items()
}
"""Every `Visit` field and how to decode it; a new field is stored without changes here."""


def encode_visit(visit: Visit) -> dict[str, str]:
    """The hash fields of a visit: enums by value, tuples as JSON, floats by repr, None as ''."""
    return {name: _encode_value(getattr(visit, name)) for name in _VISIT_FIELDS}


def decode_visit(fields: Mapping[str, str]) -> Visit:
    """The inverse of `encode_visit`; a field written before it existed keeps its default."""
    return Visit(
        **{name: read(fields[name]) for name, read in _VISIT_FIELDS.items() if name in fields}
    )


def decode_change(message: str) -> VisitSaved:
    """A change record as the save script publishes it (origin, sequence, visit fields)."""
    record = json.loads(message)
    items = record["visit"]
    return VisitSaved(
        decode_visit(dict(zip(items[::2], items[1::2], strict=True))), int(record["sequence"])
    )


def _decode_mapping(raw: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in raw.items()}


def _decode_pairs(flat: Sequence[Any]) -> dict[str, str]:
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}


def _session_json(record: SessionRecord) -> str:
    return json.dumps(
        {
            "kind": record.kind,
            "subject": record.subject,
            "room_id": record.room_id,
            "expires_at": record.expires_at,
            "issued_at": record.issued_at,
            "seen_at": record.seen_at,
            "ended": record.ended,
        }
    )


def _session_ttl(record: SessionRecord) -> int:
    """Whole seconds for the key (rounded up; 0: already expired)."""
    remaining = record.expires_at - time.time()
    return max(1, math.ceil(remaining)) if remaining > 0 else 0


def _decode_session(raw: object) -> SessionRecord | None:
    data = json.loads(_text(raw))
    kind: SessionKind = "clinician" if data["kind"] == "clinician" else "guest"
    record = SessionRecord(
        kind=kind,
        subject=str(data["subject"]),
        room_id=str(data["room_id"]),
        expires_at=float(data["expires_at"]),
        issued_at=float(data.get("issued_at", 0.0)),
        seen_at=float(data.get("seen_at", 0.0)),
        ended=bool(data.get("ended", False)),
    )
    # The key's TTL is rounded up to whole seconds; the record's own time is exact.
    return record if record.expires_at > time.time() else None
