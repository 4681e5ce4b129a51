"""The public status page: /status (HTML readable on a phone, no JavaScript), /status.json (the
shape of Statuspage's summary) and /status.atom, read from the StatusPageWorkflow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from temporalio.client import Client

from warroom.policy import Policy
from warroom.publicpage import PageView, page_view
from warroom.temporal import statuspage
from warroom.temporal.connection import Unavailable


def router(
    policy: Policy, client: Callable[[], Awaitable[Client]], templates: Path, name: str = "warroom"
) -> APIRouter:
    routes = APIRouter(tags=["status"])
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates), autoescape=True, undefined=jinja2.StrictUndefined
    )
    components = list(dict.fromkeys(c for runbook in policy.runbooks.values() for c in runbook.components))

    async def view() -> PageView:
        return page_view(await statuspage.incidents(await client()), components)

    async def guarded(render: Callable[[PageView], Response]) -> Response:
        try:
            return render(await view())
        except Unavailable:
            return JSONResponse(
                {"error": "status unavailable; retry later"}, status_code=503, headers={"Retry-After": "10"}
            )

    @routes.get("/status", response_class=HTMLResponse, summary="The public status page")
    async def status_html() -> Response:
        template = environment.get_template("status.html.j2")
        return await guarded(lambda v: HTMLResponse(template.render(name=name, view=v)))

    @routes.get("/status.json", summary="Components, open incidents and their updates")
    async def status_json() -> Response:
        def shape(v: PageView) -> JSONResponse:
            def incident(i) -> dict:
                return {
                    "id": i.id, "name": i.title, "status": i.status.value,
                    "created_at": i.started_at.isoformat(),
                    "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
                    "components": [{"name": c, "status": s.value} for c, s in i.components.items()],
                    "incident_updates": [
                        {"status": u.status.value, "body": u.body, "created_at": u.at.isoformat()}
                        for u in reversed(i.updates)
                    ],
                }

            return JSONResponse({
                "page": {"name": name, "updated_at": v.updated_at.isoformat() if v.updated_at else None},
                "status": {"indicator": v.indicator.value, "description": v.description},
                "components": [{"name": c, "status": s.value} for c, s in v.components],
                "incidents": [incident(i) for i in v.open],
                "resolved_incidents": [incident(i) for i in v.resolved],
            })

        return await guarded(shape)

    @routes.get("/status.atom", summary="Atom feed of status updates")
    async def status_atom(request: Request) -> Response:
        template = environment.get_template("status.atom.j2")
        base = str(request.base_url).rstrip("/")

        def feed(v: PageView) -> Response:
            updates = sorted((u for i in (*v.open, *v.resolved) for u in i.updates), key=lambda u: u.at, reverse=True)
            body = template.render(name=name, view=v, updates=updates[:50], base=base, now=datetime.now(UTC))
            return Response(body, media_type="application/atom+xml")

        return await guarded(feed)

    return routes
