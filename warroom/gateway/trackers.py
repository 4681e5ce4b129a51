"""The trackers' webhooks: `POST /v1/tracker/jira` and `POST /v1/tracker/linear`. An issue of an
action item closed there marks the item done here (its reminders stop); reopened there, it is
chased again. The actor is the tracker (`system:jira`), the person who did it there is named.

The alert endpoints' order (warroom.gateway.alerts): size (413), content type (415), signature
over the raw body (401 missing or not configured, 403 wrong), JSON (400), shape (422 naming each
bad field), then the body's own signed timestamp (403 when too old: a replay), then one update to
the item. A delivery's id (`X-Atlassian-Webhook-Identifier`, `Linear-Delivery`) is the update's id,
so a repeat is applied once; and what the item already knows (the echo of warroom's own move, an
older change) is refused by the item and changes nothing.

Answers: 200 `accepted` with the item's status; 200 `ignored` with the reason when there is
nothing to do: another event, no status change, an issue that is no action item's (a SEV4 ticket,
an issue warroom did not open), or a state the item already has. 200 rather than 202 or a 4xx:
both senders count any other answer as a failed delivery and retry it (Linear documents 200 as the
one success), and nothing here would go better a second time. 503 with Retry-After when Temporal
cannot be reached: then their retry is what we want.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from warroom.action_items import TrackerReport
from warroom.commands import SYSTEM_PREFIX, Refused
from warroom.config_file import JiraConfig, LinearConfig, SecretRef
from warroom.gateway import auth
from warroom.gateway.alerts import AlertIngest, answered, reply
from warroom.policy import Policy
from warroom.temporal import items
from warroom.temporal.connection import UnknownIncident
from warroom.tracker import Reported
from warroom.tracker_webhooks import JiraWebhook, LinearWebhook

# Jira retries a failed delivery for up to about 30 minutes with the original body and timestamp;
# Linear stamps each attempt, and documents a minute.
JIRA_TOLERANCE = timedelta(hours=1)
LINEAR_TOLERANCE = timedelta(seconds=60)
DELIVERY_ID_MAX = 200


def _secret(config: object, kind: type) -> SecretRef | None:
    return config.webhook_secret if isinstance(config, kind) else None  # type: ignore[attr-defined]


def router(ingest: AlertIngest, tracker: JiraConfig | LinearConfig | None, policy: Policy,
           client: Callable[[], Awaitable[Any]]) -> APIRouter:
    routes = APIRouter(tags=["trackers"])

    async def receive(request: Request, read: Callable[[bytes], Reported | None], delivery_header: str
                      ) -> JSONResponse:
        async def work() -> JSONResponse:
            reported = read(await ingest.body(request))
            if reported is None:
                return reply(200, {"status": "ignored", "reason": "not a status change of an issue"})
            delivery = request.headers.get(delivery_header, "")[:DELIVERY_ID_MAX]
            return await _apply(reported, f"{reported.kind.value}:{delivery}" if delivery else None)

        return await answered(work)

    async def _apply(reported: Reported, update_id: str | None) -> JSONResponse:
        temporal = await client()
        item_id = await items.tracked_item(temporal, reported.kind, reported.issue_id)
        if item_id is None:
            return reply(200, {"status": "ignored", "issue": reported.key,
                               "reason": f"{reported.kind.label} {reported.key} is no action item's issue"})
        command = TrackerReport(actor=f"{SYSTEM_PREFIX}{reported.kind.value}", state=reported.state,
                                at=reported.at, by=reported.by)
        try:
            item = await items.change_item(temporal, item_id, command, update_id=update_id, policy=policy)
        except (Refused, UnknownIncident) as exc:
            return reply(200, {"status": "ignored", "issue": reported.key, "item": item_id, "reason": str(exc)})
        return reply(200, {"status": "accepted", "issue": reported.key, "item": item.id, "item_status": item.status})

    def jira(body: bytes, request: Request) -> Reported | None:
        auth.jira(_secret(tracker, JiraConfig), request.headers, body)
        event: JiraWebhook = ingest.parse(body, JiraWebhook)
        auth.fresh(event.at, JIRA_TOLERANCE, "timestamp")
        return event.reported()

    def linear(body: bytes, request: Request) -> Reported | None:
        auth.linear(_secret(tracker, LinearConfig), request.headers, body)
        event: LinearWebhook = ingest.parse(body, LinearWebhook)
        auth.fresh(event.sent_at, LINEAR_TOLERANCE, "webhookTimestamp")
        return event.reported()

    @routes.post("/v1/tracker/jira", summary="Jira Cloud webhook (jira:issue_updated), X-Hub-Signature signed")
    async def from_jira(request: Request) -> JSONResponse:
        return await receive(request, lambda body: jira(body, request), "x-atlassian-webhook-identifier")

    @routes.post("/v1/tracker/linear", summary="Linear webhook (Issue updates), Linear-Signature signed")
    async def from_linear(request: Request) -> JSONResponse:
        return await receive(request, lambda body: linear(body, request), "linear-delivery")

    return routes

