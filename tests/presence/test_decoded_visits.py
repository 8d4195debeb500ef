"""The Redis store's decoded-visit cache: a snapshot row for an unchanged visit reuses the
last decoded copy; any change in version or time, or a row it cannot read fast, decodes."""

from __future__ import annotations

import dataclasses

from lobby.adapters.presence.redis.codec import encode_visit
from lobby.adapters.presence.redis.snapshots import _DecodedVisits
from lobby.domain.model import Role, Visit, VisitState


def _row(visit: Visit, as_bytes: bool = False) -> list[object]:
    flat = [part for pair in encode_visit(visit).items() for part in pair]
    return [part.encode() for part in flat] if as_bytes else flat


VISIT = Visit(
    visit_id="v1",
    room_id="r1",
    role=Role.PATIENT,
    state=VisitState.WAITING,
    display_name="version",  # a value equal to a field's name must not confuse the lookup
    version=3,
    changed_at=1764140000.125,
)


def test_an_unchanged_visit_is_the_same_object_and_a_changed_one_is_decoded_again() -> None:
    decoded = _DecodedVisits()
    first = decoded.row(_row(VISIT))
    assert first == VISIT
    assert decoded.row(_row(VISIT)) is first
    admitted = dataclasses.replace(
        VISIT, state=VisitState.IN_CALL, version=4, changed_at=VISIT.changed_at + 1
    )
    assert decoded.row(_row(admitted)) == admitted
    touched = dataclasses.replace(admitted, detail="x", changed_at=admitted.changed_at + 1)
    assert decoded.row(_row(touched)).detail == "x", "same version, newer time: decoded"


def test_rows_of_bytes_are_decoded_the_slow_way() -> None:
    decoded = _DecodedVisits()
    assert decoded.row(_row(VISIT, as_bytes=True)) == VISIT
    assert decoded.row(_row(VISIT, as_bytes=True)) == VISIT
