"""Opsgenie Alert API (https://docs.opsgenie.com/docs/alert-api#create-alert).

One alert per delivery, POST {base}/v2/alerts with `Authorization: GenieKey <key>`; the alias is
the idempotency key, so a retried create folds into the open alert (Opsgenie de-duplicates by
alias) and the people are its responders (by their Opsgenie user name: `contacts.opsgenie`, or
their e-mail). Opsgenie answers 202 `{"result": "Request will be processed", "requestId": …}`.
"""

from __future__ import annotations

import httpx

from activities import http
from activities.channels import Pager
from warroom.config_file import OpsgenieConfig, SecretRef
from warroom.delivery import Delivery

PROVIDER = "opsgenie"
MESSAGE_MAX, ALIAS_MAX, DESCRIPTION_MAX, DETAIL_MAX = 130, 512, 15000, 8000


class OpsgeniePager(Pager):
    def __init__(
        self,
        api_key: SecretRef,
        base_url: str = "https://api.opsgenie.com",
        priority: str = "P1",
        tags: tuple[str, ...] = ("warroom",),
        timeout: float = http.DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ):
        self.api_key, self.base_url, self.priority = api_key, base_url.rstrip("/"), priority
        self.tags, self.timeout, self.client = tags, timeout, client

    @classmethod
    def from_config(cls, config: OpsgenieConfig) -> OpsgeniePager:
        return cls(config.api_key, config.base_url, config.priority, config.tags, config.timeout_seconds)

    def alert(self, delivery: Delivery) -> dict:
        responders = []
        for r in delivery.recipients:
            username = r.contacts.get("opsgenie") or r.contacts.get("email")
            if username:
                responders.append({"type": "user", "username": username})
            else:
                http.warn(f"{PROVIDER}: {r.handle} has no opsgenie or email contact; not a responder")
        message = http.summary(delivery.subject, delivery.text, delivery.idempotency_key)
        return {
            "message": _cut(message, MESSAGE_MAX),
            "alias": _cut(delivery.idempotency_key, ALIAS_MAX),
            "description": _cut(delivery.text, DESCRIPTION_MAX),
            "responders": responders,
            "priority": self.priority,
            "tags": list(self.tags),
            "source": "warroom",
            "details": {
                "incident": delivery.incident_id,
                "action_key": delivery.action_key,
                "recipients": _cut(", ".join(r.handle for r in delivery.recipients), DETAIL_MAX),
            },
        }

    async def page(self, delivery: Delivery) -> None:
        key = self.api_key.value()
        if key is None:
            raise http.rejected(f"{PROVIDER}: ${self.api_key.env} (the API key) is not set on the worker")
        response = await http.request(
            self.client, "POST", f"{self.base_url}/v2/alerts", PROVIDER, secrets=[key], timeout=self.timeout,
            headers={"Authorization": f"GenieKey {key}"}, json=self.alert(delivery),
        )
        answer = http.json_of(response, PROVIDER)
        if not isinstance(answer, dict) or "result" not in answer:
            raise http.retryable(f"{PROVIDER}: HTTP {response.status_code} without a result")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
