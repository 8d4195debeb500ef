"""The pure visit state machine: every legal transition, every illegal one, whole histories."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from lobby.domain import machine
from lobby.domain.errors import InvalidTransition, NotPermitted
from lobby.domain.model import (
    Action,
    Actor,
    DenyReason,
    EndReason,
    Joining,
    Role,
    Visit,
    VisitState,
)

S = VisitState
JOINING = Joining("Kari Nordmann", True, ("Ola",), "passed")

# (action, actor, from state, reconnecting) -> (to state, end reason, reconnecting after)
LEGAL: dict[tuple[Action, Actor, VisitState, bool], tuple[VisitState, EndReason | None, bool]] = {}


def _legal(
    action: Action,
    actor: Actor,
    sources: list[VisitState],
    target: VisitState | None,
    reason: EndReason | None = None,
    flags: tuple[bool, ...] = (False,),
    flag_after: bool | None = None,
) -> None:
    for source, flag in itertools.product(sources, flags):
        after = flag if flag_after is None else flag_after
        if target is S.ENDED:
            after = False
        LEGAL[(action, actor, source, flag)] = (target or source, reason, after)


LIVE = [S.WAITING, S.IN_CALL, S.PAUSED]
CALL = [S.IN_CALL, S.PAUSED]
OPEN = [S.INVITED, S.CHECKING, *LIVE]
BOTH = (False, True)

_legal(Action.OPEN_LINK, Actor.GUEST, [S.INVITED, S.CHECKING], S.CHECKING)
_legal(Action.JOIN, Actor.GUEST, [S.CHECKING], S.WAITING)
_legal(Action.ADMIT, Actor.CLINICIAN, [S.WAITING], S.IN_CALL, flags=BOTH)
_legal(Action.DENY, Actor.CLINICIAN, [S.WAITING], S.ENDED, EndReason.DENIED, flags=BOTH)
_legal(Action.SEND_BACK, Actor.CLINICIAN, CALL, S.WAITING, flags=BOTH)
_legal(Action.PAUSE, Actor.CLINICIAN, [S.IN_CALL], S.PAUSED, flags=BOTH)
_legal(Action.REQUEST_PAUSE, Actor.GUEST, [S.IN_CALL], S.PAUSED, flags=BOTH)
_legal(Action.RESUME, Actor.CLINICIAN, [S.PAUSED], S.IN_CALL, flags=BOTH)
_legal(Action.END, Actor.CLINICIAN, CALL, S.ENDED, EndReason.COMPLETED, flags=BOTH)
_legal(Action.MOVE_TO_PHONE, Actor.CLINICIAN, LIVE, S.ENDED, EndReason.MOVED_TO_PHONE, flags=BOTH)
_legal(Action.REMOVE, Actor.CLINICIAN, LIVE, S.ENDED, EndReason.REMOVED, flags=BOTH)
_legal(Action.LEAVE, Actor.GUEST, OPEN, S.ENDED, EndReason.LEFT, flags=BOTH)
_legal(Action.WITHDRAW, Actor.GUEST, OPEN, S.ENDED, EndReason.WITHDRAWN, flags=BOTH)
_legal(Action.DISCONNECT, Actor.SYSTEM, LIVE, None, flags=(False,), flag_after=True)
_legal(Action.RECONNECT, Actor.GUEST, LIVE, None, flags=(True,), flag_after=False)
_legal(Action.EXPIRE, Actor.SYSTEM, OPEN, S.ENDED, EndReason.EXPIRED, flags=BOTH)
_legal(Action.CHECK_IDENTITY, Actor.CLINICIAN, LIVE, None, flags=BOTH)
_legal(Action.REVOKE, Actor.SYSTEM, OPEN, S.ENDED, EndReason.REVOKED, flags=BOTH)
# A visit that ended `left` (visit_in(S.ENDED)) is revoked too, or its guest could reopen it.
LEGAL[(Action.REVOKE, Actor.SYSTEM, S.ENDED, False)] = (S.ENDED, EndReason.REVOKED, False)
# visit_in(S.ENDED) ended `left`, which may start over (see the reopen tests below).
LEGAL[(Action.OPEN_LINK, Actor.GUEST, S.ENDED, False)] = (S.CHECKING, None, False)

# Flags only exist on live states.
SITUATIONS = [(s, False) for s in S] + [(s, True) for s in LIVE]


def visit_in(
    state: VisitState, reconnecting: bool = False, end_reason: EndReason | None = None
) -> Visit:
    ended = state is S.ENDED
    return Visit(
        visit_id="v1",
        room_id="r1",
        role=Role.PATIENT,
        state=state,
        end_reason=end_reason or (EndReason.LEFT if ended else None),
        reconnecting=reconnecting,
        reconnecting_since=10.0 if reconnecting else None,
        display_name="" if ended else "Kari",
        waiting_since=None if ended else 5.0,
        version=3,
    )


def _extra(action: Action) -> dict[str, object]:
    if action is Action.JOIN:
        return {"joining": JOINING}
    if action is Action.DENY:
        return {"deny_reason": DenyReason.RESCHEDULE}
    return {}


@pytest.mark.parametrize(("action", "actor", "source", "flag"), sorted(LEGAL, key=str))
def test_every_legal_transition(
    action: Action, actor: Actor, source: VisitState, flag: bool
) -> None:
    target, reason, flag_after = LEGAL[(action, actor, source, flag)]
    before = visit_in(source, flag)
    after = machine.apply(before, action, actor, 100.0, **_extra(action))  # type: ignore[arg-type]
    assert (after.state, after.end_reason, after.reconnecting) == (target, reason, flag_after)
    assert after.version == before.version + 1
    assert after.changed_at == 100.0
    assert machine.allowed(before, action, actor)


ILLEGAL = [
    (action, actor, source, flag)
    for action in Action
    for actor in Actor
    for source, flag in SITUATIONS
    if (action, actor, source, flag) not in LEGAL
]


@pytest.mark.parametrize(("action", "actor", "source", "flag"), ILLEGAL, ids=str)
def test_every_illegal_transition_raises_and_changes_nothing(
    action: Action, actor: Actor, source: VisitState, flag: bool
) -> None:
    before = visit_in(source, flag)
    snapshot = dataclasses.replace(before)
    expected = NotPermitted if actor is not machine.RULES[action].actor else InvalidTransition
    with pytest.raises(expected):
        machine.apply(before, action, actor, 100.0, **_extra(action))  # type: ignore[arg-type]
    assert before == snapshot
    assert not machine.allowed(before, action, actor)


@pytest.mark.parametrize(
    "reason",
    [
        EndReason.DENIED,
        EndReason.COMPLETED,
        EndReason.MOVED_TO_PHONE,
        EndReason.REMOVED,
        EndReason.REVOKED,
    ],
)
def test_a_final_ending_cannot_be_reopened_or_revoked(reason: EndReason) -> None:
    with pytest.raises(InvalidTransition):
        machine.apply(visit_in(S.ENDED, end_reason=reason), Action.OPEN_LINK, Actor.GUEST, 1.0)
    with pytest.raises(InvalidTransition):
        machine.apply(visit_in(S.ENDED, end_reason=reason), Action.REVOKE, Actor.SYSTEM, 1.0)


def test_revoking_clears_everything_personal() -> None:
    after = machine.apply(visit_in(S.WAITING), Action.REVOKE, Actor.SYSTEM, 1.0)
    assert (after.state, after.end_reason) == (S.ENDED, EndReason.REVOKED)
    assert (after.display_name, after.present, after.waiting_since) == ("", (), None)


@pytest.mark.parametrize("reason", [EndReason.LEFT, EndReason.EXPIRED, EndReason.WITHDRAWN])
def test_a_guest_who_left_may_open_the_link_again(reason: EndReason) -> None:
    after = machine.apply(visit_in(S.ENDED, end_reason=reason), Action.OPEN_LINK, Actor.GUEST, 1)
    assert after.state is S.CHECKING and after.end_reason is None


def test_a_guest_can_never_admit_themselves() -> None:
    with pytest.raises(NotPermitted):
        machine.apply(visit_in(S.WAITING), Action.ADMIT, Actor.GUEST, 1.0)


def test_deny_needs_a_fixed_reason_and_keeps_it() -> None:
    with pytest.raises(InvalidTransition):
        machine.apply(visit_in(S.WAITING), Action.DENY, Actor.CLINICIAN, 1.0)
    after = machine.apply(
        visit_in(S.WAITING), Action.DENY, Actor.CLINICIAN, 1.0, deny_reason=DenyReason.WRONG_ROOM
    )
    assert after.detail == "wrong_room"


def test_join_needs_the_guests_details() -> None:
    with pytest.raises(InvalidTransition):
        machine.apply(visit_in(S.CHECKING), Action.JOIN, Actor.GUEST, 1.0)


def run(visit: Visit, steps: list[tuple[Action, Actor]], now: float = 0.0) -> list[Visit]:
    """Apply steps one by one; return the whole history, first snapshot included."""
    history = [visit]
    for i, (action, actor) in enumerate(steps, start=1):
        history.append(machine.apply(history[-1], action, actor, now + i, **_extra(action)))  # type: ignore[arg-type]
    return history


def test_history_of_a_whole_consultation() -> None:
    fresh = Visit("v1", "r1", Role.PATIENT)
    history = run(
        fresh,
        [
            (Action.OPEN_LINK, Actor.GUEST),
            (Action.JOIN, Actor.GUEST),
            (Action.DISCONNECT, Actor.SYSTEM),
            (Action.RECONNECT, Actor.GUEST),
            (Action.ADMIT, Actor.CLINICIAN),
            (Action.REQUEST_PAUSE, Actor.GUEST),
            (Action.RESUME, Actor.CLINICIAN),
            (Action.SEND_BACK, Actor.CLINICIAN),
            (Action.ADMIT, Actor.CLINICIAN),
            (Action.END, Actor.CLINICIAN),
        ],
    )
    assert [(v.state.value, v.reconnecting) for v in history] == [
        ("invited", False),
        ("checking", False),
        ("waiting", False),
        ("waiting", True),
        ("waiting", False),
        ("in_call", False),
        ("paused", False),
        ("in_call", False),
        ("waiting", False),
        ("in_call", False),
        ("ended", False),
    ]
    assert [v.version for v in history] == list(range(11))
    assert history[2].waiting_since == 2 and history[8].waiting_since == 8
    assert history[3].reconnecting_since == 3 and history[4].reconnecting_since is None
    assert history[-1].end_reason is EndReason.COMPLETED


def test_ending_clears_everything_personal() -> None:
    history = run(
        Visit("v1", "r1", Role.COMPANION),
        [
            (Action.OPEN_LINK, Actor.GUEST),
            (Action.JOIN, Actor.GUEST),
            (Action.CHECK_IDENTITY, Actor.CLINICIAN),
            (Action.DISCONNECT, Actor.SYSTEM),
            (Action.EXPIRE, Actor.SYSTEM),
        ],
    )
    waiting, ended = history[2], history[-1]
    assert (waiting.display_name, waiting.present, waiting.consent) == (
        "Kari Nordmann",
        ("Ola",),
        True,
    )
    assert history[3].identity_checked
    assert ended.end_reason is EndReason.EXPIRED
    assert (ended.display_name, ended.present, ended.consent, ended.identity_checked) == (
        "",
        (),
        False,
        False,
    )
    assert ended.waiting_since is None and not ended.reconnecting
