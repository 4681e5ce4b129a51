"""PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).

One `trigger` event per recipient, POST {base}/v2/enqueue, with dedup_key
`INC-XXXXX:<action key>:<handle>`: the same on every retry and replay, and PagerDuty folds a
trigger whose dedup_key names an open alert into it. On top of that, each event that PagerDuty
accepted is recorded in the activity's heartbeat details, so a retried attempt (the third
recipient failed with a 500) sends only what is still missing.

PagerDuty answers 202 `{"status": "success", "message": "Event processed", "dedup_key": …}`;
400 `{"status": "invalid event", …}` (non-retryable), 429 when the routing key is throttled, 5xx.
"""

from __future__ import annotations

import hashlib

import httpx

from activities import http
from activities.channels import Pager
from warroom.config_file import PagerDutyConfig, SecretRef
from warroom.delivery import Delivery, Recipient

PROVIDER = "pagerduty"
SUMMARY_MAX = 1024
DEDUP_MAX = 255


def dedup_key(delivery: Delivery, recipient: Recipient) -> str:
    key = f"{delivery.idempotency_key}:{recipient.handle}"
    if len(key) > DEDUP_MAX:  # PagerDuty's limit; a digest keeps it stable and unique
        key = key[: DEDUP_MAX - 17] + ":" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return key


class PagerDutyPager(Pager):
    def __init__(
        self,
        routing_key: SecretRef,
        base_url: str = "https://events.pagerduty.com",
        severity: str = "critical",
        source: str = "warroom",
        timeout: float = http.DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ):
        self.routing_key, self.base_url = routing_key, base_url.rstrip("/")
        self.severity, self.source, self.timeout, self.client = severity, source, timeout, client

    @classmethod
    def from_config(cls, config: PagerDutyConfig) -> PagerDutyPager:
        return cls(config.routing_key, config.base_url, config.severity, config.source, config.timeout_seconds)

    def event(self, delivery: Delivery, recipient: Recipient, routing_key: str) -> dict:
        summary = http.summary(delivery.subject, delivery.text, delivery.idempotency_key)
        return {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup_key(delivery, recipient),
            "payload": {
                "summary": summary[:SUMMARY_MAX],
                "source": self.source,
                "severity": self.severity,
                "custom_details": {
                    "incident": delivery.incident_id,
                    "action_key": delivery.action_key,
                    "recipients": [recipient.model_dump(mode="json")],
                    "text": delivery.text,
                },
            },
            "client": "warroom",
        }

    async def page(self, delivery: Delivery) -> None:
        routing_key = self.routing_key.value()
        if routing_key is None:
            raise http.rejected(f"{PROVIDER}: ${self.routing_key.env} (the routing key) is not set on the worker")
        for recipient in delivery.recipients:
            key = dedup_key(delivery, recipient)
            part = f"{PROVIDER}:{key}"
            if http.already_done(part):
                continue
            response = await http.request(
                self.client, "POST", f"{self.base_url}/v2/enqueue", PROVIDER, secrets=[routing_key],
                timeout=self.timeout, json=self.event(delivery, recipient, routing_key),
            )
            answer = http.json_of(response, PROVIDER)
            if not isinstance(answer, dict) or answer.get("status") != "success":
                status = answer.get("status") if isinstance(answer, dict) else None
                raise http.retryable(f"{PROVIDER}: HTTP {response.status_code} without success (status {status!r})")
            http.mark_done(part)
