"""Hand one message to the SMTP server: TLS as configured, verified, bounded in time.

A failure becomes a `DeliveryError` with a fixed code and whether trying again could help.
Neither the recipient nor the server's reply text goes into it: replies often echo the
address, and the error ends up in logs and in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from email.message import EmailMessage
from typing import cast

import aiosmtplib

from lobby.settings import Settings

SESSION_TIMEOUTS = 2
"""A whole session may take this many `smtp_timeout`s: each command is bounded by one, and
a server that answers each just in time must not hold a delivery past its claim."""

CLOSE_ROUNDS = 10
"""Loop iterations to wait for an aborted connection to report itself closed (two or three
suffice: transport, then TLS layer, then protocol)."""


class DeliveryError(Exception):
    """The message was not accepted. `permanent`: sending it again would fail again.

    Codes: `connect` (unreachable, refused, disconnected), `tls` (no STARTTLS offered,
    handshake or certificate refused), `auth` (login refused or not offered), `sender_refused`,
    `recipient_refused`, `data_refused` (the message itself), `address` (an address that
    cannot be sent at all), `timeout`, `protocol` (any other unexpected answer).

    `tls` and `auth` are never permanent, even on a 5xx: they are the operator's set-up or
    the network, not this message, so the invitations wait on the slow backoff and go out
    once it is fixed, without anyone sending them again.
    """

    def __init__(self, code: str, permanent: bool, reply: int | None = None) -> None:
        kind = "permanent" if permanent else "temporary"
        detail = f", reply {reply}" if reply else ""
        super().__init__(f"e-mail not delivered: {code} ({kind}{detail})")
        self.code = code
        self.permanent = permanent
        self.reply = reply


async def send(message: EmailMessage, settings: Settings) -> None:
    """Deliver `message` to its To address through the configured server, or raise."""
    try:
        context = tls_context(settings)
    except OSError:  # the CA file is missing or unreadable: the set-up, not this message
        raise DeliveryError("tls", permanent=False) from None
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        timeout=settings.smtp_timeout,
        use_tls=settings.smtp_security == "tls",
        start_tls=False,  # upgraded by hand below, so that "not offered" is a refusal
        tls_context=context,
    )
    stage, accepted = "connect", False
    try:
        async with asyncio.timeout(SESSION_TIMEOUTS * settings.smtp_timeout):
            await client.connect()
            if settings.smtp_security == "starttls":
                stage = "tls"
                await _start_tls(client)
            if settings.smtp_username:
                stage = "auth"
                await client.login(settings.smtp_username, settings.smtp_password)
            stage = "protocol"
            await client.send_message(message)
            accepted = True
    except (aiosmtplib.SMTPException, OSError, ValueError, TimeoutError) as exc:
        # `from None`: the cause's text may carry the address or the server's reply.
        raise failure(exc, stage) from None
    finally:
        await _hang_up(client, polite=accepted)


def tls_context(settings: Settings) -> ssl.SSLContext:
    """Certificates verified, against `smtp_ca_file` if given, else the system's CAs."""
    return ssl.create_default_context(cafile=settings.smtp_ca_file or None)


async def _start_tls(client: aiosmtplib.SMTP) -> None:
    await client.ehlo()
    if not client.supports_extension("starttls"):
        # Never fall back to plain text: it may be an attacker who stripped the offer.
        raise DeliveryError("tls", permanent=False)
    await client.starttls()


async def _hang_up(client: aiosmtplib.SMTP, polite: bool) -> None:
    """QUIT after an accepted message (not to a server that refused, stalled or was cut off),
    then drop the connection: nothing more is owed, and a TLS goodbye left to finish on its
    own could keep the socket open after `send` returns, or past the end of the loop."""
    protocol, transport = client.protocol, client.transport
    try:
        if polite:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await client.quit()
    finally:
        if transport is not None:
            # A stream transport: uvloop's have abort() without subclassing asyncio's.
            cast(asyncio.Transport, transport).abort()
        client.close()
        # The socket closes in loop callbacks after the abort: let them run, so that no
        # connection outlives `send` (a loop shut down right after would leak it).
        for _ in range(CLOSE_ROUNDS):
            if protocol is None or protocol.transport is None:
                break
            await asyncio.sleep(0)


def failure(exc: BaseException, stage: str) -> DeliveryError:
    """The fixed code for what went wrong, and whether it is worth trying again."""
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return DeliveryError("timeout", permanent=False)
    if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
        return DeliveryError("tls", permanent=False)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        replies = [refused.code for refused in exc.recipients]
        return DeliveryError("recipient_refused", all(r >= 500 for r in replies), min(replies))
    if isinstance(exc, aiosmtplib.SMTPNotSupported | ValueError):
        return DeliveryError("address", permanent=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _refusal(exc, stage)
    if isinstance(exc, OSError):  # refused, reset, disconnected: the network or the server
        return DeliveryError("connect", permanent=False)
    return DeliveryError(stage, permanent=False)  # e.g. AUTH not offered at all


def _refusal(exc: aiosmtplib.SMTPResponseException, stage: str) -> DeliveryError:
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        return DeliveryError("connect", permanent=False, reply=exc.code)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return DeliveryError("auth", permanent=False, reply=exc.code)
    if stage in ("tls", "auth"):
        return DeliveryError(stage, permanent=False, reply=exc.code)
    code = {
        aiosmtplib.SMTPSenderRefused: "sender_refused",
        aiosmtplib.SMTPRecipientRefused: "recipient_refused",
        aiosmtplib.SMTPDataError: "data_refused",
    }.get(type(exc), "protocol")
    return DeliveryError(code, permanent=exc.code >= 500, reply=exc.code)
