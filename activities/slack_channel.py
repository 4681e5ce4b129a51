"""The incident's Slack channel, through Slack's own client library (slack_sdk's WebClient: sync,
so it runs in a thread; no aiohttp). Methods: conversations.create, conversations.list (to find a
channel a lost answer created), conversations.invite, chat.postMessage, pins.add,
conversations.history (to find a post a lost answer made), conversations.archive.

Idempotent: the open finds its channel by name when `name_taken`; every post carries its key in
message metadata and is skipped when the channel's recent history already holds that key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from activities import http
from activities.channels import ChannelPost, IncidentChannels, OpenChannel
from warroom.buttons import BUTTONS
from warroom.config_file import SecretRef

PROVIDER = "slack"
RETRYABLE = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
IGNORED_ON_INVITE = {"already_in_channel", "cant_invite_self"}
EVENT = "warroom_post"


class SlackIncidentChannels(IncidentChannels):
    def __init__(self, bot_token: SecretRef, base_url: str = "https://slack.com", timeout: int = 10):
        self.bot_token, self.base_url, self.timeout = bot_token, base_url.rstrip("/"), timeout

    def _client(self) -> WebClient:
        token = self.bot_token.value()
        if token is None:
            raise http.rejected(f"{PROVIDER}: ${self.bot_token.env} (the bot token) is not set on the worker")
        return WebClient(token=token, base_url=f"{self.base_url}/api/", timeout=self.timeout)

    async def _call(self, method: Callable[..., Any], ignore: set[str] = frozenset(), **arguments: Any) -> Any:
        """One Web API call, its failures classified for Temporal's retry policy."""
        try:
            return await asyncio.to_thread(method, **arguments)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error") if exc.response is not None else "unknown_error"
            if error in ignore:
                return exc.response
            if exc.response is not None and exc.response.status_code == 429 or error == "ratelimited":
                wait = int((exc.response.headers or {}).get("Retry-After", "1")) if exc.response is not None else 1
                raise http.retryable(f"{PROVIDER}: rate limited", timedelta(seconds=wait)) from None
            if error in RETRYABLE or (exc.response is not None and exc.response.status_code >= 500):
                raise http.retryable(f"{PROVIDER}: {error}") from None
            raise http.rejected(f"{PROVIDER}: {error}") from None
        except OSError as exc:  # network: connection refused, reset, timeout
            raise http.retryable(f"{PROVIDER}: {type(exc).__name__}") from None

    async def open(self, request: OpenChannel) -> str:
        client = self._client()
        created = await self._call(client.conversations_create, ignore={"name_taken"}, name=request.name)
        if created.get("ok"):
            channel = created["channel"]["id"]
        else:
            channel = await self._find(client, request.name)
        await self._invite(client, channel, request.invitees)
        text = f"{request.summary}\n{request.detail}"
        posted = await self._post_once(client, channel, request.idempotency_key, text,
                                       incident_blocks(request.incident_id, request.summary, request.detail))
        if posted is not None:
            await self._call(client.pins_add, ignore={"already_pinned"}, channel=channel, timestamp=posted)
        return channel

    async def post(self, request: ChannelPost) -> None:
        client = self._client()
        await self._invite(client, request.channel, request.invitees)
        await self._post_once(client, request.channel, request.idempotency_key, request.text, None)
        if request.archive:
            await self._call(client.conversations_archive, ignore={"already_archived"}, channel=request.channel)

    async def _find(self, client: WebClient, name: str) -> str:
        cursor = None
        while True:
            page = await self._call(client.conversations_list, limit=200, cursor=cursor, exclude_archived=True,
                                    types="public_channel,private_channel")
            for channel in page.get("channels", []):
                if channel.get("name") == name:
                    return channel["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise http.rejected(f"{PROVIDER}: #{name} is taken, and not by a channel warroom can see")

    async def _invite(self, client: WebClient, channel: str, people: tuple) -> None:
        users = ",".join(sorted({p.slack_user_id for p in people if p.slack_user_id}))
        if users:
            # force: one id already in (or not invitable) must not keep the others out
            await self._call(client.conversations_invite, ignore=IGNORED_ON_INVITE, channel=channel, users=users,
                             force=True)

    async def _post_once(self, client: WebClient, channel: str, key: str, text: str, blocks: list | None) -> str | None:
        """Post unless the channel already holds a message with this key; return its timestamp."""
        history = await self._call(client.conversations_history, channel=channel, limit=100, include_all_metadata=True)
        for message in history.get("messages", []):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return message.get("ts")
        arguments: dict[str, Any] = {"channel": channel, "text": text,
                                     "metadata": {"event_type": EVENT, "event_payload": {"key": key}}}
        if blocks:
            arguments["blocks"] = blocks
        posted = await self._call(client.chat_postMessage, **arguments)
        return posted.get("ts")


def incident_blocks(incident_id: str, summary: str, detail: str) -> list[dict]:
    """The incident's message in Block Kit: what it is, then one button per common action
    (warroom.buttons; the gateway's interactions endpoint turns a press into its command)."""
    elements = []
    for button in BUTTONS:
        element = {"type": "button", "action_id": button.action_id, "value": incident_id,
                   "text": {"type": "plain_text", "text": button.label}}
        if button.style:
            element["style"] = button.style
        elements.append(element)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{incident_id}* · {summary}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": detail}]},
        {"type": "actions", "block_id": f"incident:{incident_id}", "elements": elements},
    ]
