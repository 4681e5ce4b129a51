"""Alert webhooks: Alertmanager, Grafana, PagerDuty Events v2, and warroom's generic format.

FastAPI traces each request itself (its native OpenTelemetry span, continuing a `traceparent`
the sender passes); the Temporal tracing interceptor carries that trace into the workflows.

Every request goes the same way: size (413), content type (415), credentials (401/403), JSON
(400), shape (422 naming each bad field), then one signal-with-start to its alert group. 2xx only
once Temporal accepted the signal; 503 with Retry-After when it cannot be reached (senders retry
on 5xx and drop on 4xx). Nothing is started on any error.

`POST /v1/heartbeat/{name}` is a dead-man's switch's beat (warroom.yaml `heartbeats`): the same
checks, with the credentials of an alert source (Alertmanager's bearer or basic auth, or the
generic source's Standard Webhooks signature), a small body that may be empty, and one
signal-with-start to the monitor's HeartbeatWorkflow.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from warroom import limits, metrics
from warroom.alerts import alertmanager, generic, grafana, pagerduty
from warroom.alerts.events import AlertBatch
from warroom.config_file import Heartbeat, Ingest
from warroom.gateway import auth
from warroom.policy import Policy
from warroom.temporal import heartbeats
from warroom.temporal.alerts import signal_group
from warroom.temporal.connection import Unavailable

RETRY_AFTER_S = "10"
HEARTBEAT_MAX_BYTES = 65_536  # a beat says nothing; Alertmanager's Watchdog notification is ~1 KB


class Rejected(Exception):
    """A request refused before anything was started."""

    def __init__(self, status: int, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or []


class AlertIngest:
    """What the alert endpoints share: limits, credentials, the policy and the Temporal link."""

    def __init__(
        self, config: Ingest, policy: Policy, client: Callable[[], Any], task_queue: str,
        monitors: tuple[Heartbeat, ...] = (),
    ):
        self.config, self.policy, self.client, self.task_queue = config, policy, client, task_queue
        self.monitors = {monitor.name: monitor for monitor in monitors}

    async def body(self, request: Request, limit: int | None = None, may_be_empty: bool = False) -> bytes:
        """The body, refused above the limit (413) or when not JSON (415); with `may_be_empty`
        an empty body needs no content type (`curl -X POST` sends none)."""
        limit = min(limit or self.config.max_body_bytes, self.config.max_body_bytes)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise Rejected(413, f"body larger than {limit} bytes")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json" and not may_be_empty:
            raise Rejected(415, f"content-type must be application/json, not {kind or 'missing'}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Rejected(413, f"body larger than {limit} bytes")
            chunks.append(chunk)
        if size and kind != "application/json":
            raise Rejected(415, f"content-type must be application/json, not {kind or 'missing'}")
        return b"".join(chunks)

    @staticmethod
    def parse(body: bytes, model: type[BaseModel]) -> Any:
        try:
            data = limits.loads(body)
        except limits.Unacceptable as exc:
            raise Rejected(400, f"body: {exc}") from None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = [
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            ]
            raise Rejected(422, "invalid payload", errors) from None

    async def signal(self, batch: AlertBatch, received: float) -> None:
        """Signal-with-start the batch's alert group; Unavailable when Temporal does not take it.
        `received` (perf_counter) starts the ingest latency, observed once Temporal has the signal."""
        await signal_group(await self.client(), batch, self.policy, self.task_queue)
        metrics.ALERT_INGEST.labels(source=batch.source).observe(time.perf_counter() - received)

    def beat_credentials(self, request: Request, body: bytes) -> None:
        """A beat carries an alert source's credentials, no new kind: a Standard Webhooks
        signature (the generic source's secret) when it is signed, else Alertmanager's
        `http_config` bearer token or basic auth, which its Watchdog receiver sends."""
        if "webhook-signature" in request.headers:
            auth.standard_webhooks(self.config.generic, request.headers, body)
        else:
            auth.header_auth(self.config.alertmanager, request.headers, "heartbeat (ingest.alertmanager)")


def reply(status: int, body: dict[str, Any], retry: bool = False) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Retry-After": RETRY_AFTER_S} if retry else None)


async def answered(work: Callable[[], Awaitable[JSONResponse]]) -> JSONResponse:
    """`work`'s answer, or its refusal as the inbound routes give it: the status a refusal names
    (4xx), 503 with Retry-After when Temporal cannot be reached: the one case a retry helps."""
    try:
        return await work()
    except Rejected as exc:
        return reply(exc.status, {"error": exc.message, "errors": exc.errors})
    except auth.AuthError as exc:
        return reply(exc.status, {"error": str(exc), "errors": []})
    except Unavailable as exc:
        return reply(503, {"error": f"{exc}; retry later", "errors": []}, retry=True)


def router(ingest: AlertIngest) -> APIRouter:
    routes = APIRouter(prefix="", tags=["alerts"])

    async def handle(request: Request, work: Callable[[bytes], Awaitable[JSONResponse]], limit: int | None = None,
                     may_be_empty: bool = False) -> JSONResponse:
        async def read_then_work() -> JSONResponse:
            return await work(await ingest.body(request, limit, may_be_empty))

        return await answered(read_then_work)

    def source(
        path: str, summary: str, model: type[BaseModel], authenticate: Callable[[Request, bytes], None],
        delivery: Callable[[Request], str | None] = lambda request: None,
    ) -> None:
        """One alert source: authenticate, parse, one signal for the group, 200. `delivery` names a
        signed delivery (its id, or its signature): the group ignores a replay of one it has seen."""

        async def receive(request: Request) -> JSONResponse:
            received = time.perf_counter()

            async def work(body: bytes) -> JSONResponse:
                authenticate(request, body)
                batch = ingest.parse(body, model).to_batch().model_copy(update={"request_id": delivery(request)})
                await ingest.signal(batch, received)
                return reply(200, {"status": "accepted", "group": batch.group_id, "alerts": len(batch.alerts)})

            return await handle(request, work)

        routes.add_api_route(path, receive, methods=["POST"], summary=summary)

    source("/v1/alerts/alertmanager", "Prometheus Alertmanager webhook (payload version 4)", alertmanager.Payload,
           lambda request, body: auth.header_auth(ingest.config.alertmanager, request.headers, "alertmanager"))
    source("/v1/alerts/grafana", "Grafana unified alerting webhook", grafana.Payload,
           lambda request, body: auth.grafana(ingest.config.grafana, request.headers, body),
           lambda request: _signed("grafana", request.headers.get(_grafana_header(ingest), "")))
    source("/v1/alerts/generic", "warroom's generic alert (Standard Webhooks signed)", generic.Event,
           lambda request, body: auth.standard_webhooks(ingest.config.generic, request.headers, body),
           lambda request: "webhook-id:" + request.headers.get("webhook-id", "")[:200])

    async def from_pagerduty(request: Request) -> JSONResponse:
        """Answers exactly as PagerDuty's Events API v2 does."""
        received = time.perf_counter()
        try:
            body = await ingest.body(request)
            event: pagerduty.Event = ingest.parse(body, pagerduty.Event)
            service = auth.pagerduty(ingest.config.pagerduty, event.routing_key)
            key = event.key()
            await ingest.signal(event.to_batch(key, service), received)
        except Rejected as exc:
            message = "Event object is invalid" if exc.status in (400, 422) else exc.message
            return reply(400 if exc.status == 422 else exc.status,
                          {"status": "invalid event", "message": message, "errors": exc.errors or [exc.message]})
        except auth.AuthError as exc:
            return reply(exc.status, {"status": "invalid event", "message": str(exc), "errors": [str(exc)]})
        except Unavailable as exc:
            return reply(503, {"status": "unavailable", "message": f"{exc}; retry later", "errors": []}, retry=True)
        return reply(202, {"status": "success", "message": "Event processed", "dedup_key": key})

    async def heartbeat(name: str, request: Request) -> JSONResponse:
        """A beat for the monitor `name`: it stays quiet while beats come within its interval plus
        grace. Any small JSON body is accepted (Alertmanager's notification of its Watchdog), or
        none; a notification that the Watchdog *resolved* is not a beat: it means the
        always-firing alert stopped, which is what the monitor is there to notice."""

        async def work(body: bytes) -> JSONResponse:
            ingest.beat_credentials(request, body)
            monitor = ingest.monitors.get(name)
            if monitor is None:
                raise Rejected(404, f"no heartbeat monitor {name[:80]!r} in warroom.yaml (heartbeats)")
            if body:
                try:
                    data = limits.loads(body)
                except limits.Unacceptable as exc:
                    raise Rejected(400, f"body: {exc}") from None
                if isinstance(data, dict) and data.get("status") == "resolved":
                    return reply(200, {"status": "ignored", "heartbeat": name,
                                        "reason": "a resolved notification is not a beat"})
            await heartbeats.beat(await ingest.client(), monitor, ingest.policy, ingest.task_queue)
            return reply(200, {"status": "accepted", "heartbeat": name,
                                "workflow": heartbeats.workflow_id(name)})

        return await handle(request, work, limit=HEARTBEAT_MAX_BYTES, may_be_empty=True)

    routes.add_api_route("/v1/heartbeat/{name}", heartbeat, methods=["POST"],
                         summary="A heartbeat monitor's beat (a dead-man's switch)")
    routes.add_api_route("/v1/alerts/pagerduty", from_pagerduty, methods=["POST"], summary="PagerDuty Events API v2")
    routes.add_api_route(
        "/v2/enqueue", from_pagerduty, methods=["POST"], summary="PagerDuty Events API v2 (its own path)"
    )
    return routes


def _grafana_header(ingest: AlertIngest) -> str:
    return ingest.config.grafana.header.lower() if ingest.config.grafana else "x-grafana-alerting-signature"


def _signed(source: str, signature: str) -> str:
    """A delivery known by its signature: the same bytes at the same timestamp sign the same."""
    return f"{source}:" + hashlib.sha256(signature.encode()).hexdigest()[:32]
