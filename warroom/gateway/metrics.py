"""The gateway's /metrics (README "Metrics"): every request counted by its route template and
status (an ASGI middleware, so a streamed answer such as server-sent events is measured to its
last byte, and a 404 scan of random paths makes one `unmatched` series, not one per path), and
the open incidents by severity.

Open incidents are counted here, from Temporal visibility, when Prometheus scrapes (cached a few
seconds so several scrapers cost one set of queries): visibility is the one view every replica
shares. A worker's own count would be wrong twice over: each worker runs only some incidents, and
a replica that restarted would count none until they next woke. When Temporal does not answer the
series is dropped rather than kept at a stale value: an absent series is what alerting rules test.

Unauthenticated like /healthz: it carries only numbers and closed label sets (warroom.metrics).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import Gauge

from warroom import metrics
from warroom.temporal.connection import Unavailable
from warroom.temporal.incidents import open_by_severity

CACHE_S = 5.0
COUNT_TIMEOUT_S = 5.0
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

OPEN_INCIDENTS = Gauge(
    "warroom_open_incidents", "Open incidents (running, not resolved; game days excluded) by severity, "
    "from Temporal visibility at scrape time.", ["severity"],
)


class Measured:
    """Counts and times each HTTP request by method, route template and status."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # nothing sent: the app failed before answering

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            route = template(scope)
            metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.HTTP_LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)


def template(scope: dict[str, Any]) -> str:
    """The matched route's template (`/v1/incidents/{incident}/ack`), never the path itself."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class OpenIncidents:
    """The open-incidents gauge, refreshed from visibility at most every CACHE_S seconds."""

    def __init__(self, client: Callable[[], Awaitable[Any]]):
        self.client = client
        self._fresh_until = 0.0
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() < self._fresh_until:
                return
            try:
                counts = await asyncio.wait_for(open_by_severity(await self.client()), COUNT_TIMEOUT_S)
            except (TimeoutError, Unavailable):
                OPEN_INCIDENTS.clear()
                return
            for severity, count in counts.items():
                OPEN_INCIDENTS.labels(severity=severity).set(count)
            self._fresh_until = time.monotonic() + CACHE_S


def install(app: FastAPI, client: Callable[[], Awaitable[Any]]) -> None:
    """/metrics and the request middleware (outermost, so it sees every answer, errors too)."""
    incidents = OpenIncidents(client)

    @app.get("/metrics", include_in_schema=False)
    async def scrape() -> Response:
        await incidents.refresh()
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    app.add_middleware(Measured)
