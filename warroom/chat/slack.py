"""Slack's side of chat: request signatures, who the Slack user is, and the messages we answer
with (Block Kit, the incident's buttons)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from warroom import limits
from warroom.policy import Policy

TOLERANCE_S = 300  # Slack: refuse requests whose timestamp is more than five minutes away


class Unverified(Exception):
    pass


def verify(signing_secret: str | None, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    """`X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"))`, on the raw
    bytes, before anything is parsed; constant-time; the timestamp within five minutes."""
    if not signing_secret:
        raise Unverified("slack: no signing secret is configured on the gateway")
    stamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not stamp or not signature:
        raise Unverified("X-Slack-Request-Timestamp and X-Slack-Signature headers required")
    try:
        sent = limits.unix_seconds(stamp)
    except limits.Unacceptable:
        raise Unverified("X-Slack-Request-Timestamp is not a Unix time") from None
    if abs((now if now is not None else time.time()) - sent) > TOLERANCE_S:
        raise Unverified("X-Slack-Request-Timestamp is more than five minutes away (a replay?)")
    expected = "v0=" + hmac.new(signing_secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise Unverified("X-Slack-Signature does not match")


def person_of(user_id: str, policy: Policy) -> str | None:
    person = policy.roster.by_slack_id(user_id)
    return person.handle if person else None


def not_mapped(user_id: str) -> str:
    return (
        f"You (Slack user {user_id}) are not in warroom's roster yet. Ask whoever keeps oncall.yaml to add "
        f"`slack_user_id: {user_id}` to your person entry; then /incident works for you."
    )


def update_usage(incident_id: str) -> str:
    return (
        f"Post the update with:\n`/incident update {incident_id} --impact \"…\" --theory \"…\" "
        f"--next-steps \"…\" --next 30m`"
    )
