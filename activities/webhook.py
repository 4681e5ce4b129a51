"""Any channel, and the status page, as JSON POSTed to a URL and signed per Standard Webhooks
(https://www.standardwebhooks.com/, the scheme warroom's own generic alert endpoint checks).

Headers: `webhook-id` = the idempotency key (`INC-XXXXX:<action key>`, or the update's key), the
same on every retry, so the receiver de-duplicates by it; `webhook-timestamp` = Unix seconds of
this attempt; `webhook-signature` = `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
key = the base64-decoded secret after its `whsec_` prefix.

Body of a message: {"type": "page"|"notify"|"remind"|"ticket", "idempotency_key", "incident_id",
"action_key", "channel", "recipients": [{handle, name, contacts}], "subject", "text", "game_day"};
of a status-page update: {"type": "status_update", …the PublicUpdate's fields}.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from activities import http
from activities.channels import Messenger, Notifier, Pager, StatusPage, Ticketing
from warroom.config_file import SecretRef, WebhookConfig
from warroom.delivery import Delivery
from warroom.publicpage import PublicUpdate

PROVIDER = "webhook"


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks' `webhook-signature` value for one request."""
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise http.rejected(f"{PROVIDER}: the signing secret is not whsec_<base64>") from None
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def delivery_body(kind: str, delivery: Delivery) -> dict:
    return {
        "type": kind,
        "idempotency_key": delivery.idempotency_key,
        "incident_id": delivery.incident_id,
        "action_key": delivery.action_key,
        "channel": delivery.channel,
        "recipients": [r.model_dump(mode="json") for r in delivery.recipients],
        "subject": delivery.subject,
        "text": delivery.text,
        "game_day": delivery.game_day,
    }


class WebhookProvider(Pager, Notifier, Messenger, Ticketing, StatusPage):
    def __init__(
        self,
        url: str,
        secret: SecretRef,
        timeout: float = http.DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.url, self.secret, self.timeout, self.client, self.clock = url, secret, timeout, client, clock

    @classmethod
    def from_config(cls, config: WebhookConfig) -> WebhookProvider:
        return cls(config.url, config.secret, config.timeout_seconds)

    async def post(self, message_id: str, payload: dict) -> None:
        secret = self.secret.value()
        if secret is None:
            raise http.rejected(f"{PROVIDER}: ${self.secret.env} (the signing secret) is not set on the worker")
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = int(self.clock())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, message_id, timestamp, body),
        }
        await http.request(
            self.client, "POST", self.url, PROVIDER, secrets=[secret], timeout=self.timeout, content=body,
            headers=headers,
        )

    async def page(self, delivery: Delivery) -> None:
        await self.post(delivery.idempotency_key, delivery_body("page", delivery))

    async def notify(self, delivery: Delivery) -> None:
        await self.post(delivery.idempotency_key, delivery_body("notify", delivery))

    async def remind(self, delivery: Delivery) -> None:
        await self.post(delivery.idempotency_key, delivery_body("remind", delivery))

    async def open_ticket(self, delivery: Delivery) -> None:
        await self.post(delivery.idempotency_key, delivery_body("ticket", delivery))

    async def publish(self, update: PublicUpdate) -> None:
        await self.post(update.key, {"type": "status_update", **update.model_dump(mode="json")})
