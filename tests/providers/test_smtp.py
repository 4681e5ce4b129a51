"""E-mail through a real SMTP server (aiosmtpd on a free local port): login, envelope, headers."""

from __future__ import annotations

import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from activities.smtp import SmtpNotifier, message_id
from tests.providers.conftest import delivery, failure
from warroom.config_file import SecretRef

PASSWORD = "smtp-pa55word"
ENV = "WARROOM_TEST_SMTP_PASSWORD"
DOT_ATOM = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*"
MSG_ID = re.compile(rf"^<{DOT_ATOM}@{DOT_ATOM}>$")


class Mailbox:
    def __init__(self, refuse: dict[str, str] | None = None):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.logins: list[tuple[bytes, bytes]] = []
        self.refuse = refuse or {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login, auth_data.password))
            ok = auth_data.login == b"warroom" and auth_data.password == PASSWORD.encode()
            return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)
    started = []

    def start(mailbox: Mailbox) -> int:
        port = free_port()
        controller = Controller(
            mailbox,
            hostname="127.0.0.1",
            port=port,
            authenticator=mailbox.authenticate,
            auth_require_tls=False,
        )
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def notifier(port: int, **kwargs) -> SmtpNotifier:
    options = {"security": "none", "username": "warroom", "password": SecretRef(env=ENV), "timeout": 10.0}
    options.update(kwargs)
    return SmtpNotifier("127.0.0.1", "warroom@example.com", port, **options)


async def test_one_message_to_every_email_contact_with_a_stable_message_id(smtp_server):
    mailbox = Mailbox()
    port = smtp_server(mailbox)
    notice = delivery("frank", "grace", action_key="notify:SEV1", channel="email")
    await notifier(port).notify(notice)
    ((sender, rcpt, message),) = mailbox.messages
    assert mailbox.logins == [(b"warroom", PASSWORD.encode())]
    assert sender == "warroom@example.com"
    assert rcpt == ["frank@example.com", "grace@example.com"]
    assert message["To"] == "frank@example.com, grace@example.com"
    assert message["Subject"] == "[INC-7K2QD] Checkout failing"
    assert message["Message-ID"] == "<INC-7K2QD.notify.SEV1@warroom>"
    assert MSG_ID.match(message["Message-ID"])
    assert message["X-Warroom-Idempotency-Key"] == "INC-7K2QD:notify:SEV1"
    assert message.get_content().startswith("PAGE INC-7K2QD")


async def test_a_retry_carries_the_same_message_id(smtp_server):
    mailbox = Mailbox()
    port = smtp_server(mailbox)
    notice = delivery("frank", action_key="notify:SEV1", channel="email")
    await notifier(port).notify(notice)
    await notifier(port).notify(notice)
    assert {m["Message-ID"] for _, _, m in mailbox.messages} == {"<INC-7K2QD.notify.SEV1@warroom>"}


@pytest.mark.parametrize(
    "key", ["INC-7K2QD:update-due:3:comms", "INC-1::weird key/with spaces", ":leading:", "é:ü", "a..b"]
)
def test_message_ids_are_rfc5322_valid(key):
    assert MSG_ID.match(message_id(key)), message_id(key)


async def test_a_wrong_password_is_not_retried_and_not_shown(smtp_server, monkeypatch):
    port = smtp_server(Mailbox())
    monkeypatch.setenv(ENV, "wrong-password")
    error = await failure(notifier(port).notify(delivery("frank", channel="email")))
    assert error.non_retryable and "535" in error.message and "wrong-password" not in error.message


async def test_a_permanent_refusal_is_not_retried_and_a_temporary_one_is(smtp_server):
    port = smtp_server(Mailbox(refuse={"frank@example.com": "550 5.1.1 no such user"}))
    error = await failure(notifier(port).notify(delivery("frank", channel="email")))
    assert error.non_retryable and "550" in error.message
    port = smtp_server(Mailbox(refuse={"frank@example.com": "451 4.3.0 try again later"}))
    error = await failure(notifier(port).notify(delivery("frank", channel="email")))
    assert not error.non_retryable and "451" in error.message


async def test_a_server_that_is_down_is_retried(monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)
    error = await failure(notifier(free_port()).notify(delivery("frank", channel="email")))
    assert not error.non_retryable


async def test_starttls_that_the_server_does_not_offer_is_a_configuration_error(smtp_server):
    port = smtp_server(Mailbox())
    error = await failure(notifier(port, security="starttls").notify(delivery("frank", channel="email")))
    assert error.non_retryable and "STARTTLS" in error.message
