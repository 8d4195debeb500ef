"""The audit stream: who (a pseudonymous id) did what security-relevant act, and when.

Its own JSON lines, apart from the application log (a file, or standard output), so it can
be kept and shipped on its own terms. A record holds ids, never names, usernames, tokens,
e-mail addresses or health data: a username that matches no account and a client address
appear only as keyed hashes, which tell repeats apart without saying who.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path
from typing import TextIO

AuditValue = str | int | float | bool | None

EVENTS = frozenset(
    {
        "login",
        "login_failed",
        "logout",
        "admit",
        "deny",
        "send_back",
        "remove",
        "move_to_phone",
        "end",
        "visit_created",
        "invitation_revoked",
        "invitation_sent",
        "room_created",
        "room_closed",
        "room_owners_changed",
        "api_key_used",
        "api_key_refused",
        "api_key_created",
        "api_key_revoked",
        "account_created",
        "account_disabled",
        "account_enabled",
        "password_reset",
        "session_closed",
    }
)
"""Every event the stream may carry (README lists them); anything else is a bug."""


class Audit:
    def __init__(self, handler: logging.Handler, secret: str, instance: str = "") -> None:
        # An unregistered logger: nothing from here reaches the root log, and two apps in
        # one process (tests) write to their own streams.
        self._logger = logging.Logger("venterom.audit", logging.INFO)
        handler.setFormatter(logging.Formatter("%(message)s"))
        self._logger.addHandler(handler)
        self._handler = handler
        self._key = hashlib.sha256(f"venterom-audit.{secret}".encode()).digest()
        self._instance = instance

    @classmethod
    def to(cls, destination: str, secret: str, instance: str = "") -> Audit:
        """`-`: standard output; otherwise a file, appended to (reopened if rotated)."""
        handler: logging.Handler
        if destination == "-":
            handler = logging.StreamHandler(_stdout())
        else:
            Path(destination).parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.WatchedFileHandler(destination, encoding="utf-8")
        return cls(handler, secret, instance)

    def record(self, event: str, actor: str, *, outcome: str = "ok", **fields: AuditValue) -> None:
        """One line: `actor` is an account or API key id, `cli`, `system` or a pseudonym."""
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        entry: dict[str, AuditValue] = {
            "ts": round(time.time(), 3),
            "stream": "audit",
            "event": event,
            "actor": actor,
            "outcome": outcome,
        }
        if self._instance:
            entry["instance"] = self._instance
        entry.update({k: v for k, v in fields.items() if v is not None})
        self._logger.info(json.dumps(entry, separators=(",", ":")))

    def pseudonym(self, kind: str, value: str) -> str:
        """A stable keyed hash of something that must not be written as it is."""
        digest = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}:{digest[:16]}"

    def close(self) -> None:
        self._logger.removeHandler(self._handler)
        self._handler.close()


def _stdout() -> TextIO:
    return sys.stdout
