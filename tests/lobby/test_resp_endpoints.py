"""The store's own Redis connection honours what the URL says: a Unix socket, and TLS with
the certificate checked (each against a redis-server of its own)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from redis.exceptions import ConnectionError

from lobby.adapters.resp import RespConnection
from tests.fixtures.redis_server import redis_binary, stop_redis, unused_port

pytestmark = pytest.mark.redis


def _spawned(args: Sequence[str], url: str, workdir: Path) -> subprocess.Popen[bytes]:
    """A redis-server with `args`, once a client following `url` gets an answer."""
    log = workdir / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [redis_binary(), "--save", "", "--appendonly", "no", "--dir", str(workdir), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                client.ping()
                return process
            except (redis.ConnectionError, OSError):
                time.sleep(0.05)
    finally:
        client.close()
    stop_redis(process)
    raise AssertionError(f"redis-server did not start; log:\n{log.read_text()}")


def _self_signed(workdir: Path) -> Path:
    """A certificate for 127.0.0.1 that is its own CA, and its key, in one PEM file each."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "venterom-test-redis")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (workdir / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert = workdir / "cert.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert


@pytest.fixture
def unix_socket_url(tmp_path: Path) -> Iterator[str]:
    socket_path = tmp_path / "redis.sock"
    url = f"unix://{socket_path}?db=3"
    process = _spawned(["--port", "0", "--unixsocket", str(socket_path)], url, tmp_path)
    try:
        yield url
    finally:
        stop_redis(process)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert, port = _self_signed(tmp_path), unused_port()
    args = [
        "--port", "0", "--bind", "127.0.0.1", "--tls-port", str(port),
        "--tls-cert-file", str(cert), "--tls-key-file", str(tmp_path / "key.pem"),
        "--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no",
    ]  # fmt: skip
    url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    process = _spawned(args, url, tmp_path)
    try:
        yield port, cert
    finally:
        stop_redis(process)


def _line(url: str) -> RespConnection:
    return RespConnection.from_url(url)


async def test_a_unix_socket_url_is_followed_to_its_database(unix_socket_url: str) -> None:
    line = _line(unix_socket_url)
    client = aioredis.Redis.from_url(unix_socket_url, decode_responses=True)
    try:
        assert await line.execute("SET", "greeting", "hei") == "OK"
        assert await client.get("greeting") == "hei"
        assert (await client.client_info())["db"] == 3
    finally:
        await line.close()
        await client.aclose()


async def test_tls_is_used_and_the_certificate_checked(tls_server: tuple[int, Path]) -> None:
    port, cert = tls_server
    trusting = _line(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}")
    default_trust = _line(f"rediss://127.0.0.1:{port}/0")
    plain = _line(f"redis://127.0.0.1:{port}/0")
    try:
        assert await trusting.execute("PING") == "PONG"
        with pytest.raises(ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await default_trust.execute("PING")
        async with asyncio.timeout(8):
            with pytest.raises(ConnectionError):
                await plain.execute("PING")
    finally:
        for line in (trusting, default_trust, plain):
            await line.close()
