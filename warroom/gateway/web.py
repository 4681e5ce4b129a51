"""The web app: the incident board at `/`, an incident's page, sign-in. Server-rendered from the
gateway's own Jinja2 templates (package data, not policy files), working without JavaScript; a
small script (static/live.js) refreshes a page when its server-sent events say something changed
and keeps the countdowns running. Every form goes through the desk as the signed-in person, with
a CSRF token; a refused command shows the rule's message in place and writes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from warroom.commands import Refused
from warroom.config_file import Api
from warroom.gateway import pages
from warroom.gateway.desk import Desk
from warroom.gateway.identity import Caller, Identities
from warroom.gateway.session import SignInLinks, Viewer, csrf_ok, csrf_token, sign_in, viewer
from warroom.model import Origin
from warroom.policy import Policy
from warroom.requests import Invalid
from warroom.severity import Severity
from warroom.temporal.connection import Unavailable, UnknownIncident
from warroom.verbs import BY_NAME, Verb

HERE = Path(__file__).parent
BOARD_POLL_S = 2.0
BOARD_LIMIT = 60
BOARD_VIEW_S = 3.0
RECENTLY_CLOSED = timedelta(days=7)  # how long a closed incident stays on the board's second tab


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["hhmm"] = lambda at: f"{at:%H:%M} UTC" if at else ""
    env.filters["stamp"] = lambda at: f"{at:%m-%d %H:%M:%S}" if at else ""
    env.filters["iso"] = lambda at: at.isoformat() if at else ""
    return env


class Web:
    def __init__(self, desk: Desk, policy: Policy, api: Api, links: SignInLinks, oauth: Any | None,
                 identities: Identities):
        self.desk, self.policy, self.api, self.links, self.oauth = desk, policy, api, links, oauth
        self.identities = identities
        self.env = environment()
        self.people = {p.handle: p.name for p in policy.roster.people}

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        seen = viewer(request)
        html = self.env.get_template(template).render(
            viewer=seen, csrf=csrf_token(request) if seen else "", people=self.people, now=datetime.now(UTC),
            services=sorted(self.policy.runbooks), severities=[s.value for s in Severity], path=request.url.path,
            fragment=request.headers.get("x-fragment") == "main", **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def caller(self, seen: Viewer) -> Caller:
        if seen.acting_as != seen.handle:
            return Caller(seen.acting_as, Origin(channel="web", via=f"{seen.via} admin ({seen.handle})"))
        return Caller(seen.handle, Origin(channel="web", via=seen.via))

    async def board(self, request: Request, seen: Viewer, refused: str | None = None) -> HTMLResponse:
        tab = "review" if request.query_params.get("tab") == "review" else "open"
        service, severity = request.query_params.get("service") or None, request.query_params.get("sev") or None
        mine = request.query_params.get("mine") == "1"
        game = request.query_params.get("game_day") or None
        now = datetime.now(UTC)
        try:
            rows = (await self.desk.read(BY_NAME["list"], None, {"all": tab == "review", "service": service,
                                                                "severity": severity, "game_day": game})).rows
            recent = now - RECENTLY_CLOSED
            wanted = [r for r in rows if (r.stage in ("in_review", "closed")) == (tab == "review")
                      and not (r.stage == "closed" and r.resolved_at and r.resolved_at < recent)][:BOARD_LIMIT]
            views = await asyncio.gather(*(self._view(r.id) for r in wanted))
        except Invalid as exc:
            return self.render(request, "board.html.j2", status=422, cards=[], tab=tab, error=str(exc),
                               filters=request.query_params, digest="")
        except Unavailable as exc:
            return self.render(request, "board.html.j2", status=503, cards=[], tab=tab, error=str(exc),
                               filters=request.query_params, digest="")
        digest = _digest((await self.desk.read(BY_NAME["list"], None, {"all": False})).rows)  # what the page shows
        cards = [pages.card(v, seen.acting_as, now) if v is not None else pages.card_of_row(r)
                 for r, v in zip(wanted, views, strict=True)]
        cards = pages.board_order([c for c in cards if c.mine or not mine])
        return self.render(request, "board.html.j2", status=422 if refused else 200, cards=cards, tab=tab,
                           error=refused, filters=request.query_params, digest=digest)

    async def _view(self, incident: str) -> Any:
        """An incident's live view for its card, or None when its workflow does not answer soon
        (its worker is down): the card then shows what visibility knows, the board still loads."""
        try:
            return await asyncio.wait_for(self.desk.read(BY_NAME["show"], incident, {}), timeout=BOARD_VIEW_S)
        except (TimeoutError, Unavailable, Refused):
            return None

    async def incident(self, request: Request, seen: Viewer, incident: str, status: int = 200,
                       refused: Mapping[str, str] | None = None) -> HTMLResponse:
        try:
            view = await self.desk.read(BY_NAME["show"], incident, {})
            found = await self.desk.read(BY_NAME["action list"], None, {"incident": view.state.id, "all": True})
            draft = await self.desk.read(BY_NAME["review draft"], view.state.id, {}) \
                if view.state.resolved and view.state.review is None else ""
        except UnknownIncident as exc:
            return self.render(request, "missing.html.j2", status=404, message=str(exc))
        except Invalid as exc:
            return self.render(request, "missing.html.j2", status=404, message=str(exc))
        page = pages.incident_page(view, self.policy, seen.acting_as, datetime.now(UTC))
        return self.render(request, "incident.html.j2", status=status, page=page, state=view.state, items=found,
                           draft=draft, refused=refused or {})

    async def act(self, request: Request, seen: Viewer, incident: str | None, verb: Verb) -> Response:
        form = await read_form(request)
        if not csrf_ok(request, _text(form, "csrf")):
            return self.render(request, "missing.html.j2", status=403,
                               message="this form is stale or forged (no valid CSRF token): reload the page")
        body = _body(verb, form)
        try:
            result = await self.desk.run(verb, incident, body, self.caller(seen))
        except (Invalid, Refused) as exc:
            if incident is None:
                return await self.board(request, seen, refused=str(exc))
            status = 422 if isinstance(exc, Invalid) else 404 if isinstance(exc, UnknownIncident) else 409
            return await self.incident(request, seen, incident, status=status, refused={verb.name: str(exc)})
        except Unavailable as exc:
            return self.render(request, "missing.html.j2", status=503, message=f"{exc}; try again")
        target = incident or getattr(result, "incident_id", None)
        return RedirectResponse(f"/incidents/{target}" if target else "/", status_code=303)


Form = dict[str, list[str]]
MAX_FORM = 256 * 1024  # a review document fits; anything larger is not a form of ours


async def read_form(request: Request) -> Form:
    """An urlencoded form (the only kind these pages send), bounded in size and strictly UTF-8."""
    body = await request.body()
    if len(body) > MAX_FORM or request.headers.get("content-type", "").split(";")[0].strip() != \
            "application/x-www-form-urlencoded":
        return {}
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return {}


def _text(form: Form, name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def _body(verb: Verb, form: Form) -> dict[str, Any]:
    """A form as the verb's REST body: the table's parameter names, blanks left out."""
    body: dict[str, Any] = {}
    for param in verb.params:
        if param.kind == "many":
            values = [v.strip() for v in form.get(param.name, []) if v.strip()]
            if values:
                body[param.name] = values
            continue
        value = _text(form, param.name)
        if param.kind == "flag":
            if value:
                body[param.name] = True
        elif value is not None and value.strip():
            body[param.name] = value.strip() if param.kind != "file" else value
    return body


def router(web: Web) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def signed_in(request: Request) -> Viewer | None:
        """The session's person; behind a trusted proxy, whoever its header names (signed in now)."""
        seen = viewer(request)
        proxied = web.identities.proxied(request)  # behind the proxy its header is who this is
        if proxied is not None and (seen is None or seen.handle != proxied):
            sign_in(request, proxied, "proxy")
            seen = viewer(request)
        return seen

    @routes.get("/")
    async def board(request: Request) -> Response:
        seen = signed_in(request)
        if seen is None:
            return RedirectResponse("/signin", status_code=303)
        return await web.board(request, seen)

    @routes.get("/incidents/{incident}")
    async def incident(request: Request, incident: str) -> Response:
        seen = signed_in(request)
        if seen is None:
            return RedirectResponse(f"/signin?next=/incidents/{incident}", status_code=303)
        return await web.incident(request, seen, incident)

    @routes.post("/incidents")
    async def declare(request: Request) -> Response:
        seen = signed_in(request)
        if seen is None:
            return RedirectResponse("/signin", status_code=303)
        return await web.act(request, seen, None, BY_NAME["declare"])

    @routes.post("/incidents/{incident}/do/{verb}")
    async def act(request: Request, incident: str, verb: str) -> Response:
        seen = signed_in(request)
        if seen is None:
            return RedirectResponse("/signin", status_code=303)
        chosen = BY_NAME.get(verb.replace("-", " "))
        if chosen is None or chosen.read or chosen.subject != "incident":
            return web.render(request, "missing.html.j2", status=404, message=f"no verb {verb!r}")
        return await web.act(request, seen, incident, chosen)

    @routes.post("/acting-as")
    async def acting_as(request: Request) -> Response:
        """The local operator (an admin) acts for someone, and the timeline says so."""
        seen = signed_in(request)
        form = await read_form(request)
        if seen is None or not seen.admin or not csrf_ok(request, _text(form, "csrf")):
            return web.render(request, "missing.html.j2", status=403, message="only an admin acts for others")
        wanted = (_text(form, "handle") or "").strip().lower()
        if wanted in web.people:
            request.session["acting_as"] = wanted
        return RedirectResponse(_text(form, "next") or "/", status_code=303)

    @routes.get("/web/board/events")
    async def board_events(request: Request) -> Response:
        if signed_in(request) is None:
            return Response(status_code=401)
        return StreamingResponse(_board_changes(web, request, request.query_params.get("digest") or None),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    @routes.get("/signin")
    async def signin(request: Request) -> Response:
        return web.render(request, "signin.html.j2", oidc=web.oauth is not None, message=None,
                          next=request.query_params.get("next", "/"))

    @routes.get("/signin/link")
    async def signin_link(request: Request) -> Response:
        handle = web.links.redeem(request.query_params.get("code", ""))
        if handle is None:
            return web.render(request, "signin.html.j2", status=401, oidc=web.oauth is not None, next="/",
                              message="that sign-in link was used already or has expired; `warroom up` prints a "
                                      "new one when it starts")
        sign_in(request, handle, "link", admin=True)
        return RedirectResponse("/", status_code=303)

    @routes.get("/signin/oidc")
    async def signin_oidc(request: Request) -> Response:
        if web.oauth is None:
            return Response(status_code=404)
        request.session["next"] = request.query_params.get("next", "/")
        return await web.oauth.oidc.authorize_redirect(request, str(request.url_for("signin_oidc_callback")))

    @routes.get("/signin/oidc/callback", name="signin_oidc_callback")
    async def signin_oidc_callback(request: Request) -> Response:
        if web.oauth is None:
            return Response(status_code=404)
        try:
            token = await web.oauth.oidc.authorize_access_token(request)
        except Exception as exc:  # authlib's errors: a refused or forged sign-in, said in one line
            return web.render(request, "signin.html.j2", status=401, oidc=True, next="/",
                              message=f"sign-in was not completed: {type(exc).__name__}")
        claims = token.get("userinfo") or {}
        email = str(claims.get(web.api.oidc.email_claim if web.api.oidc else "email", "")).lower()
        handle = next((p.handle for p in web.policy.roster.people if p.contacts.get("email", "").lower() == email),
                      None)
        if handle is None:
            return web.render(request, "signin.html.j2", status=403, oidc=True, next="/",
                              message=f"{email or 'your account'} is not a person in oncall.yaml")
        next_page = request.session.get("next", "/")
        sign_in(request, handle, "oidc")
        return RedirectResponse(next_page if str(next_page).startswith("/") else "/", status_code=303)

    @routes.post("/signout")
    async def signout(request: Request) -> Response:
        form = await read_form(request)
        if csrf_ok(request, _text(form, "csrf")):
            request.session.clear()
        return RedirectResponse("/signin", status_code=303)

    return routes


def _digest(rows: list[Any]) -> str:
    return hashlib.sha256(json.dumps([r.model_dump(mode="json") for r in rows], sort_keys=True).encode()).hexdigest()


async def _board_changes(web: Web, request: Request, shown: str | None) -> AsyncIterator[bytes]:
    """`event: changed` whenever the open incidents' list reads differently from what the page
    showed (`shown`, its digest) or from the last poll (polling visibility)."""
    last = shown
    while not await request.is_disconnected():
        try:
            digest = _digest((await web.desk.read(BY_NAME["list"], None, {"all": False})).rows)
        except Unavailable:
            digest = last
        if last is not None and digest != last:
            yield b"event: changed\ndata: {}\n\n"
        last = digest
        await asyncio.sleep(BOARD_POLL_S)
