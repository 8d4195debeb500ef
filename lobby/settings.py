"""One frozen `Settings` read from `VENTEROM_*` environment variables (and CLI flags)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lobby.addresses import networks
from lobby.eventloop import LOOPS

ENV_PREFIX = "VENTEROM_"
SMTP_SECURITY = ("starttls", "tls", "none")
OVERRIDES = ("engine", "pubsub", "resp", "managers")
"""Venterom's overrides of socketio, engineio and redis-py internals (docs/upstream.md)."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    """Base URL for invitation links; defaults to http://host:port."""
    secret: str = ""
    """HMAC key for invitation tokens; every instance must share it. Empty: generated
    once and kept in `data_dir` (fine for one instance)."""
    data_dir: Path = Path(".venterom")
    database: str = ""
    """SQLite file with clinicians, rooms and scheduled visits; default data_dir/venterom.db."""
    database_url: str = ""
    """`postgresql://user:password@host:port/name`: the directory in PostgreSQL, shared by
    instances on several hosts (then `database` is not used). Empty: the SQLite file."""
    redis_url: str = ""
    """Empty: the embedded in-memory presence store."""
    redis_channel: str = "venterom-socketio"
    instance_id: str = ""
    grace_period: float = 60.0
    """How long a dropped guest keeps their place before the visit ends `expired`."""
    heartbeat_interval: float = 5.0
    heartbeat_timeout: float = 20.0
    sweep_interval: float = 1.0
    ping_interval: float = 20.0
    """engine.io pings each socket this long after its last answer (a timer per socket, see
    lobby/interfaces/realtime/engine.py; pings are most of the idle CPU with thousands of
    guests)."""
    ping_timeout: float = 10.0
    """A socket whose pong is this late is closed: a guest whose network died is flagged
    reconnecting within 30 s. A client waits as long for the server's ping, so a
    server stalled for more than this (beyond the interval) loses its clients."""
    guest_session_ttl: int = 4 * 3600
    clinician_session_ttl: int = 10 * 3600
    """A staff session's absolute lifetime: log in again after this, whatever happens."""
    clinician_idle_timeout: int = 30 * 60
    """A staff session unused this long ends (an open dashboard counts as use)."""
    invite_early: int = 2 * 3600
    """How long before the appointment an invitation link starts to work."""
    invite_late: int = 4 * 3600
    """How long after the appointment's end it keeps working."""
    lobby_batch_delay: float = 0.05
    """Lobby updates to a clinician are coalesced over this many seconds."""
    secure_cookies: bool = False
    demo: bool = False
    """Create a demo clinician, room and invitation at start-up (`make run`)."""
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    echo_max_sessions: int = 4
    echo_max_seconds: float = 60.0
    log_level: str = "INFO"
    gc_tune: bool = True
    """Tune the garbage collector for many long-lived objects (lobby/gctune.py)."""
    event_loop: str = "uvloop"
    """`uvloop` or `asyncio`: the event loop `venterom serve` runs on (lobby/eventloop.py)."""
    time_zone: str = "Europe/Oslo"
    """IANA time zone of new rooms (their appointment times in e-mails and calendars)."""
    audit_log: str = ""
    """Where the audit stream goes: a file path, `-` for standard output; default
    data_dir/audit.log."""
    smtp_host: str = ""
    """Empty: invitations are not e-mailed (their text and calendar file can still be fetched)."""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    """`starttls` (upgrade a plain connection; refused if the server cannot), `tls`
    (TLS from the start, usually port 465) or `none` (only on a trusted local network)."""
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    """The sender address of invitations, e.g. `Venterom <no-reply@klinikk.no>`."""
    smtp_timeout: float = 15.0
    smtp_ca_file: str = ""
    """A CA bundle for the SMTP server's certificate (default: the system's)."""
    smtp_retry_base: float = 60.0
    """Seconds before the first retry of a failed delivery; each next wait is 4 times
    longer (1, 4, 16, 64 minutes …)."""
    smtp_max_attempts: int = 6
    rate_limits: bool = True
    """Rate limits on opening links, joining, logging in and the API, shared by every
    instance (in Redis); `0` only where all clients share one address (benchmarks)."""
    allowed_origins: tuple[str, ...] = ()
    """Origins (`https://host[:port]`) whose pages may open the realtime connection; empty:
    the public URL's. A connection with another `Origin`, or none, is refused."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (CIDR) of the reverse proxies in front (nginx): only from them
    is `X-Forwarded-For` believed, to tell a client's own address."""
    upstream: tuple[str, ...] = ()
    """Overrides to turn off, taking upstream's own path instead (docs/upstream.md): any of
    `OVERRIDES`, or `all`. For an upgrade of socketio, engineio or redis not yet proven."""

    def __post_init__(self) -> None:
        if self.event_loop not in LOOPS:
            raise ValueError(
                f"{ENV_PREFIX}EVENT_LOOP: {self.event_loop!r} is not one of {', '.join(LOOPS)}"
            )
        if self.smtp_security not in SMTP_SECURITY:
            raise ValueError(
                f"{ENV_PREFIX}SMTP_SECURITY: {self.smtp_security!r} is not one of "
                + ", ".join(SMTP_SECURITY)
            )
        try:
            networks(self.trusted_proxies)
        except ValueError as exc:
            raise ValueError(f"{ENV_PREFIX}TRUSTED_PROXIES: {exc}") from None
        unknown = set(self.upstream) - {*OVERRIDES, "all"}
        if unknown:
            raise ValueError(
                f"{ENV_PREFIX}UPSTREAM: {', '.join(sorted(unknown))} not among "
                + ", ".join((*OVERRIDES, "all"))
            )
        if self.smtp_host and not self.smtp_from:
            raise ValueError(f"{ENV_PREFIX}SMTP_FROM is needed with {ENV_PREFIX}SMTP_HOST")

    def overrides(self, name: str) -> bool:
        """Whether Venterom's override `name` (one of `OVERRIDES`) is in force. `resp` off
        turns `pubsub` off too: the Redis manager publishes over lobby/adapters/resp.py."""
        off = set(self.upstream)
        if "all" in off:
            return False
        return name not in off and not (name == "pubsub" and "resp" in off)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def origins(self) -> tuple[str, ...]:
        if self.allowed_origins:
            return tuple(origin.rstrip("/") for origin in self.allowed_origins)
        parts = urlsplit(self.base_url)
        return (f"{parts.scheme}://{parts.netloc}",)

    @property
    def database_path(self) -> str:
        return self.database or str(self.data_dir / "venterom.db")

    @property
    def directory(self) -> str:
        """Where the directory is: the PostgreSQL URL if given, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def audit_path(self) -> str:
        return self.audit_log or str(self.data_dir / "audit.log")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None
    ) -> Settings:
        """Build settings from `VENTEROM_<FIELD>` variables; `overrides` (CLI flags) win."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.type, raw, f.name)
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _parse(kind: object, raw: str, name: str) -> object:
    kind = str(kind)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind == "Path":
            return Path(raw)
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}: cannot read {raw!r} as {kind}") from exc
    return raw
