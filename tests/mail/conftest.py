"""Real things for the mail tests: a directory on disk, a local SMTP server, a certificate."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lobby.adapters.directory import Directory, Language, Room
from lobby.domain.model import Role
from lobby.services.scheduling import IssuedInvitation, invite
from lobby.settings import Settings

OSLO = ZoneInfo("Europe/Oslo")
START = dt.datetime(2026, 12, 8, 10, 30, tzinfo=OSLO)
"""The appointment: 10.30 Oslo time is 09.30 UTC in December."""
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
"""Where the tests' clock stands, a week before, however late the suite is run."""
SECRET = "mail-test-secret"
ADDRESS = "kari.nordmann@example.no"
USER, PASSWORD = "venterom", "s3cret-pass"


class ShiftedClock:
    """Real time, moved so that it reads `NOW` when made: sleeps and timeouts stay real."""

    def __init__(self) -> None:
        self.offset = NOW.timestamp() - time.time()

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    authenticated: bool

    def parsed(self) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it accepts, answering from a script first.

    `rcpt` and `data` are replies to give, one per attempt, before accepting."""

    rcpt: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    stall: float = 0.0
    received: list[Received] = field(default_factory=list)
    attempts: list[float] = field(default_factory=list)
    """When each RCPT arrived (monotonic): one per delivery attempt."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        with self.lock:
            self.attempts.append(time.monotonic())
            if self.rcpt:
                return self.rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.stall:
            await asyncio.sleep(self.stall)
        assert isinstance(envelope.content, bytes)
        with self.lock:
            if self.data:
                return self.data.pop(0)
            self.received.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    envelope.content,
                    session.ssl is not None,
                    bool(session.authenticated),
                )
            )
        return "250 OK"


class LocalController(Controller):
    """aiosmtpd's controller on a port the system picks (it only knows fixed ports)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    # handled=False: aiosmtpd then answers the refusal (535) itself.
    return AuthResult(success=ok, handled=False)


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    paths = Certificate(folder / "cert.pem", folder / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class Servers:
    """Starts local SMTP servers and stops every one of them after the test."""

    def __init__(self) -> None:
        self._running: list[Controller] = []

    def start(self, handler: Recorder, port: int = 0, **options: Any) -> int:
        controller = LocalController(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        self._running.append(controller)
        return int(controller.port)

    def stop_all(self) -> None:
        while self._running:
            self._running.pop().stop()


@pytest.fixture
def servers() -> Iterator[Servers]:
    started = Servers()
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def closed_port() -> Iterator[socket.socket]:
    """A port bound but not listening: connections are refused until a server takes it."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "directory.db")


@pytest.fixture
async def directory(db_path: str, clock: ShiftedClock) -> AsyncIterator[Directory]:
    async with Directory(db_path, clock) as opened:
        yield opened


def mail_settings(port: int, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "public_url": "https://venterom.example",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_from": "Venterom <no-reply@venterom.example>",
        "smtp_timeout": 3.0,
        "smtp_retry_base": 0.2,
        "smtp_max_attempts": 3,
    }
    values.update(changes)
    return Settings(**values)


async def make_room(
    directory: Directory, name: str = "<b>Rom & co</b>", zone: str = "Europe/Oslo"
) -> Room:
    known = await directory.accounts.all()
    doctor = await directory.accounts.add(f"doctor-{len(known)}", "hash", "Dr. Lege")
    return await directory.rooms.create(
        name,
        [doctor.account_id],
        clinic_name="Jæren DPS",
        clinic_phone="51 00 00 00",
        support_phone="55 97 65 51",
        time_zone=zone,
    )


async def make_visit(
    directory: Directory,
    settings: Settings,
    room: Room,
    start: dt.datetime = START,
    email: str | None = ADDRESS,
    language: Language = Language.NB,
) -> IssuedInvitation:
    begin = start.timestamp()
    return await invite(
        directory,
        settings,
        SECRET,
        room.room_id,
        Role.PATIENT,
        begin,
        begin + 30 * 60,
        email=email,
        language=language,
    )
