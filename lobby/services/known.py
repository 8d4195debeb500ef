"""The last version of each visit this instance saw, so a transition need not read first."""

from __future__ import annotations

from lobby.domain.model import Visit

MAX_KNOWN = 100_000
"""Visits whose last seen version this instance keeps (the oldest are dropped first)."""


class KnownVisits:
    def __init__(self, limit: int = MAX_KNOWN) -> None:
        self._limit = limit
        self._visits: dict[str, Visit] = {}

    def get(self, visit_id: str) -> Visit | None:
        return self._visits.get(visit_id)

    def remember(self, visit: Visit) -> None:
        self._visits.pop(visit.visit_id, None)
        if visit.ended:
            return
        if len(self._visits) >= self._limit:
            del self._visits[next(iter(self._visits))]
        self._visits[visit.visit_id] = visit

    def forget(self, visit_id: str) -> None:
        self._visits.pop(visit_id, None)
