"""Chat endpoints: Slack's slash command and buttons, Mattermost's slash command. Each request is
authenticated on its raw bytes before anything is parsed (401 and nothing done otherwise), then
parsed by the CLI's own grammar (warroom.chat.grammar) and run through the same command layer.

Slack wants an answer within 3 seconds: a command that finishes in time is answered inline; one
that does not gets an ephemeral "working on it" and its result through `response_url`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from warroom import limits
from warroom.buttons import BY_ID
from warroom.chat import slack
from warroom.chat.answers import carry_out
from warroom.chat.grammar import ChatError, ChatRequest, parse
from warroom.config_file import Chat
from warroom.gateway.desk import Desk
from warroom.model import Origin
from warroom.policy import Policy

log = logging.getLogger(__name__)

INLINE_S = 2.5  # under Slack's 3 s, with room for the network
MAX_BODY = 64 * 1024


def ephemeral(text: str) -> JSONResponse:
    return JSONResponse({"response_type": "ephemeral", "text": text})


class ChatDesk:
    """Runs chat requests through the desk and posts late results to the chat's `response_url`."""

    def __init__(self, desk: Desk):
        self.desk = desk
        self.background: set[asyncio.Task] = set()

    async def answer(self, request: ChatRequest, response_url: str | None) -> JSONResponse:
        task = asyncio.create_task(carry_out(request, self.desk))
        done, _ = await asyncio.wait({task}, timeout=INLINE_S)
        if done:
            ok, text = task.result()
            return JSONResponse({"response_type": _kind(ok, request), "text": text})
        if response_url:
            self._later(self._deliver_late(task, request, response_url))
        return ephemeral(f"Working on `{request.verb.name}`… the result follows here.")

    async def in_background(self, request: ChatRequest, response_url: str | None) -> None:
        self._later(self._deliver_late(asyncio.create_task(carry_out(request, self.desk)), request, response_url))

    def _later(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _deliver_late(self, task: asyncio.Task, request: ChatRequest, response_url: str | None) -> None:
        ok, text = await task
        if response_url:
            await _post(response_url, {"response_type": _kind(ok, request), "text": text, "replace_original": False})

    async def reply(self, response_url: str | None, text: str) -> None:
        if response_url:
            await _post(response_url, {"response_type": "ephemeral", "text": text, "replace_original": False})


async def _post(response_url: str, message: dict[str, object]) -> None:
    """Answer on the chat's response URL; one it cannot reach loses the answer, never the request
    (the command ran; the timeline and the channel have it)."""
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            await http.post(response_url, json=message)
    except httpx.HTTPError as exc:
        log.warning("chat: could not answer on the response URL: %s", type(exc).__name__)



async def _body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = await request.body()
    return body if len(body) <= MAX_BODY else None


def replay_key(request: Request) -> str:
    """A signed Slack request's own identity: a replay of it (same signature, within the five
    minutes Slack's timestamp allows) is the same Temporal Update or declaration, applied once."""
    return "slack:" + hashlib.sha256(request.headers.get("x-slack-signature", "").encode()).hexdigest()[:32]


def _kind(ok: bool, request: ChatRequest) -> str:
    """A change is news for the channel; a read, a preview or a refusal is for the asker alone."""
    return "in_channel" if ok and not request.verb.read and not request.preview else "ephemeral"


def _form(body: bytes) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}


def router(config: Chat, policy: Policy, desk: Desk) -> APIRouter:
    routes = APIRouter(tags=["chat"])
    chat = ChatDesk(desk)

    def slack_secret() -> str | None:
        return config.slack.signing_secret.value() if config.slack else None

    async def verified(request: Request) -> bytes | Response:
        body = await _body(request)
        if body is None:
            return JSONResponse({"error": f"body larger than {MAX_BODY} bytes"}, status_code=413)
        try:
            slack.verify(slack_secret(), request.headers, body)
        except slack.Unverified as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        return body

    async def slash(form: dict[str, str], actor: str, through: Origin, request_id: str | None) -> Response:
        """A slash command from a known person: read against the verb table, then answered."""
        try:
            request = parse(form.get("text", ""), actor, policy, form.get("channel_name", ""))
        except ChatError as exc:
            return ephemeral(str(exc))
        if isinstance(request, str):
            return ephemeral(request)
        return await chat.answer(request.sent(through, request_id), form.get("response_url"))

    @routes.post("/v1/chat/slack/commands", summary="Slack slash command /incident")
    async def slack_command(request: Request) -> Response:
        body = await verified(request)
        if isinstance(body, Response):
            return body
        form = _form(body)
        user_id = form.get("user_id", "")
        actor = slack.person_of(user_id, policy)
        if actor is None:
            return ephemeral(slack.not_mapped(user_id or "?"))
        return await slash(form, actor, Origin(channel="slack", via=f"slack user {user_id}"), replay_key(request))

    @routes.post("/v1/chat/slack/interactions", summary="Slack buttons (block_actions)")
    async def slack_interaction(request_: Request) -> Response:
        body = await verified(request_)
        if isinstance(body, Response):
            return body
        try:
            payload = limits.loads(_form(body).get("payload", ""))
            action = payload["actions"][0]
            user_id, incident_id = payload["user"]["id"], action["value"]
        except (ValueError, KeyError, IndexError, TypeError):
            return JSONResponse({"error": "payload: not a block_actions payload"}, status_code=400)
        response_url = payload.get("response_url") if isinstance(payload, dict) else None
        if response_url is not None and not limits.web_url(response_url):
            return JSONResponse({"error": "payload.response_url: not an http(s) URL"}, status_code=400)
        actor = slack.person_of(user_id, policy)
        if actor is None:
            await chat.reply(response_url, slack.not_mapped(user_id))
            return Response(status_code=200)
        button = BY_ID.get(str(action.get("action_id", "")))
        if button is None:
            await chat.reply(response_url, f"unknown button {action.get('action_id')!r}")
        elif button.command is None:
            await chat.reply(response_url, slack.update_usage(str(incident_id)))
        else:
            request = ChatRequest(verb=button.verb, subject=str(incident_id), command=button.command(actor))
            through = Origin(channel="slack", via=f"slack user {user_id}")
            await chat.in_background(request.sent(through, replay_key(request_)), response_url)
        return Response(status_code=200)

    @routes.post("/v1/chat/mattermost/commands", summary="Mattermost slash command /incident")
    async def mattermost_command(request: Request) -> Response:
        body = await _body(request)
        if body is None:
            return JSONResponse({"error": f"body larger than {MAX_BODY} bytes"}, status_code=413)
        expected = config.mattermost.token.value() if config.mattermost else None
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if not expected or not given:
            return JSONResponse({"error": "Authorization: Token … required (and configured)"}, status_code=401)
        if scheme.lower() != "token" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            return JSONResponse({"error": "wrong token"}, status_code=401)
        form = _form(body)
        user_name = form.get("user_name", "")
        actor = next(
            (p.handle for p in policy.roster.people if p.contacts.get("mattermost", p.handle) == user_name), None
        )
        if actor is None:
            return ephemeral(
                f"You (@{user_name}) are not in warroom's roster; add `mattermost: {user_name}` to your contacts."
            )
        return await slash(form, actor, Origin(channel="mattermost", via=f"mattermost user {user_name}"), None)

    return routes
