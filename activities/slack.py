"""Slack: the Web API's chat.postMessage with a bot token (a direct message to each person), or an
incoming webhook (every message to the webhook's one channel).

chat.postMessage (https://api.slack.com/methods/chat.postMessage): POST {base}/api/chat.postMessage,
`Authorization: Bearer xoxb-…`, JSON {channel, text, blocks, metadata}. The channel is the
person's Slack user id (oncall.yaml `slack_user_id`, or `contacts.slack`), which opens the DM.
Slack has no idempotency key for messages: the key travels in the message metadata
(`event_type: warroom_action`), and each message that Slack accepted is recorded in the
activity's heartbeat details, so a retried attempt sends only to the people still missing.

Slack answers HTTP 200 with `{"ok": false, "error": "…"}` for most failures: `ratelimited` and
Slack's own transient errors are retried, everything else (invalid_auth, channel_not_found,
not_in_channel, …) is not. HTTP 429 carries Retry-After, honoured by the retry.

Incoming webhooks (https://api.slack.com/messaging/webhooks) answer 200 `ok`, or an HTTP error
with a plain-text reason (400 invalid_payload, 403 action_prohibited, 404 channel_not_found…).
"""

from __future__ import annotations

import httpx

from activities import http
from activities.channels import Messenger, Notifier
from warroom.config_file import SecretRef, SlackConfig, SlackWebhookConfig
from warroom.delivery import Delivery, Recipient

PROVIDER = "slack"
SECTION_MAX = 3000  # Block Kit: a section's text
TEXT_MAX = 39000  # chat.postMessage truncates text beyond 40,000 characters
RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def blocks(delivery: Delivery) -> list[dict]:
    """The message as Block Kit: the subject in bold and the text in a section, the incident and
    action key in a context line."""
    body = f"*{_escape(delivery.subject)}*\n{_escape(delivery.text)}" if delivery.subject else _escape(delivery.text)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(body, SECTION_MAX)}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"warroom · {delivery.incident_id} · `{delivery.action_key}`"}],
        },
    ]


def fallback_text(delivery: Delivery) -> str:
    """Notifications and screen readers show `text`; blocks are the rich form."""
    return _cut(f"{delivery.subject}\n{delivery.text}" if delivery.subject else delivery.text, TEXT_MAX)


class SlackMessenger(Messenger, Notifier):
    def __init__(
        self,
        bot_token: SecretRef,
        base_url: str = "https://slack.com",
        fallback_channel: str | None = None,
        timeout: float = http.DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ):
        self.bot_token, self.base_url = bot_token, base_url.rstrip("/")
        self.fallback_channel, self.timeout, self.client = fallback_channel, timeout, client

    @classmethod
    def from_config(cls, config: SlackConfig) -> SlackMessenger:
        return cls(config.bot_token, config.base_url, config.fallback_channel, config.timeout_seconds)

    def channel_of(self, recipient: Recipient) -> str | None:
        return recipient.slack_user_id or recipient.contacts.get("slack") or self.fallback_channel

    def message(self, delivery: Delivery, channel: str) -> dict:
        return {
            "channel": channel,
            "text": fallback_text(delivery),
            "blocks": blocks(delivery),
            "unfurl_links": False,
            "metadata": {
                "event_type": "warroom_action",
                "event_payload": {"idempotency_key": delivery.idempotency_key},
            },
        }

    async def send(self, delivery: Delivery) -> None:
        token = self.bot_token.value()
        if token is None:
            raise http.rejected(f"{PROVIDER}: ${self.bot_token.env} (the bot token) is not set on the worker")
        unreachable = []
        sent: set[str] = set()
        for recipient in delivery.recipients:
            channel = self.channel_of(recipient)
            if channel is None:
                unreachable.append(recipient.handle)
                continue
            if channel in sent:  # several people without an id share the fallback channel: post once
                continue
            sent.add(channel)
            part = f"{PROVIDER}:{delivery.idempotency_key}:{channel}"
            if http.already_done(part):
                continue
            response = await http.request(
                self.client, "POST", f"{self.base_url}/api/chat.postMessage", PROVIDER, secrets=[token],
                timeout=self.timeout, headers={"Authorization": f"Bearer {token}"},
                json=self.message(delivery, channel),
            )
            answer = http.json_of(response, PROVIDER)
            if not isinstance(answer, dict) or answer.get("ok") is not True:
                error = str(answer.get("error", "no error given")) if isinstance(answer, dict) else "not an object"
                raise _classify(error, response)
            http.mark_done(part)
        if unreachable:
            raise http.rejected(
                f"{PROVIDER}: no Slack user id (slack_user_id or contacts.slack) and no fallback_channel for"
                f" {', '.join(unreachable)}"
            )

    async def remind(self, delivery: Delivery) -> None:
        await self.send(delivery)

    async def notify(self, delivery: Delivery) -> None:
        await self.send(delivery)


def _classify(error: str, response: httpx.Response) -> Exception:
    message = f"{PROVIDER}: chat.postMessage failed: {http.redact(error)}"
    if error in RETRYABLE_ERRORS:
        kind = http.THROTTLED if "rate" in error else http.UNAVAILABLE
        return http.retryable(message, http.retry_after(response.headers), kind)
    return http.rejected(message)


class SlackWebhookMessenger(Messenger, Notifier):
    """Posts to a Slack incoming webhook; the people are named in the text (the webhook's channel
    is fixed when it is made)."""

    def __init__(
        self,
        url: SecretRef,
        timeout: float = http.DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ):
        self.url, self.timeout, self.client = url, timeout, client

    @classmethod
    def from_config(cls, config: SlackWebhookConfig) -> SlackWebhookMessenger:
        return cls(config.url, config.timeout_seconds)

    def message(self, delivery: Delivery) -> dict:
        people = ", ".join(_mention(r) for r in delivery.recipients)
        content = blocks(delivery)
        if people:
            content[1]["elements"].append({"type": "mrkdwn", "text": f"for {people}"})
        return {"text": fallback_text(delivery), "blocks": content}

    async def send(self, delivery: Delivery) -> None:
        url = self.url.value()
        if url is None:
            raise http.rejected(f"slack_webhook: ${self.url.env} (the webhook URL) is not set on the worker")
        if not url.startswith("https://") and not url.startswith("http://"):
            raise http.rejected(f"slack_webhook: ${self.url.env} is not an http(s) URL")
        response = await http.request(
            self.client, "POST", url, "slack_webhook", secrets=[url, url.split("/services/")[-1]],
            timeout=self.timeout, json=self.message(delivery),
        )
        if response.text.strip() != "ok":
            raise http.rejected(f"slack_webhook: HTTP {response.status_code}: {http.redact(response.text)}")

    async def remind(self, delivery: Delivery) -> None:
        await self.send(delivery)

    async def notify(self, delivery: Delivery) -> None:
        await self.send(delivery)


def _mention(recipient: Recipient) -> str:
    user = recipient.slack_user_id or recipient.contacts.get("slack")
    return f"<@{user}>" if user else _escape(recipient.name)


def _escape(text: str) -> str:
    """Slack's three control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
