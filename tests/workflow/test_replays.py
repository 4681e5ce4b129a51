"""Replays do nothing twice (DESIGN.md: identity and authority). A signed request replayed inside
its freshness window is authentic, so the signature check lets it through: what stops it is
Temporal's own deduplication. A Slack command's Update id, and a chat declaration's incident id,
come from its signature; an alert group remembers the delivery ids it has folded in."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

from tests.chat.support import SIGNING_ENV, SIGNING_SECRET, ResponseUrl, chat_config, command_body, signed_headers
from tests.workflow.harness import gateway, incidents_of
from tests.workflow.test_alert_contracts import (
    GENERIC_ENV,
    GRAFANA_ENV,
    TIMESTAMP_HEADER,
    generic_event,
    grafana_payload,
    grafana_signature,
    post_json,
    standard_webhook_headers,
    unique,
    whsec,
)
from warroom.config_file import GrafanaAuth, Ingest, SecretRef, StandardWebhooksAuth, WarroomConfig
from warroom.state import Status


async def test_a_replayed_slack_command_is_applied_once(make_harness, monkeypatch):
    monkeypatch.setenv(SIGNING_ENV, SIGNING_SECRET)
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as chat:
            incident = await h.declare("SEV2")
            body = command_body(f'note {incident} "pool at 100%"', "U0JUDY010", response_url=hook.url())
            headers = signed_headers(body)
            for _ in range(3):  # the very same signed bytes, within the five minutes
                response = await chat.post("/v1/chat/slack/commands", content=body, headers=headers)
                assert response.status_code == 200, response.text
            notes = [e for e in (await h.view(incident)).state.timeline if e.kind == "note"]
            assert [(e.actor, e.text, e.channel) for e in notes] == [("judy", "pool at 100%", "slack")]

            declare = command_body("declare sev3 payments Refunds slow", "U0DANA004", response_url=hook.url())
            headers = signed_headers(declare)
            for _ in range(2):
                assert (await chat.post("/v1/chat/slack/commands", content=declare, headers=headers)).status_code == 200
            await asyncio.sleep(0.5)
            titles = [(await h.view(i)).state.title for i in await incidents_of(h, 2)]
            assert titles.count("Refunds slow") == 1


async def test_a_replayed_standard_webhook_delivery_changes_nothing_even_after_a_resolve(make_harness, monkeypatch):
    """The sender resolved the alert; a replay of its earlier "firing" delivery must not re-fire it."""
    secret = whsec()
    monkeypatch.setenv(GENERIC_ENV, secret)
    config = WarroomConfig(ingest=Ingest(generic=StandardWebhooksAuth(secret=SecretRef(env=GENERIC_ENV))))
    async with make_harness() as h, gateway(h, config) as gw:
        key = unique("replayed")
        firing = json.dumps(generic_event(key)).encode()
        firing_headers = standard_webhook_headers(secret, firing, message_id="msg_firing_1")
        assert (await post_json(gw, "/v1/alerts/generic", firing, firing_headers)).status_code == 200
        [incident] = await incidents_of(h, 1)
        resolved = json.dumps(generic_event(key, status="resolved")).encode()
        assert (
            await post_json(
                gw,
                "/v1/alerts/generic",
                resolved,
                standard_webhook_headers(secret, resolved, message_id="msg_resolved_1"),
            )
        ).status_code == 200
        quiet = await h.wait_view(incident, lambda v: v.state.alerts is not None and v.state.alerts.firing == 0)
        replayed = await post_json(gw, "/v1/alerts/generic", firing, firing_headers)
        assert replayed.status_code == 200  # accepted as Standard Webhooks asks, and changes nothing
        reused = json.dumps(generic_event(key, summary="a new body under an old id")).encode()
        assert (await post_json(gw, "/v1/alerts/generic", reused,
                                standard_webhook_headers(secret, reused, message_id="msg_firing_1"))).status_code == 200
        await asyncio.sleep(1.5)
        after = (await h.view(incident)).state
        assert after.alerts.firing == 0 and after.alerts.all_resolved_at == quiet.state.alerts.all_resolved_at
        assert [e.text for e in after.timeline if e.kind == "alerts"] == [
            e.text for e in quiet.state.timeline if e.kind == "alerts"]
        assert after.status is not Status.resolved


async def test_a_replayed_grafana_delivery_after_its_resolve_changes_nothing(make_harness, monkeypatch):
    """Grafana signs `timestamp:body`; a delivery replayed inside its 5 minutes is authentic, and the
    group, having seen that signature, ignores it: the resolved alert stays resolved."""
    secret = secrets.token_hex(16)
    monkeypatch.setenv(GRAFANA_ENV, secret)
    config = WarroomConfig(ingest=Ingest(grafana=GrafanaAuth(hmac_secret=SecretRef(env=GRAFANA_ENV),
                                                             timestamp_header=TIMESTAMP_HEADER)))

    def signed(body: bytes) -> dict[str, str]:
        now = int(time.time())
        return {TIMESTAMP_HEADER: str(now), "X-Grafana-Alerting-Signature": grafana_signature(secret, body, now)}

    async with make_harness() as h, gateway(h, config) as gw:
        key = unique("grafana-replayed")
        payload = grafana_payload(key, "https://grafana.example/d/checkout")
        firing = json.dumps(payload).encode()
        firing_headers = signed(firing)
        assert (await post_json(gw, "/v1/alerts/grafana", firing, firing_headers)).status_code == 200
        [incident] = await incidents_of(h, 1)
        payload["status"] = payload["alerts"][0]["status"] = "resolved"
        resolved = json.dumps(payload).encode()
        assert (await post_json(gw, "/v1/alerts/grafana", resolved, signed(resolved))).status_code == 200
        quiet = await h.wait_view(incident, lambda v: v.state.alerts is not None and v.state.alerts.firing == 0)
        assert (await post_json(gw, "/v1/alerts/grafana", firing, firing_headers)).status_code == 200
        await asyncio.sleep(1.5)
        after = (await h.view(incident)).state
        assert after.alerts.firing == 0 and after.alerts.all_resolved_at == quiet.state.alerts.all_resolved_at
        assert [e.text for e in after.timeline if e.kind == "alerts"] == [
            e.text for e in quiet.state.timeline if e.kind == "alerts"]
