"""The REST API, generated from the verb table (warroom.verbs): one route per verb, its body or
query model built from the verb's parameters, so `/openapi.json` and `/docs` describe exactly
what the CLI and chat can do. Every route needs a bearer token (warroom.tokens); the actor of a
command is the token's handle, never a field of the body.

Answers: 200 with the result (the incident list by pages: `?limit=`, and its
`X-Next-Page-Token` header given back as `?page_token=` for the page after); 401 without a valid
token (nothing done); 404 unknown incident or item; 409 refused by a rule (the message names
it); 422 naming each bad field; 503 with Retry-After when Temporal cannot be reached.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model

from warroom.commands import Refused
from warroom.gateway.desk import Desk
from warroom.gateway.identity import Caller, Forbidden, Identities, Unauthenticated
from warroom.requests import Invalid
from warroom.temporal.connection import Unavailable, UnknownIncident
from warroom.temporal.incidents import IncidentPage
from warroom.verbs import NEXT_PAGE, VERBS, Param, Verb
from warroom.views import IncidentView

RETRY_AFTER_S = "5"
STREAM_POLL_S = 1.0
STREAM_HEARTBEAT_S = 15.0

_bearer = HTTPBearer(auto_error=False, description="a token from `warroom token create HANDLE`, or an OpenID "
                                                     "Connect token (warroom.yaml api.oidc)")


def error(status: int, message: str, errors: list[tuple[str, str]] = (), retry: bool = False) -> JSONResponse:  # type: ignore[assignment]
    body = {"error": " ".join(message.split()), "errors": [{"field": f, "message": m} for f, m in errors]}
    return JSONResponse(body, status_code=status, headers={"Retry-After": RETRY_AFTER_S} if retry else None)


def install_errors(app: FastAPI) -> None:
    """One error shape for every route: FastAPI's own 422s too."""

    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for item in exc.errors():
            loc = [str(p) for p in item["loc"] if p not in ("body", "query", "path")]
            errors.append((".".join(loc) or "body", str(item["msg"]).removeprefix("Value error, ")))
        return error(422, "; ".join(f"{f}: {m}" for f, m in errors), errors)

    app.add_exception_handler(RequestValidationError, validation)  # type: ignore[arg-type]


async def answered(work: Awaitable[Any]) -> Response:
    """Run the desk's work and say what happened in the API's terms."""
    try:
        result = await work
    except Invalid as exc:
        return error(422, str(exc), exc.errors)
    except UnknownIncident as exc:
        return error(404, str(exc))
    except Refused as exc:
        return error(409, str(exc))
    except Unavailable as exc:
        said = str(exc)
        return error(503, said if "retry" in said else f"{said}; retry later", retry=True)
    if isinstance(result, IncidentPage):  # the body stays the list it always was; the next page is a header
        following = {NEXT_PAGE: result.next_page_token} if result.next_page_token else None
        return JSONResponse(_plain(result.rows), headers=following)
    return JSONResponse(_plain(result))


def _plain(value: Any) -> Any:
    if isinstance(value, IncidentView):
        return {**value.model_dump(mode="json"), "deadlines": value.deadlines()}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


_TYPES: dict[str, Any] = {
    "text": str, "words": list[str] | str, "flag": bool, "many": list[str] | str, "duration": str, "next": str,
    "time": datetime, "date": date, "file": str, "number": int,
}


def _annotation(param: Param) -> Any:
    if param.kind == "choice":
        return Literal[param.choices]  # type: ignore[valid-type]
    return _TYPES[param.kind]


def body_model(verb: Verb) -> type[BaseModel]:
    """The JSON body a mutating verb takes: its parameters, extra fields refused."""
    fields: dict[str, Any] = {}
    for param in verb.params:
        kind = _annotation(param)
        if param.required and param.kind != "words":
            fields[param.name] = (kind, Field(description=param.help))
        else:
            fields[param.name] = (kind | None, Field(default=None, description=param.help))
    name = "".join(w.title() for w in verb.words) + "Body"
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def _query_parameters(verb: Verb) -> list[inspect.Parameter]:
    """A read's query string, one documented parameter per verb parameter."""
    found = []
    for param in verb.params:
        kind = _annotation(param)
        default = param.default if param.default is not None else (False if param.kind == "flag" else None)
        annotation = kind if param.kind == "flag" else kind | None
        found.append(inspect.Parameter(param.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                       default=Query(default, description=param.help)))
    return found


def router(desk: Desk, identities: Identities) -> APIRouter:
    routes = APIRouter(tags=["incidents"])

    async def actor(request: Request, _: object = Depends(_bearer)) -> Caller:
        return await identities.caller(request)

    for verb in VERBS:
        _route(routes, desk, verb, actor)

    @routes.get("/v1/whoami", summary="The person your token acts as")
    async def whoami(caller: Caller = Depends(actor)) -> dict[str, str | None]:
        return {"handle": caller.handle, "channel": caller.through.channel, "via": caller.through.via}

    @routes.get("/v1/incidents/{incident}/events", summary="The incident's timeline as server-sent events",
                response_class=StreamingResponse)
    async def events(incident: str, request: Request, caller: Caller = Depends(actor),
                     since: int | None = Query(None, ge=0, le=1_000_000, description="skip the first N entries")
                     ) -> Response:
        """`event: timeline` per timeline entry (its index as the event id, so `Last-Event-ID`
        resumes), `event: state` when stage, severity or roles change, `event: closed` at the end.
        `?since=N` starts after the first N entries and with the state as it is (a page drawn now)."""
        start = request.headers.get("last-event-id", "")
        first = int(start) + 1 if start.isdigit() and len(start) < 8 else since or 0
        try:
            view = await desk.read(_SHOW, incident, {})
        except (Invalid, Refused, Unavailable) as exc:
            return await answered(_raise(exc))
        return StreamingResponse(_stream(desk, incident, view, first, request, quiet_start=since is not None),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return routes


_SHOW = next(v for v in VERBS if v.name == "show")


async def _raise(exc: Exception) -> Any:
    raise exc


def _route(routes: APIRouter, desk: Desk, verb: Verb, actor: Callable[..., Awaitable[str]]) -> None:
    """One verb's route (and its /preview twin), with a signature FastAPI can document."""
    subject = [inspect.Parameter(verb.subject, inspect.Parameter.KEYWORD_ONLY, annotation=str)] \
        if verb.subject != "none" else []
    who = inspect.Parameter("caller", inspect.Parameter.KEYWORD_ONLY, annotation=Caller, default=Depends(actor))
    description = f"{verb.help}\n\nWho: {verb.who}. CLI: `warroom {verb.name}`."

    if verb.read:
        async def read(**kwargs: Any) -> Response:
            caller = kwargs.pop("caller")
            target = kwargs.pop(verb.subject, None) if verb.subject != "none" else None
            return await answered(desk.read(verb, target, kwargs, caller))

        read.__signature__ = inspect.Signature([*subject, who, *_query_parameters(verb)])  # type: ignore[attr-defined]
        routes.add_api_route(verb.route, read, methods=["GET"], summary=verb.name, description=description)
        return

    model = body_model(verb)

    def endpoint(preview: bool) -> Callable[..., Awaitable[Response]]:
        async def post(**kwargs: Any) -> Response:
            body: BaseModel = kwargs["body"]
            target = kwargs.get(verb.subject) if verb.subject != "none" else None
            values = body.model_dump(exclude_none=True, mode="json")
            if preview:
                return await answered(_previewed(desk.preview(verb, target, values, kwargs["caller"])))
            return await answered(desk.run(verb, target, values, kwargs["caller"]))

        body = inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=model)
        post.__signature__ = inspect.Signature([*subject, who, body])  # type: ignore[attr-defined]
        return post

    routes.add_api_route(verb.route, endpoint(False), methods=["POST"], summary=verb.name, description=description)
    if verb.previewable:
        routes.add_api_route(verb.route + "/preview", endpoint(True), methods=["POST"],
                             summary=f"{verb.name} (preview)",
                             description=f"Render what `{verb.name}` would send; nothing is sent or recorded.")


async def _previewed(work: Awaitable[str]) -> dict[str, str]:
    return {"preview": await work}


def _summary(state: Any) -> dict[str, Any]:
    return {"stage": state.stage.value, "severity": state.severity.value, "ic": state.ic, "comms": state.comms,
            "acknowledged_by": state.acknowledged_by}


async def _stream(desk: Desk, incident: str, view: Any, first: int, request: Request,
                  quiet_start: bool = False) -> AsyncIterator[bytes]:
    sent, quiet = first, 0.0
    last_state = _summary(view.state) if quiet_start else None
    while True:
        state = view.state
        for index, event in enumerate(state.timeline[sent:], start=sent):
            yield _event("timeline", event.model_dump(mode="json"), index)
        sent = max(sent, len(state.timeline))
        summary = _summary(state)
        if summary != last_state:
            yield _event("state", summary)
            last_state = summary
        if state.closed_at is not None:
            yield _event("closed", {"id": state.id})
            return
        await asyncio.sleep(STREAM_POLL_S)
        quiet += STREAM_POLL_S
        if quiet >= STREAM_HEARTBEAT_S:
            yield b": keep-alive\n\n"
            quiet = 0.0
        if await request.is_disconnected():
            return
        try:
            view = await desk.read(_SHOW, incident, {})
        except Unavailable:
            continue  # Temporal blinked: keep the stream, try again next tick


def _event(name: str, data: Any, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def install_auth(app: FastAPI) -> None:
    async def unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        response = error(401, str(exc))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    async def forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return error(403, str(exc))

    app.add_exception_handler(Unauthenticated, unauthenticated)  # type: ignore[arg-type]
    app.add_exception_handler(Forbidden, forbidden)  # type: ignore[arg-type]
