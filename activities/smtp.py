"""E-mail through an SMTP relay: stdlib smtplib, run in a thread (asyncio.to_thread).

One message per delivery, To: every recipient's `contacts.email`, Subject: the delivery's
subject, Message-ID `<INC-XXXXX.<action key>@warroom>` (the idempotency key made RFC 5322-valid):
a retried send carries the same Message-ID, which mail clients and many relays de-duplicate.

Errors: the relay's 4xx replies, timeouts and connection failures are retried; 5xx replies
(recipient or sender refused, authentication failed) are not.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from temporalio.exceptions import ApplicationError

from activities import http
from activities.channels import Notifier
from warroom.config_file import SecretRef, SmtpConfig
from warroom.delivery import Delivery

PROVIDER = "smtp"
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")


def message_id(idempotency_key: str, domain: str = "warroom") -> str:
    """`<left@domain>` with the left part an RFC 5322 dot-atom: `:` becomes `.`, any other
    character outside atext becomes `_`, and dots never lead, trail or repeat."""
    left = _NOT_ATEXT.sub("_", idempotency_key.replace(":", "."))
    left = re.sub(r"\.{2,}", ".", left).strip(".") or "warroom"
    return f"<{left}@{domain}>"


class SmtpNotifier(Notifier):
    def __init__(
        self,
        host: str,
        sender: str,
        port: int = 587,
        security: str = "starttls",
        username: str | None = None,
        password: SecretRef | None = None,
        message_id_domain: str = "warroom",
        timeout: float = 30.0,
    ):
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.username, self.password, self.domain, self.timeout = username, password, message_id_domain, timeout

    @classmethod
    def from_config(cls, config: SmtpConfig) -> SmtpNotifier:
        return cls(
            config.host, config.sender, config.port, config.security, config.username, config.password,
            config.message_id_domain, config.timeout_seconds,
        )

    def message(self, delivery: Delivery) -> EmailMessage:
        to = [r.contacts["email"] for r in delivery.recipients if r.contacts.get("email")]
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = delivery.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id(delivery.idempotency_key, self.domain)
        message["X-Warroom-Idempotency-Key"] = delivery.idempotency_key
        message.set_content(delivery.text)
        return message

    async def notify(self, delivery: Delivery) -> None:
        missing = [r.handle for r in delivery.recipients if not r.contacts.get("email")]
        if missing:
            http.warn(f"{PROVIDER}: no e-mail address for {', '.join(missing)}")
        if len(missing) == len(delivery.recipients):
            if delivery.recipients:
                raise http.rejected(f"{PROVIDER}: none of the recipients has an e-mail address")
            return
        password = None
        if self.password is not None:
            password = self.password.value()
            if password is None:
                raise http.rejected(f"{PROVIDER}: ${self.password.env} (the SMTP password) is not set on the worker")
        await asyncio.to_thread(self._send, self.message(delivery), password)

    def _send(self, message: EmailMessage, password: str | None) -> None:
        try:
            if self.security == "tls":
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with server:
                if self.security == "starttls":
                    server.starttls(context=ssl.create_default_context())
                if self.username is not None and password is not None:
                    server.login(self.username, password)
                refused = server.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _reply_error("every recipient was refused", _worst(exc.recipients.values())) from None
        except smtplib.SMTPNotSupportedError as exc:  # STARTTLS or AUTH not offered: the config is wrong
            raise http.rejected(f"{PROVIDER}: {self.host}:{self.port}: {exc}") from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth failed…
            raise _reply_error(f"{type(exc).__name__}", exc.smtp_code) from None
        except (smtplib.SMTPException, OSError) as exc:  # connection, TLS, timeout
            raise http.retryable(f"{PROVIDER}: {type(exc).__name__} talking to {self.host}:{self.port}") from None
        if refused:
            raise _reply_error(f"{len(refused)} recipient(s) refused, the others were sent", _worst(refused.values()))


def _worst(replies: object) -> int:
    codes = [code for code, _ in replies] if replies else []  # type: ignore[union-attr]
    return max(codes) if codes else 550


def _reply_error(what: str, code: int) -> ApplicationError:
    message = f"{PROVIDER}: {what} (SMTP {code})"
    return http.retryable(message) if 400 <= code < 500 else http.rejected(message)
