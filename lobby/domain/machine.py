"""The visit state machine: the only place a visit changes, pure and synchronous.

`apply(visit, action, actor, now)` returns the next snapshot or raises a named error; it
never mutates, never does I/O, and knows nothing of sockets or stores.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from lobby.domain.errors import InvalidTransition, NotPermitted
from lobby.domain.model import (
    CALL_STATES,
    LIVE_STATES,
    Action,
    Actor,
    DenyReason,
    EndReason,
    Joining,
    Visit,
    VisitState,
)

S = VisitState
_ANY_OPEN = frozenset({S.INVITED, S.CHECKING, *LIVE_STATES})
REOPENABLE = frozenset({EndReason.LEFT, EndReason.EXPIRED, EndReason.WITHDRAWN})
"""A guest who left, dropped out or withdrew may open the link again and start over;
a denied, completed, moved or removed visit stays ended."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One action: who may do it, from which states, and where it leads."""

    actor: Actor
    sources: frozenset[VisitState]
    target: VisitState | None = None
    """None keeps the state (flag changes only)."""
    end_reason: EndReason | None = None
    needs_reconnecting: bool | None = None
    """True: only while reconnecting; False: only while connected; None: either."""


RULES: dict[Action, Rule] = {
    Action.OPEN_LINK: Rule(Actor.GUEST, frozenset({S.INVITED, S.CHECKING, S.ENDED}), S.CHECKING),
    Action.JOIN: Rule(Actor.GUEST, frozenset({S.CHECKING}), S.WAITING),
    Action.ADMIT: Rule(Actor.CLINICIAN, frozenset({S.WAITING}), S.IN_CALL),
    Action.DENY: Rule(Actor.CLINICIAN, frozenset({S.WAITING}), S.ENDED, EndReason.DENIED),
    Action.SEND_BACK: Rule(Actor.CLINICIAN, CALL_STATES, S.WAITING),
    Action.PAUSE: Rule(Actor.CLINICIAN, frozenset({S.IN_CALL}), S.PAUSED),
    Action.REQUEST_PAUSE: Rule(Actor.GUEST, frozenset({S.IN_CALL}), S.PAUSED),
    Action.RESUME: Rule(Actor.CLINICIAN, frozenset({S.PAUSED}), S.IN_CALL),
    Action.END: Rule(Actor.CLINICIAN, CALL_STATES, S.ENDED, EndReason.COMPLETED),
    Action.MOVE_TO_PHONE: Rule(Actor.CLINICIAN, LIVE_STATES, S.ENDED, EndReason.MOVED_TO_PHONE),
    Action.REMOVE: Rule(Actor.CLINICIAN, LIVE_STATES, S.ENDED, EndReason.REMOVED),
    Action.LEAVE: Rule(Actor.GUEST, _ANY_OPEN, S.ENDED, EndReason.LEFT),
    Action.WITHDRAW: Rule(Actor.GUEST, _ANY_OPEN, S.ENDED, EndReason.WITHDRAWN),
    Action.DISCONNECT: Rule(Actor.SYSTEM, LIVE_STATES, needs_reconnecting=False),
    Action.RECONNECT: Rule(Actor.GUEST, LIVE_STATES, needs_reconnecting=True),
    Action.EXPIRE: Rule(Actor.SYSTEM, _ANY_OPEN, S.ENDED, EndReason.EXPIRED),
    Action.CHECK_IDENTITY: Rule(Actor.CLINICIAN, LIVE_STATES),
    # Also over a reopenable end, so the guest who left cannot open the link again.
    Action.REVOKE: Rule(Actor.SYSTEM, _ANY_OPEN | {S.ENDED}, S.ENDED, EndReason.REVOKED),
}


def allowed(visit: Visit, action: Action, actor: Actor) -> bool:
    """Whether `apply` would accept this action now."""
    try:
        _check(visit, action, actor)
    except (InvalidTransition, NotPermitted):
        return False
    return True


def apply(
    visit: Visit,
    action: Action,
    actor: Actor,
    now: float,
    joining: Joining | None = None,
    deny_reason: DenyReason | None = None,
) -> Visit:
    """Return the visit after `action` by `actor` at time `now`, or raise a named error."""
    rule = _check(visit, action, actor)
    target = rule.target or visit.state
    changes: dict[str, object] = {
        "state": target,
        "end_reason": rule.end_reason,
        "detail": _detail(action, deny_reason),
        "changed_at": now,
        "version": visit.version + 1,
    }
    if action is Action.DENY and deny_reason is None:
        raise InvalidTransition("deny needs a reason")
    if action is Action.JOIN:
        if joining is None:
            raise InvalidTransition("join needs the guest's details")
        changes.update(
            display_name=joining.display_name,
            consent=joining.consent,
            present=joining.present,
            device_check=joining.device_check,
        )
    if target is S.WAITING and visit.state is not S.WAITING:
        changes["waiting_since"] = now
    if target is S.ENDED:
        changes.update(_PERSONAL_CLEARED)
    if action is Action.CHECK_IDENTITY:
        changes["identity_checked"] = True
    if action is Action.DISCONNECT:
        changes.update(reconnecting=True, reconnecting_since=now)
    elif action is Action.RECONNECT or target is S.ENDED:
        changes.update(reconnecting=False, reconnecting_since=None)
    return dataclasses.replace(visit, **changes)  # type: ignore[arg-type]


_PERSONAL_CLEARED: dict[str, object] = {
    "display_name": "",
    "present": (),
    "consent": False,
    "device_check": "unknown",
    "identity_checked": False,
    "waiting_since": None,
}
"""An ended visit keeps only its state and reason: nothing personal outlives the visit."""


def _check(visit: Visit, action: Action, actor: Actor) -> Rule:
    rule = RULES[action]
    if actor is not rule.actor:
        raise NotPermitted(f"{actor.value} may not {action.value}")
    if visit.state not in rule.sources:
        raise InvalidTransition(f"cannot {action.value} from {visit.state.value}")
    if visit.state is S.ENDED and visit.end_reason not in REOPENABLE:
        raise InvalidTransition(f"cannot {action.value}: visit ended {_reason(visit)}")
    if rule.needs_reconnecting is not None and visit.reconnecting is not rule.needs_reconnecting:
        flag = "reconnecting" if visit.reconnecting else "connected"
        raise InvalidTransition(f"cannot {action.value} while {flag}")
    return rule


def _detail(action: Action, deny_reason: DenyReason | None) -> str:
    if deny_reason is not None:
        return deny_reason.value
    return "guest_request" if action is Action.REQUEST_PAUSE else ""


def _reason(visit: Visit) -> str:
    return visit.end_reason.value if visit.end_reason else "unknown"
