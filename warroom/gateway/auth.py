"""Authenticating alert sources and trackers' webhooks, each the way it signs its requests. Constant-time comparisons;
401 when credentials are missing (or the source is not configured), 403 when they are wrong.
Nothing here logs a secret or echoes one back."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from warroom import limits
from warroom.config_file import GrafanaAuth, HeaderAuth, PagerDutyAuth, SecretRef, StandardWebhooksAuth
from warroom.durations import format_duration

TOLERANCE_S = 300  # signed timestamps older or newer than 5 minutes are replays


class AuthError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _missing(message: str) -> AuthError:
    return AuthError(401, message)


def _wrong(message: str) -> AuthError:
    return AuthError(403, message)


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def header_auth(config: HeaderAuth | None, headers: Mapping[str, str], source: str) -> None:
    """Bearer token or basic auth, as Alertmanager's http_config sends them."""
    if config is None:
        raise _missing(f"{source}: no credentials are configured for this source in warroom.yaml")
    given = headers.get("authorization", "")
    if not given:
        raise _missing("Authorization header required")
    scheme, _, credentials = given.partition(" ")
    if config.bearer_token is not None:
        token = config.bearer_token.value()
        if token is None:
            raise _missing(f"{source}: ${config.bearer_token.env} is not set on the gateway")
        if scheme.lower() != "bearer" or not _equal(credentials.strip(), token):
            raise _wrong("wrong credentials")
        return
    assert config.basic_auth is not None
    password = config.basic_auth.password.value()
    if password is None:
        raise _missing(f"{source}: ${config.basic_auth.password.env} is not set on the gateway")
    try:
        user, _, secret = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _wrong("wrong credentials") from None
    ok_user = _equal(user, config.basic_auth.username)
    ok_password = _equal(secret, password)
    if scheme.lower() != "basic" or not (ok_user and ok_password):
        raise _wrong("wrong credentials")


def grafana(config: GrafanaAuth | None, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    """`X-Grafana-Alerting-Signature`: hex HMAC-SHA256 of the body, or of `timestamp:body` when a
    timestamp header is configured (then also within 5 minutes of now)."""
    if config is None:
        raise _missing("grafana: no HMAC secret is configured for this source in warroom.yaml")
    secret = config.hmac_secret.value()
    if secret is None:
        raise _missing(f"grafana: ${config.hmac_secret.env} is not set on the gateway")
    signature = headers.get(config.header.lower(), "")
    if not signature:
        raise _missing(f"{config.header} header required")
    signed = body
    if config.timestamp_header:
        stamp = headers.get(config.timestamp_header.lower(), "")
        if not stamp:
            raise _missing(f"{config.timestamp_header} header required")
        _fresh(stamp, now)
        signed = stamp.encode() + b":" + body
    _hex_hmac(secret, signed, signature)


def _hex_hmac(secret: str, signed: bytes, given: str) -> None:
    """`given` is the hex HMAC-SHA256 of `signed` with `secret` (Grafana, Jira, Linear sign so)."""
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not _equal(given.strip().lower(), expected):
        raise _wrong("signature does not match")


def _configured(secret: SecretRef | None, source: str, field: str) -> str:
    if secret is None:
        raise _missing(f"{source}: no webhook secret is configured in warroom.yaml ({field})")
    value = secret.value()
    if value is None:
        raise _missing(f"{source}: ${secret.env} is not set on the gateway")
    return value


def jira(secret: SecretRef | None, headers: Mapping[str, str], body: bytes) -> None:
    """A Jira Cloud admin webhook registered with a secret: `X-Hub-Signature: sha256=<hex
    HMAC-SHA256 of the body>` (the WebSub form). Jira signs no timestamp header; the body's own
    `timestamp` is checked by the caller once parsed."""
    key = _configured(secret, "jira", "providers.tracker.webhook_secret")
    given = headers.get("x-hub-signature", "")
    if not given:
        raise _missing("X-Hub-Signature header required")
    method, _, digest = given.partition("=")
    if method.strip().lower() != "sha256":
        raise _wrong("X-Hub-Signature must be sha256=<hex>")
    _hex_hmac(key, body, digest)


def linear(secret: SecretRef | None, headers: Mapping[str, str], body: bytes) -> None:
    """Linear: `Linear-Signature: <hex HMAC-SHA256 of the body>` with the webhook's signing secret;
    the body's `webhookTimestamp` is checked by the caller once parsed."""
    key = _configured(secret, "linear", "providers.tracker.webhook_secret")
    given = headers.get("linear-signature", "")
    if not given:
        raise _missing("Linear-Signature header required")
    _hex_hmac(key, body, given)


def fresh(sent: datetime, tolerance: timedelta, field: str, now: datetime | None = None) -> None:
    """A signed body's own timestamp, within `tolerance` of now: an older one is a replay."""
    if abs((now or datetime.now(UTC)) - sent) > tolerance:
        raise _wrong(f"{field} is more than {format_duration(tolerance)} away from now")


def pagerduty(config: PagerDutyAuth | None, routing_key: str) -> str:
    """The service whose routing key this is."""
    if config is None:
        raise _missing("pagerduty: no routing keys are configured in warroom.yaml")
    if not routing_key:
        raise _missing("routing_key required")
    found = None
    for service, ref in config.routing_keys.items():
        key = ref.value()
        if key is not None and _equal(routing_key, key):  # every key compared: no early exit to time
            found = service
    if found is None:
        raise _wrong("routing_key is not valid")
    return found


def standard_webhooks(
    config: StandardWebhooksAuth | None, headers: Mapping[str, str], body: bytes, now: float | None = None
) -> None:
    """Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`."""
    if config is None:
        raise _missing("generic: no signing secret is configured for this source in warroom.yaml")
    secret = config.secret.value()
    if secret is None:
        raise _missing(f"generic: ${config.secret.env} is not set on the gateway")
    message_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (message_id and stamp and signatures):
        raise _missing("webhook-id, webhook-timestamp and webhook-signature headers required")
    _fresh(stamp, now)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    matches = [
        _equal(value, expected)
        for version, _, value in (s.partition(",") for s in signatures.split())
        if version == "v1"
    ]
    if not any(matches):
        raise _wrong("signature does not match")


def _fresh(stamp: str, now: float | None) -> None:
    try:
        sent = limits.unix_seconds(stamp)
    except limits.Unacceptable:
        raise _wrong("timestamp is not a Unix time in seconds") from None
    if abs((now if now is not None else time.time()) - sent) > TOLERANCE_S:
        raise _wrong("timestamp is more than 5 minutes away from now")
