"""What the chat tests share: Slack's request signing and form bodies built here from Slack's
documented algorithm (https://api.slack.com/authentication/verifying-requests-from-slack), never
by warroom's code; a recorder for `response_url`; and a local Slack Web API that keeps state and
answers like Slack (https://api.slack.com/methods)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from tests.providers.fakes import Answer, FakeService, Request
from tests.workflow.harness import ROOT, Harness
from warroom.config_file import Chat, MattermostChat, SecretRef, SlackChat, WarroomConfig
from warroom.policy import load_policy
from warroom.state import IncidentState, TimelineEvent

SIGNING_ENV = "WARROOM_TEST_SLACK_SIGNING_SECRET"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the shape of Slack's signing secrets
MATTERMOST_ENV = "WARROOM_TEST_MATTERMOST_TOKEN"
MATTERMOST_TOKEN = "xbxq8n1yqpbfmyqjaanmzbthnh"
BOT_ENV = "WARROOM_TEST_SLACK_BOT_TOKEN"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
BOT_USER = "U0WARBOT01"

ROSTER = load_policy(ROOT / "runbooks").roster
SLACK_ID = {p.handle: p.slack_user_id for p in ROSTER.people}  # bob -> U0BOB0002 (oncall.yaml)
INCIDENT_ID = re.compile(r"INC-[0-9A-HJKMNP-TV-Z]{5}")


def chat_config(slack: bool = True, mattermost: bool = True) -> WarroomConfig:
    return WarroomConfig(
        chat=Chat(
            slack=SlackChat(signing_secret=SecretRef(env=SIGNING_ENV)) if slack else None,
            mattermost=MattermostChat(token=SecretRef(env=MATTERMOST_ENV)) if mattermost else None,
        )
    )


# --- Slack request signing (documented algorithm) ------------------------------------------------


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """v0=hex(HMAC-SHA256(signing secret, "v0:{timestamp}:" + raw body))."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(secret, stamp, body),
    }


def command_body(
    text: str, user_id: str, channel_name: str = "general", response_url: str = "https://hooks.slack.com/commands/none"
) -> bytes:
    """A slash command as Slack POSTs it (application/x-www-form-urlencoded)."""
    user_name = next((p.handle for p in ROSTER.people if p.slack_user_id == user_id), "someone")
    fields = {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",  # the deprecated verification token Slack still sends
        "team_id": "T0001",
        "team_domain": "example",
        "enterprise_id": "E0001",
        "enterprise_name": "Example",
        "channel_id": "C2147483705",
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": "/incident",
        "text": text,
        "api_app_id": "A123456",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    return urlencode(fields).encode()


async def slash(
    gateway: httpx.AsyncClient,
    text: str,
    user: str,
    channel_name: str = "general",
    response_url: str = "https://hooks.slack.com/commands/none",
) -> httpx.Response:
    """`/incident <text>` typed by `user` (a roster handle or a raw Slack user id), signed."""
    user_id = SLACK_ID.get(user, user)
    body = command_body(text, user_id, channel_name, response_url)
    return await gateway.post("/v1/chat/slack/commands", content=body, headers=signed_headers(body))


def block_actions_body(action_id: str, incident_id: str, user_id: str, response_url: str) -> bytes:
    """A button press as Slack POSTs it: form field `payload`, a block_actions JSON."""
    label = {
        "ack": "Acknowledge",
        "ic": "I'm IC",
        "sme": "Join as SME",
        "escalate": "Escalate now",
        "update": "Post update",
        "resolve": "Resolve",
    }[action_id]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001", "domain": "example"},
        "user": {"id": user_id, "username": "someone", "team_id": "T0001"},
        "api_app_id": "A123456",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0000001"},
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "channel": {"id": "C0000001", "name": "inc-incident"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"incident:{incident_id}",
                "text": {"type": "plain_text", "text": label, "emoji": True},
                "value": incident_id,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


async def press(
    gateway: httpx.AsyncClient, action_id: str, incident_id: str, user: str, response_url: str
) -> httpx.Response:
    body = block_actions_body(action_id, incident_id, SLACK_ID.get(user, user), response_url)
    return await gateway.post("/v1/chat/slack/interactions", content=body, headers=signed_headers(body))


def mattermost_body(text: str, user_name: str, channel_name: str = "town-square", response_url: str = "") -> bytes:
    """A Mattermost slash command's form fields (https://developers.mattermost.com/integrate/slash-commands/custom/)."""
    fields = {
        "channel_id": "fukxanjgjbnp7ng383at53k1sy",
        "channel_name": channel_name,
        "command": "/incident",
        "response_url": response_url or "http://mattermost.example/hooks/commands/none",
        "team_domain": "example",
        "team_id": "rdc9bgriktyx9p4kowh3dmgqyc",
        "text": text,
        "token": MATTERMOST_TOKEN,
        "trigger_id": "OWV0ZjRpY3NwN2JtdWZ3ZXNhZ3BpZjQzZXk6bjZ6Y3NqZjZ0aG5qYnRv",
        "user_id": "rnina9994bde8mua79zqcg5hmo",
        "user_name": user_name,
    }
    return urlencode(fields).encode()


# --- waiting (liveness bounds, never timing goals) ------------------------------------------------


async def eventually(check: Callable[[], Any | Awaitable[Any]], what: str, timeout: float = 30) -> Any:
    """Poll until `check()` returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while True:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.1)


def events_by(state: IncidentState, actor: str, kind: str | None = None) -> list[TimelineEvent]:
    return [e for e in state.timeline if e.actor == actor and (kind is None or e.kind == kind)]


async def incidents_titled(h: Harness, title: str, since: str) -> list[str]:
    """Every IncidentWorkflow started since `since` (any task queue) whose title is `title`."""
    found = []
    query = f'WorkflowType="IncidentWorkflow" AND StartTime >= "{since}"'
    async for execution in h.client.list_workflows(query):
        memo = await execution.memo()
        if memo.get("title") == title:
            found.append(execution.id)
    return found


def unique_title(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


# --- response_url ---------------------------------------------------------------------------------


class ResponseUrl:
    """A local endpoint standing for Slack's `response_url`: records every JSON message posted."""

    def __init__(self) -> None:
        self.service = FakeService(self._answer)

    @staticmethod
    def _answer(request: Request) -> Answer:
        assert request.method == "POST", request.method
        assert request.headers.get("content-type", "").startswith("application/json"), request.headers
        request.json  # noqa: B018  (must be JSON)
        return Answer(200, {"ok": True})

    def __enter__(self) -> ResponseUrl:
        self.service.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.service.__exit__(*exc)

    def url(self, name: str = "commands") -> str:
        return f"{self.service.url}/{name}/T0001/{uuid.uuid4().hex[:8]}"

    def messages(self, url: str | None = None) -> list[dict]:
        wanted = url.split("//", 1)[1].split("/", 1)[1] if url else None
        return [r.json for r in self.service.seen() if wanted is None or r.path == "/" + wanted]

    async def wait(self, url: str, count: int = 1, timeout: float = 30) -> list[dict]:
        return await eventually(
            lambda: (m := self.messages(url)) and len(m) >= count and m, f"{count} message(s) to {url}", timeout
        )


# --- a Slack workspace behind the Web API --------------------------------------------------------


@dataclass
class Channel:
    id: str
    name: str
    created: int
    members: set[str]
    messages: list[dict] = field(default_factory=list)  # oldest first
    pins: list[str] = field(default_factory=list)
    is_archived: bool = False

    def public(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_private": False,
            "is_archived": self.is_archived,
            "is_general": False,
            "created": self.created,
            "creator": BOT_USER,
            "is_member": BOT_USER in self.members,
            "num_members": len(self.members),
            "name_normalized": self.name,
        }


_NAME = re.compile(r"^[a-z0-9_-]+$")


class SlackWorkspace:
    """The Web API methods warroom's incident channel calls, answering the way Slack documents:
    HTTP 200 with `{"ok": true, ...}` or `{"ok": false, "error": "<code>"}`. Authenticates every
    call by `Authorization: Bearer <bot token>`; reads arguments from the query string, a form body
    or a JSON body (slack_sdk uses all three). A check that fails marks the fake service's errors."""

    LIST_PAGE = 2  # conversations.list answers at most this many per page (Slack may return fewer than limit)

    def __init__(self, token: str = BOT_TOKEN, users: set[str] | None = None):
        self.token = token
        self.users = set(users or {p.slack_user_id for p in ROSTER.people if p.slack_user_id}) | {BOT_USER}
        self.channels: dict[str, Channel] = {}
        self.direct: dict[str, list[dict]] = {}  # user id -> messages the bot sent them
        self.calls: list[tuple[str, dict]] = []  # (method, arguments) of every authenticated call
        self.fail_next: dict[str, list[Answer]] = {}  # method -> answers to give before serving it
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self.service = FakeService(self.respond)

    # The test's view ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.service.url

    def __enter__(self) -> SlackWorkspace:
        self.service.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.service.__exit__(*exc)

    def named(self, name: str) -> list[Channel]:
        with self._lock:
            return [c for c in self.channels.values() if c.name == name]

    def seed(self, name: str, members: set[str] | None = None) -> Channel:
        """A channel that already exists (e.g. one an earlier attempt created)."""
        with self._lock:
            return self._create(name, members or {BOT_USER})

    def called(self, method: str) -> list[dict]:
        with self._lock:
            return [args for m, args in self.calls if m == method]

    # The wire -----------------------------------------------------------------------------------

    def respond(self, request: Request) -> Answer:
        assert request.path.startswith("/api/"), f"not a Web API path: {request.path}"
        method = request.path.removeprefix("/api/")
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return Answer(404, {"ok": False, "error": "unknown_method"})
        reads = {"conversations.list", "conversations.history"}
        assert request.method in (("GET", "POST") if method in reads else ("POST",)), (method, request.method)
        given = request.headers.get("authorization")
        if not given:
            return Answer(200, {"ok": False, "error": "not_authed"})
        if given != f"Bearer {self.token}":
            return Answer(200, {"ok": False, "error": "invalid_auth"})
        arguments = self._arguments(request)
        with self._lock:
            self.calls.append((method, arguments))
            queued = self.fail_next.get(method)
            if queued:
                return queued.pop(0)
            return Answer(200, handler(arguments))

    @staticmethod
    def _arguments(request: Request) -> dict:
        arguments = {k: v[0] for k, v in request.query.items()}
        kind = request.headers.get("content-type", "")
        if request.body and kind.startswith("application/json"):
            arguments.update(json.loads(request.body))
        elif request.body and kind.startswith("application/x-www-form-urlencoded"):
            arguments.update({k: v[0] for k, v in parse_qs(request.body.decode()).items()})
        elif request.body:
            raise AssertionError(f"a body of type {kind!r}")
        for name in ("blocks", "metadata"):  # form-encoded: JSON strings
            if isinstance(arguments.get(name), str):
                arguments[name] = json.loads(arguments[name])
        return arguments

    @staticmethod
    def _true(value: Any) -> bool:
        return value in (True, 1, "1", "true", "True")

    def _create(self, name: str, members: set[str]) -> Channel:
        channel = Channel(id=f"C{next(self._ids):08d}", name=name, created=int(time.time()), members=set(members))
        self.channels[channel.id] = channel
        return channel

    def _channel(self, arguments: dict) -> Channel | dict:
        assert "channel" in arguments, f"no channel in {arguments}"
        channel = self.channels.get(arguments["channel"])
        return channel if channel is not None else {"ok": False, "error": "channel_not_found"}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"

    # Methods ------------------------------------------------------------------------------------

    def m_conversations_create(self, a: dict) -> dict:
        """https://api.slack.com/methods/conversations.create"""
        name = a.get("name")
        if not name:
            return {"ok": False, "error": "invalid_name_required"}
        if len(name) > 80:
            return {"ok": False, "error": "invalid_name_maxlength"}
        if not _NAME.match(name):
            return {"ok": False, "error": "invalid_name_specials"}
        if any(c.name == name for c in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        if self._true(a.get("is_private")):
            raise AssertionError("the incident channel is public")
        return {"ok": True, "channel": self._create(name, {BOT_USER}).public()}

    def m_conversations_list(self, a: dict) -> dict:
        """https://api.slack.com/methods/conversations.list: cursor pagination."""
        limit = int(a.get("limit", 100))
        assert 1 <= limit <= 1000, limit
        types = set((a.get("types") or "public_channel").split(","))
        assert "public_channel" in types, types
        channels = [c for c in self.channels.values() if not (self._true(a.get("exclude_archived")) and c.is_archived)]
        start = int(a["cursor"].removeprefix("dGVhbTpD")) if a.get("cursor") else 0
        page = channels[start : start + min(limit, self.LIST_PAGE)]
        following = start + len(page)
        cursor = f"dGVhbTpD{following}" if following < len(channels) else ""
        return {"ok": True, "channels": [c.public() for c in page], "response_metadata": {"next_cursor": cursor}}

    def m_conversations_invite(self, a: dict) -> dict:
        """https://api.slack.com/methods/conversations.invite: users, comma separated. Without
        `force`, one id that cannot be invited (unknown, the caller itself, already in the channel)
        fails the whole call and nobody is invited; with `force=true` the valid ones are invited and
        the rest reported in `errors`."""
        channel = self._channel(a)
        if isinstance(channel, dict):
            return channel
        if channel.is_archived:
            return {"ok": False, "error": "is_archived"}
        users = [u for u in str(a.get("users", "")).split(",") if u]
        if not users:
            return {"ok": False, "error": "no_user"}
        if len(users) > 1000:
            return {"ok": False, "error": "too_many_users"}
        errors = []
        for user in users:
            if user == BOT_USER:
                errors.append({"user": user, "ok": False, "error": "cant_invite_self"})
            elif user not in self.users:
                errors.append({"user": user, "ok": False, "error": "user_not_found"})
            elif user in channel.members:
                errors.append({"user": user, "ok": False, "error": "already_in_channel"})
        valid = [u for u in users if u not in {e["user"] for e in errors}]
        if errors and not (self._true(a.get("force")) and valid):
            return {"ok": False, "error": errors[0]["error"], "errors": errors}
        channel.members.update(valid)
        answer = {"ok": True, "channel": channel.public()}
        if errors:
            answer["errors"] = errors
        return answer

    def m_conversations_history(self, a: dict) -> dict:
        """https://api.slack.com/methods/conversations.history: newest first; metadata only when
        include_all_metadata is set."""
        channel = self._channel(a)
        if isinstance(channel, dict):
            return channel
        limit = int(a.get("limit", 100))
        newest_first = list(reversed(channel.messages))[:limit]
        with_metadata = self._true(a.get("include_all_metadata"))
        messages = [{k: v for k, v in m.items() if k != "metadata" or with_metadata} for m in newest_first]
        return {
            "ok": True,
            "messages": messages,
            "has_more": len(channel.messages) > limit,
            "pin_count": len(channel.pins),
        }

    def m_chat_postMessage(self, a: dict) -> dict:
        """https://api.slack.com/methods/chat.postMessage: to a channel id, or a user id (a DM)."""
        if not a.get("text") and not a.get("blocks"):
            return {"ok": False, "error": "no_text"}
        metadata = a.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict)
            and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict)
        ):
            return {"ok": False, "error": "invalid_metadata_format"}
        if a.get("blocks") is not None:
            check_blocks(a["blocks"])
        target = a.get("channel", "")
        message = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": "B0WARBOT01",
            "text": a.get("text", ""),
            "ts": self._next_ts(),
        }
        if a.get("blocks") is not None:
            message["blocks"] = a["blocks"]
        if metadata is not None:
            message["metadata"] = metadata
        if target in self.users and target != BOT_USER:  # a direct message
            self.direct.setdefault(target, []).append(message)
            return {"ok": True, "channel": "D" + target[1:], "ts": message["ts"], "message": message}
        channel = self._channel(a)
        if isinstance(channel, dict):
            return channel
        if channel.is_archived:
            return {"ok": False, "error": "is_archived"}
        if BOT_USER not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        channel.messages.append(message)
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}

    def m_pins_add(self, a: dict) -> dict:
        """https://api.slack.com/methods/pins.add"""
        channel = self._channel(a)
        if isinstance(channel, dict):
            return channel
        stamp = a.get("timestamp")
        if not stamp:
            return {"ok": False, "error": "no_item_specified"}
        if not any(m["ts"] == stamp for m in channel.messages):
            return {"ok": False, "error": "message_not_found"}
        if stamp in channel.pins:
            return {"ok": False, "error": "already_pinned"}
        channel.pins.append(stamp)
        return {"ok": True}

    def m_conversations_archive(self, a: dict) -> dict:
        """https://api.slack.com/methods/conversations.archive"""
        channel = self._channel(a)
        if isinstance(channel, dict):
            return channel
        if channel.is_archived:
            return {"ok": False, "error": "already_archived"}
        channel.is_archived = True
        return {"ok": True}


def check_blocks(blocks: list) -> None:
    """Block Kit as Slack validates it (https://api.slack.com/reference/block-kit/blocks)."""
    assert isinstance(blocks, list) and 0 < len(blocks) <= 50, blocks
    for block in blocks:
        kind = block["type"]
        if kind == "section":
            assert block["text"]["type"] in ("mrkdwn", "plain_text") and block["text"]["text"], block
        elif kind == "context":
            assert 0 < len(block["elements"]) <= 10, block
        elif kind == "actions":
            assert 0 < len(block["elements"]) <= 25, block
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids)), f"duplicate action_id in {ids}"
            for element in block["elements"]:
                assert element["type"] == "button", element
                assert element["text"]["type"] == "plain_text" and 0 < len(element["text"]["text"]) <= 75, element
                assert len(element["action_id"]) <= 255 and len(element.get("value", "")) <= 2000, element
                assert element.get("style") in (None, "primary", "danger"), element
        else:
            raise AssertionError(f"unexpected block type {kind}")


def working_on(answer: dict) -> bool:
    """The interim answer of a command that did not finish within Slack's 3 seconds."""
    return answer.get("response_type") == "ephemeral" and str(answer.get("text", "")).startswith("Working on")


async def ask(
    gateway: httpx.AsyncClient, hook: ResponseUrl, text: str, user: str, channel_name: str = "general"
) -> dict:
    """`/incident <text>` and its final answer: inline, or (on a slow machine, after the interim
    "Working on…") the one posted to response_url. Either is Slack's 3-second rule obeyed."""
    url = hook.url()
    response = await slash(gateway, text, user, channel_name=channel_name, response_url=url)
    assert response.status_code == 200, response.text
    answer = response.json()
    if working_on(answer):
        [answer] = await hook.wait(url)
    assert answer["response_type"] in ("ephemeral", "in_channel") and answer["text"], answer
    return answer
