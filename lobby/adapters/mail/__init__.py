"""Invitation e-mail: the bilingual text, the calendar file, and delivery over SMTP.

`content` builds what is sent (pure); `smtp` hands one message to the server. The worker
that drains the directory's outbox, with retries and backoff, is a service
(lobby/services/mailer.py).
"""

from __future__ import annotations

from lobby.adapters.mail.content import EmailText, InvitationContent, calendar, message, render
from lobby.adapters.mail.smtp import DeliveryError, send

__all__ = [
    "DeliveryError",
    "EmailText",
    "InvitationContent",
    "calendar",
    "message",
    "render",
    "send",
]
