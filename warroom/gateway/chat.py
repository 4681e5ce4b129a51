"""Chat endpoints: Slack's slash command and buttons, Mattermost's slash command. Each request is
authenticated on its raw bytes before anything is parsed (401 and nothing done otherwise), then
parsed by the CLI's own grammar (warroom.chat.grammar) and run through the same command layer.

Slack wants an answer within 3 seconds: a command that finishes in time is answered inline; one
that does not gets an ephemeral "working on it" and its result through `response_url`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from temporalio.client import Client

from warroom.chat import slack
from warroom.chat.answers import carry_out
from warroom.chat.grammar import ChatError, Parsed, parse
from warroom.config_file import Chat
from warroom.policy import Policy
from warroom.temporal.connection import Unavailable

INLINE_S = 2.5  # under Slack's 3 s, with room for the network
MAX_BODY = 64 * 1024
READS = ("show", "list")


def ephemeral(text: str) -> JSONResponse:
    return JSONResponse({"response_type": "ephemeral", "text": text})


class ChatDesk:
    """Runs chat commands and posts late results to the `response_url` the chat gave."""

    def __init__(self, client: Callable[[], Awaitable[Client]]):
        self.client = client
        self.background: set[asyncio.Task] = set()

    async def answer(self, parsed: Parsed, response_url: str | None) -> JSONResponse:
        task = asyncio.create_task(self._run(parsed))
        done, _ = await asyncio.wait({task}, timeout=INLINE_S)
        if done:
            ok, text = task.result()
            kind = "in_channel" if ok and parsed.verb not in READS else "ephemeral"
            return JSONResponse({"response_type": kind, "text": text})
        if response_url:
            self._later(self._deliver_late(task, parsed, response_url))
        return ephemeral(f"Working on `{parsed.verb}`… the result follows here.")

    async def in_background(self, parsed: Parsed, response_url: str | None) -> None:
        self._later(self._deliver_late(asyncio.create_task(self._run(parsed)), parsed, response_url))

    async def _run(self, parsed: Parsed) -> tuple[bool, str]:
        try:
            client = await self.client()
        except Unavailable as exc:
            return False, f"warroom cannot reach Temporal right now; try again. ({exc})"
        return await carry_out(parsed, client)

    def _later(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _deliver_late(self, task: asyncio.Task, parsed: Parsed, response_url: str | None) -> None:
        ok, text = await task
        if not response_url:
            return
        kind = "in_channel" if ok and parsed.verb not in READS else "ephemeral"
        async with httpx.AsyncClient(timeout=10) as http:
            await http.post(response_url, json={"response_type": kind, "text": text, "replace_original": False})

    async def reply(self, response_url: str | None, text: str) -> None:
        if response_url:
            async with httpx.AsyncClient(timeout=10) as http:
                await http.post(response_url, json={"response_type": "ephemeral", "text": text, "replace_original": False})


async def _body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = await request.body()
    return body if len(body) <= MAX_BODY else None


def _form(body: bytes) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}


def router(config: Chat, policy: Policy, client: Callable[[], Awaitable[Client]], task_queue: str) -> APIRouter:
    routes = APIRouter(tags=["chat"])
    desk = ChatDesk(client)

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

    async def slash(form: dict[str, str], actor: str) -> Response:
        """A slash command from a known person: parsed by the CLI's grammar, then answered."""
        try:
            parsed = parse(form.get("text", ""), actor, policy, task_queue, form.get("channel_name", ""))
        except ChatError as exc:
            return ephemeral(str(exc))
        if isinstance(parsed, str):
            return ephemeral(parsed)
        return await desk.answer(parsed, form.get("response_url"))

    @routes.post("/v1/chat/slack/commands", summary="Slack slash command /incident")
    async def slack_command(request: Request) -> Response:
        body = await verified(request)
        if isinstance(body, Response):
            return body
        form = _form(body)
        actor = slack.person_of(form.get("user_id", ""), policy)
        if actor is None:
            return ephemeral(slack.not_mapped(form.get("user_id", "?")))
        return await slash(form, actor)

    @routes.post("/v1/chat/slack/interactions", summary="Slack buttons (block_actions)")
    async def slack_interaction(request: Request) -> Response:
        body = await verified(request)
        if isinstance(body, Response):
            return body
        try:
            payload = json.loads(_form(body).get("payload", ""))
            action = payload["actions"][0]
            user_id, incident_id = payload["user"]["id"], action["value"]
        except (ValueError, KeyError, IndexError, TypeError):
            return JSONResponse({"error": "payload: not a block_actions payload"}, status_code=400)
        response_url = payload.get("response_url")
        actor = slack.person_of(user_id, policy)
        if actor is None:
            await desk.reply(response_url, slack.not_mapped(user_id))
            return Response(status_code=200)
        if action.get("action_id") == "update":
            await desk.reply(response_url, slack.update_usage(incident_id))
            return Response(status_code=200)
        text = slack.button_command(action.get("action_id", ""), incident_id, actor)
        try:
            parsed = parse(text or "", actor, policy, task_queue)
        except ChatError as exc:
            await desk.reply(response_url, str(exc))
            return Response(status_code=200)
        if isinstance(parsed, Parsed):
            await desk.in_background(parsed, response_url)
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
            return ephemeral(f"You (@{user_name}) are not in warroom's roster; add `mattermost: {user_name}` to your contacts.")
        return await slash(form, actor)

    return routes
