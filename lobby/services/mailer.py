"""The mailer: a background worker that sends queued invitations and retries them with backoff.

The queue is the directory's outbox: durable and claimed by one instance at a time, so a
delivery waiting for its next attempt survives a restart and any instance may make it.
Logs carry ids, attempt numbers and fixed codes only, never an address or a link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from lobby.adapters.directory import Delivery, DeliveryStatus, Directory, Language
from lobby.adapters.mail import smtp
from lobby.adapters.mail.content import InvitationContent, message
from lobby.domain.errors import LobbyError, NotFound
from lobby.services.scheduling import issued
from lobby.settings import Settings

log = logging.getLogger("venterom.mail")

BATCH = 5
"""Deliveries claimed and sent together: each holds its own claim and its own connection."""
IDLE = 30.0
"""The longest sleep: another instance may have queued something we were not told of."""
BACKOFF = 4
"""Each wait before a retry is this many times the one before."""
RECANCEL = 0.1
"""Seconds between cancels of the worker while it is being closed."""


class MailNotConfigured(LobbyError):
    """Invitations cannot be e-mailed here: no SMTP server is configured."""

    code = "email_not_configured"


@dataclass(slots=True)
class MailCounters:
    """Outcomes of attempts made by this instance, for metrics."""

    sent: int = 0
    failed: int = 0
    retried: int = 0


class Undeliverable(Exception):
    """Nothing to send, for a reason that will not change: `revoked`, `room_closed`,
    `expired`, `no_recipient`, `address`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Mailer:
    """Sends the outbox's due invitations in the background; `deliver` queues one and waits.

    A delivery's `last_error` is one of `DeliveryError`'s codes, or a reason nothing was sent
    (`revoked`, `room_closed`, `expired`, `no_recipient`, `address`), or `internal` (a bug,
    retried like a temporary failure); the outbox itself writes `superseded`.
    """

    def __init__(
        self,
        directory: Directory,
        settings: Settings,
        secret: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._directory = directory
        self._settings = settings
        self._secret = secret
        self._clock = clock
        self._uid_domain = urlsplit(settings.base_url).hostname or "venterom.invalid"
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._waiters: dict[str, asyncio.Future[None]] = {}
        self.counters = MailCounters()

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    @property
    def lease(self) -> float:
        """How long a claim lasts: longer than any session `smtp.send` allows."""
        return (smtp.SESSION_TIMEOUTS + 1) * self._settings.smtp_timeout

    def start(self) -> None:
        """Start the worker (not when e-mail is off: nothing could be sent)."""
        if self._task is None and self.configured and not self._closing:
            self._task = asyncio.create_task(self._run(), name="venterom-mailer")

    async def close(self) -> None:
        """Stop the worker; a send cut short goes back to the queue for the next instance."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            # Cancel until it takes: on Python 3.11 a cancel that lands just as the server
            # answers is swallowed inside the SMTP client (asyncio.wait_for).
            while not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=RECANCEL)
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for waiter in self._waiters.values():
            waiter.cancel()

    def nudge(self) -> None:
        """Look at the queue now rather than at the next due time."""
        self._wake.set()

    async def deliver(self, visit_id: str, language: Language, wait: float) -> Delivery:
        """Queue the visit's invitation and wait up to `wait` seconds for its first attempt.

        Returns the delivery as it then stands: SENT, QUEUED (with `next_attempt` for the
        retry, or still waiting), or FAILED with a fixed code in `last_error`.
        """
        if not self.configured:
            raise MailNotConfigured("no SMTP server is configured")
        if await self._directory.schedule.get(visit_id) is None:
            raise NotFound("unknown visit")
        queued = await self._directory.outbox.enqueue(visit_id, language)
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[queued.delivery_id] = waiter
        self.nudge()
        try:
            await asyncio.wait([waiter], timeout=max(0.0, wait))
        finally:
            self._waiters.pop(queued.delivery_id, None)
        return await self._directory.outbox.get(queued.delivery_id) or queued

    async def run_due(self) -> int:
        """Attempt every delivery due now (and claims that lapsed); returns how many."""
        attempted = 0
        while batch := await self._directory.outbox.claim_due(self.lease, BATCH):
            await asyncio.gather(*(self._attempt(delivery) for delivery in batch))
            attempted += len(batch)
        return attempted

    async def _run(self) -> None:
        while not self._closing:
            self._wake.clear()  # before the round: a nudge during it wakes the next one
            try:
                await self.run_due()
                pause = await self._pause()
            except Exception as exc:  # the directory failed (locked, disk full): later
                log.error("mail round failed", extra={"error": type(exc).__name__})
                pause = IDLE
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await self._wake.wait()

    async def _pause(self) -> float:
        due = await self._directory.outbox.next_due()
        return IDLE if due is None else min(IDLE, max(0.0, due - self._clock()))

    async def _attempt(self, delivery: Delivery) -> None:
        attempt = delivery.attempts + 1
        started = time.monotonic()
        try:
            await smtp.send(await self._compose(delivery), self._settings)
        except Undeliverable as exc:
            await self._give_up(delivery, delivery.attempts, exc.code)
        except smtp.DeliveryError as exc:
            await self._failed(delivery, attempt, exc)
        except asyncio.CancelledError:
            # Shutting down mid-send: back to the queue now, not when the claim lapses.
            await self._finish(
                delivery, DeliveryStatus.QUEUED, delivery.attempts, delivery.last_error
            )
            raise
        except Exception as exc:  # a bug must not leave the delivery claimed forever
            log.error("invitation e-mail crashed", extra={**_ids(delivery), "error": _name(exc)})
            await self._failed(delivery, attempt, smtp.DeliveryError("internal", permanent=False))
        else:
            await self._finish(delivery, DeliveryStatus.SENT, attempt, "")
            self.counters.sent += 1
            ms = round((time.monotonic() - started) * 1000)
            log.info(
                "invitation e-mail sent", extra={**_ids(delivery), "attempt": attempt, "ms": ms}
            )

    async def _compose(self, delivery: Delivery) -> EmailMessage:
        """The message for a delivery, read fresh: the visit may have changed since queued."""
        visit = await self._directory.schedule.get(delivery.visit_id)
        if visit is None or visit.revoked:
            raise Undeliverable("revoked")
        room = await self._directory.rooms.get(visit.room_id)
        if room is None or room.closed:
            raise Undeliverable("room_closed")
        invitation = issued(visit, self._settings, self._secret)
        if invitation.expires_at <= self._clock():
            raise Undeliverable("expired")
        if not visit.email:
            raise Undeliverable("no_recipient")
        content = InvitationContent(room, visit, invitation.link, delivery.language)
        try:
            return message(content, self._settings.smtp_from, visit.email, self._uid_domain)
        except ValueError:  # an address no header can carry (e.g. a line break in it)
            raise Undeliverable("address") from None

    async def _failed(self, delivery: Delivery, attempt: int, error: smtp.DeliveryError) -> None:
        """Retry after a temporary failure, with backoff, until out of attempts."""
        if error.permanent or attempt >= self._settings.smtp_max_attempts:
            await self._give_up(delivery, attempt, error.code, error.reply)
            return
        delay = self._settings.smtp_retry_base * BACKOFF ** (attempt - 1)
        await self._finish(
            delivery, DeliveryStatus.QUEUED, attempt, error.code, self._clock() + delay
        )
        self.counters.retried += 1
        log.warning(
            "invitation e-mail to be retried",
            extra={
                **_ids(delivery),
                "attempt": attempt,
                "code": error.code,
                "reply": error.reply,
                "retry_in": round(delay, 1),
            },
        )

    async def _give_up(
        self, delivery: Delivery, attempts: int, code: str, reply: int | None = None
    ) -> None:
        await self._finish(delivery, DeliveryStatus.FAILED, attempts, code)
        self.counters.failed += 1
        log.warning(
            "invitation e-mail failed",
            extra={**_ids(delivery), "attempt": attempts, "code": code, "reply": reply},
        )

    async def _finish(
        self,
        delivery: Delivery,
        status: DeliveryStatus,
        attempts: int,
        code: str,
        next_attempt: float | None = None,
    ) -> None:
        """Record the outcome, and tell a `deliver` call waiting for it."""
        when = self._clock() if next_attempt is None else next_attempt
        await self._directory.outbox.finish(delivery.delivery_id, status, attempts, when, code)
        waiter = self._waiters.get(delivery.delivery_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _ids(delivery: Delivery) -> dict[str, object]:
    return {"delivery_id": delivery.delivery_id, "visit_id": delivery.visit_id}


def _name(exc: BaseException) -> str:
    """The exception's type only: its text may quote an address."""
    return type(exc).__name__
