"""One message handed to a real SMTP server: TLS verified, login, and failures that become
fixed codes without the address or the server's words."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from lobby.adapters.mail import DeliveryError, send
from tests.mail.conftest import (
    ADDRESS,
    USER,
    Certificate,
    Recorder,
    Servers,
    authenticate,
    mail_settings,
)

pytestmark = pytest.mark.timeout(30)


def plain_message(to: str = ADDRESS) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "no-reply@venterom.example"
    mail["To"] = to
    mail["Subject"] = "test"
    mail.set_content("test")
    return mail


async def test_implicit_tls_is_verified_against_the_configured_ca(
    servers: Servers, certificate: Certificate
) -> None:
    recorder = Recorder()
    port = servers.start(recorder, ssl_context=certificate.server_context())
    settings = mail_settings(port, smtp_security="tls", smtp_ca_file=str(certificate.cert))

    await send(plain_message(), settings)

    (received,) = recorder.received
    assert received.rcpt_tos == [ADDRESS]


async def test_plain_text_is_refused_when_starttls_is_not_offered(servers: Servers) -> None:
    recorder = Recorder()
    settings = mail_settings(servers.start(recorder), smtp_security="starttls")

    with pytest.raises(DeliveryError) as caught:
        await send(plain_message(), settings)

    assert (caught.value.code, caught.value.permanent) == ("tls", False)
    assert recorder.attempts == [] and recorder.received == []


async def test_an_untrusted_certificate_is_refused(
    servers: Servers, certificate: Certificate
) -> None:
    recorder = Recorder()
    port = servers.start(recorder, tls_context=certificate.server_context())
    settings = mail_settings(port, smtp_security="starttls")  # the system's CAs only

    with pytest.raises(DeliveryError) as caught:
        await send(plain_message(), settings)

    assert (caught.value.code, caught.value.permanent) == ("tls", False)
    assert recorder.received == []


async def test_a_wrong_password_is_an_auth_failure_worth_retrying(
    servers: Servers, certificate: Certificate
) -> None:
    recorder = Recorder()
    port = servers.start(
        recorder,
        tls_context=certificate.server_context(),
        authenticator=authenticate,
        auth_required=True,
    )
    settings = mail_settings(
        port,
        smtp_security="starttls",
        smtp_ca_file=str(certificate.cert),
        smtp_username=USER,
        smtp_password="wrong-password",
    )

    with pytest.raises(DeliveryError) as caught:
        await send(plain_message(), settings)

    assert (caught.value.code, caught.value.permanent, caught.value.reply) == ("auth", False, 535)
    assert "wrong-password" not in str(caught.value)
    assert recorder.received == []


async def test_a_refusal_never_quotes_the_address_or_the_reply(servers: Servers) -> None:
    reply = f"550 5.1.1 <{ADDRESS}>: no such user here"
    settings = mail_settings(servers.start(Recorder(rcpt=[reply])))

    with pytest.raises(DeliveryError) as caught:
        await send(plain_message(), settings)

    error = caught.value
    assert (error.code, error.permanent, error.reply) == ("recipient_refused", True, 550)
    assert ADDRESS not in str(error) and "no such user" not in str(error)
    assert error.__suppress_context__  # the library's error (with the reply) is not chained


async def test_a_missing_ca_file_is_a_tls_failure(servers: Servers, tmp_path: Path) -> None:
    settings = mail_settings(
        servers.start(Recorder()), smtp_security="tls", smtp_ca_file=str(tmp_path / "none.pem")
    )

    with pytest.raises(DeliveryError) as caught:
        await send(plain_message(), settings)

    assert (caught.value.code, caught.value.permanent) == ("tls", False)
