"""Alert webhooks against their documented wire formats: the real gateway in-process (ASGI) over the
session's real Temporal dev server. Every signature is built here from the documented algorithm
(Grafana's HMAC, Standard Webhooks, HTTP basic/bearer), never by warroom's own auth code."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.service import RPCError, RPCStatusCode

from tests.workflow.harness import Harness, gateway, incidents_of
from warroom.alerts.events import group_workflow_id
from warroom.config import Settings
from warroom.config_file import (
    BasicAuth,
    GrafanaAuth,
    HeaderAuth,
    Ingest,
    PagerDutyAuth,
    SecretRef,
    StandardWebhooksAuth,
    WarroomConfig,
)
from warroom.severity import Severity

GRAFANA_ENV = "WARROOM_TEST_GRAFANA_HMAC"
PAGERDUTY_ENV = "WARROOM_TEST_PD_PAYMENTS"
GENERIC_ENV = "WARROOM_TEST_WEBHOOK_SECRET"
BEARER_ENV = "WARROOM_TEST_AM_TOKEN"
BASIC_ENV = "WARROOM_TEST_AM_PASSWORD"
TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"
GO_ZERO_TIME = "0001-01-01T00:00:00Z"  # what Alertmanager and Grafana send as endsAt of a firing alert


# --- helpers -------------------------------------------------------------------------------------


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def on_queue(h: Harness) -> list[tuple[str, str]]:
    """Every workflow (any type) on the harness's task queue."""
    query = f'TaskQueue="{h.settings.task_queue}"'
    return sorted({(w.id, w.workflow_type) async for w in h.client.list_workflows(query)})


async def assert_not_started(h: Harness, *group_ids: str) -> None:
    """None of these alert groups exists (strongly consistent, by id), and the queue stays empty
    (visibility is eventually consistent: watched for a moment)."""
    for group in group_ids:
        with pytest.raises(RPCError) as refused:
            await h.client.get_workflow_handle(group).describe()
        assert refused.value.status == RPCStatusCode.NOT_FOUND, group
    for _ in range(10):
        assert await on_queue(h) == []
        await asyncio.sleep(0.1)


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["errors"], list)
    return body


def am_alert(index: int, group: str, severity: str = "warning") -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {
            "alertname": "CheckoutErrorRate",
            "service": "payments",
            "severity": severity,
            "instance": f"checkout-{index}:9090",
            "job": "payments-api",
            "env": "production",
        },
        "annotations": {
            "summary": "Checkout error rate above 5%",
            "description": f"checkout-{index} returns 5xx for 7% of requests",
            "runbook_url": "https://runbooks.example/payments/checkout-errors",
        },
        "startsAt": rfc3339(datetime.now(UTC) - timedelta(minutes=2)),
        "endsAt": GO_ZERO_TIME,
        "generatorURL": f"http://prometheus:9090/graph?g0.expr=rate%28http_5xx%5B5m%5D%29&g0.tab=1&i={index}",
        "fingerprint": hashlib.sha256(f"{group}/{index}".encode()).hexdigest()[:16],
    }


def am_payload(group_key: str, alerts: int = 1, severity: str = "warning") -> dict[str, Any]:
    """An Alertmanager webhook, payload version 4."""
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "warroom",
        "groupLabels": {"alertname": "CheckoutErrorRate"},
        "commonLabels": {"alertname": "CheckoutErrorRate", "service": "payments", "severity": severity},
        "commonAnnotations": {"summary": "Checkout error rate above 5%"},
        "externalURL": "http://alertmanager:9093",
        "alerts": [am_alert(i, group_key, severity) for i in range(alerts)],
    }


def am_group_key(name: str) -> str:
    return '{}/{service="payments"}:{alertname="' + unique(name) + '"}'


# --- 1. Grafana ----------------------------------------------------------------------------------


def grafana_payload(group_key: str, dashboard: str) -> dict[str, Any]:
    """A Grafana unified-alerting webhook: the Alertmanager v4 shape plus Grafana's own fields."""
    return {
        "receiver": "warroom",
        "status": "firing",
        "orgId": 1,
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "Checkout latency", "grafana_folder": "Payments", "team": "payments"},
                "annotations": {
                    "summary": "Checkout p99 latency above 2s",
                    "description": "p99 latency of POST /checkout is 2.7s",
                    "runbook_url": "https://runbooks.example/payments/latency",
                },
                "startsAt": rfc3339(datetime.now(UTC) - timedelta(minutes=1)),
                "endsAt": GO_ZERO_TIME,
                "generatorURL": "https://grafana.example/alerting/grafana/fe2b1c3d/view?orgId=1",
                "fingerprint": hashlib.sha256(group_key.encode()).hexdigest()[:16],
                "silenceURL": "https://grafana.example/alerting/silence/new?alertmanager=grafana"
                "&matcher=alertname%3DCheckout+latency&orgId=1",
                "dashboardURL": dashboard,
                "panelURL": dashboard + "&viewPanel=4",
                "values": {"A": 2.7, "C": 1},
                "valueString": "[ var='A' labels={} value=2.7 ], [ var='C' labels={} value=1 ]",
            }
        ],
        "groupLabels": {"alertname": "Checkout latency", "grafana_folder": "Payments"},
        "commonLabels": {"alertname": "Checkout latency", "grafana_folder": "Payments", "team": "payments"},
        "commonAnnotations": {"summary": "Checkout p99 latency above 2s"},
        "externalURL": "https://grafana.example/",
        "version": "1",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "title": "[FIRING:1] Checkout latency Payments (payments)",
        "state": "alerting",
        "message": "**Firing**\n\nValue: A=2.7, C=1\nLabels:\n - alertname = Checkout latency\n",
    }


def grafana_signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """Grafana's webhook HMAC: lowercase hex HMAC-SHA256 of the body, or of `<unix seconds>:body`."""
    signed = body if timestamp is None else f"{timestamp}:".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


async def post_json(
    gw: httpx.AsyncClient, path: str, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await gw.post(path, content=body, headers={"Content-Type": "application/json", **(headers or {})})


async def test_grafana_body_hmac_opens_an_incident_with_the_dashboard_link_and_refusals_start_nothing(
    make_harness, monkeypatch
):
    secret = secrets.token_urlsafe(32)
    monkeypatch.setenv(GRAFANA_ENV, secret)
    config = WarroomConfig(ingest=Ingest(grafana=GrafanaAuth(hmac_secret=SecretRef(env=GRAFANA_ENV))))
    dashboard = "https://grafana.example/d/checkout/checkout-latency?orgId=1"
    async with make_harness() as h, gateway(h, config) as gw:
        unsigned_key, wrong_key = unique("grafana-unsigned"), unique("grafana-wrong")
        unsigned = json.dumps(grafana_payload(unsigned_key, dashboard)).encode()
        assert_error(await post_json(gw, "/v1/alerts/grafana", unsigned), 401)
        wrong = json.dumps(grafana_payload(wrong_key, dashboard)).encode()
        forged = grafana_signature("not-the-secret", wrong)
        assert_error(await post_json(gw, "/v1/alerts/grafana", wrong, {"X-Grafana-Alerting-Signature": forged}), 403)
        await assert_not_started(h, group_workflow_id("grafana", unsigned_key), group_workflow_id("grafana", wrong_key))

        key = unique("grafana")
        body = json.dumps(grafana_payload(key, dashboard)).encode()
        response = await post_json(
            gw, "/v1/alerts/grafana", body, {"X-Grafana-Alerting-Signature": grafana_signature(secret, body)}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "accepted", "group": group_workflow_id("grafana", key), "alerts": 1}
        [incident] = await incidents_of(h, 1)
        view = await h.view(incident)
        assert view.state.alerts is not None and view.state.alerts.source == "grafana"
        assert dashboard in view.state.alerts.links
        assert view.state.title == "Checkout p99 latency above 2s"
        assert view.state.declared_by == "system:grafana"


async def test_grafana_timestamped_hmac_refuses_missing_wrong_and_stale_signatures(make_harness, monkeypatch):
    secret = secrets.token_urlsafe(32)
    monkeypatch.setenv(GRAFANA_ENV, secret)
    config = WarroomConfig(
        ingest=Ingest(grafana=GrafanaAuth(hmac_secret=SecretRef(env=GRAFANA_ENV), timestamp_header=TIMESTAMP_HEADER))
    )
    dashboard = "https://grafana.example/d/checkout/checkout-latency?orgId=1&from=now-1h"
    async with make_harness() as h, gateway(h, config) as gw:
        refused_keys = []

        def attempt() -> bytes:
            refused_keys.append(unique("grafana-refused"))
            return json.dumps(grafana_payload(refused_keys[-1], dashboard)).encode()

        now = int(time.time())
        body = attempt()  # no signature at all
        assert_error(await post_json(gw, "/v1/alerts/grafana", body, {TIMESTAMP_HEADER: str(now)}), 401)
        body = attempt()  # signed with the wrong secret
        headers = {"X-Grafana-Alerting-Signature": grafana_signature("wrong", body, now), TIMESTAMP_HEADER: str(now)}
        assert_error(await post_json(gw, "/v1/alerts/grafana", body, headers), 403)
        body = attempt()  # the body alone signed, though a timestamp is configured
        headers = {"X-Grafana-Alerting-Signature": grafana_signature(secret, body), TIMESTAMP_HEADER: str(now)}
        assert_error(await post_json(gw, "/v1/alerts/grafana", body, headers), 403)
        body = attempt()  # correctly signed, but 10 minutes old: a replay
        stale = now - 600
        headers = {"X-Grafana-Alerting-Signature": grafana_signature(secret, body, stale), TIMESTAMP_HEADER: str(stale)}
        assert_error(await post_json(gw, "/v1/alerts/grafana", body, headers), 403)
        await assert_not_started(h, *(group_workflow_id("grafana", k) for k in refused_keys))

        key = unique("grafana")
        body = json.dumps(grafana_payload(key, dashboard)).encode()
        now = int(time.time())
        headers = {"X-Grafana-Alerting-Signature": grafana_signature(secret, body, now), TIMESTAMP_HEADER: str(now)}
        response = await post_json(gw, "/v1/alerts/grafana", body, headers)
        assert response.status_code == 200, response.text
        assert response.json()["group"] == group_workflow_id("grafana", key)
        [incident] = await incidents_of(h, 1)
        view = await h.view(incident)
        assert dashboard in view.state.alerts.links


# --- 2. PagerDuty Events v2 ----------------------------------------------------------------------


def pd_config() -> WarroomConfig:
    return WarroomConfig(
        ingest=Ingest(pagerduty=PagerDutyAuth(routing_keys={"payments": SecretRef(env=PAGERDUTY_ENV)}))
    )


def pd_trigger(routing_key: str, dedup_key: str | None, severity: str = "critical") -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "payload": {
            "summary": "Checkout 5xx rate above 5% on checkout-api",
            "source": "checkout-api-1.prod",
            "severity": severity,
            "timestamp": rfc3339(datetime.now(UTC) - timedelta(seconds=30)),
            "component": "checkout",
            "group": "prod-payments",
            "class": "http-5xx",
            "custom_details": {"error_rate": "7.2%", "region": "eu-central-1"},
        },
        "links": [{"href": "https://grafana.example/d/checkout", "text": "Checkout dashboard"}],
        "client": "Prometheus",
        "client_url": "http://prometheus:9090/alerts",
    }
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    return event


def pd_success(response: httpx.Response, dedup_key: str) -> None:
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


def pd_invalid(response: httpx.Response, status: int) -> list[str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "message", "errors"}
    assert body["status"] == "invalid event" and isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], list) and body["errors"]
    return body["errors"]


async def test_pagerduty_trigger_acknowledge_resolve_drive_one_sev1_payments_incident(make_harness, monkeypatch):
    routing_key = secrets.token_hex(16)
    assert len(routing_key) == 32
    monkeypatch.setenv(PAGERDUTY_ENV, routing_key)
    async with make_harness() as h, gateway(h, pd_config()) as gw:
        dedup = unique("checkout-5xx")
        pd_success(await gw.post("/v2/enqueue", json=pd_trigger(routing_key, dedup)), dedup)
        [incident] = await incidents_of(h, 1)
        view = await h.view(incident)
        assert view.state.service == "payments"
        assert view.state.severity == Severity.SEV1  # payments.yaml: critical -> SEV1
        assert view.state.title == "Checkout 5xx rate above 5% on checkout-api"
        assert "https://grafana.example/d/checkout" in view.state.alerts.links

        ack = {"routing_key": routing_key, "event_action": "acknowledge", "dedup_key": dedup}
        pd_success(await gw.post("/v2/enqueue", json=ack), dedup)
        view = await h.wait_view(incident, lambda v: v.state.acknowledged_by is not None)
        assert view.state.acknowledged_by == "system:pagerduty"

        resolve = {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup}
        pd_success(await gw.post("/v1/alerts/pagerduty", json=resolve), dedup)
        view = await h.wait_view(incident, lambda v: any(e.kind == "alerts" for e in v.state.timeline))
        news = [e for e in view.state.timeline if e.kind == "alerts"]
        assert len(news) == 1 and "resolved" in news[0].text and news[0].actor == "system:pagerduty"
        assert await incidents_of(h, 1) == [incident]


async def test_pagerduty_trigger_without_dedup_key_gets_one_that_later_events_can_use(make_harness, monkeypatch):
    routing_key = secrets.token_hex(16)
    monkeypatch.setenv(PAGERDUTY_ENV, routing_key)
    async with make_harness() as h, gateway(h, pd_config()) as gw:
        response = await gw.post("/v1/alerts/pagerduty", json=pd_trigger(routing_key, None))
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] == "success" and body["message"] == "Event processed"
        generated = body["dedup_key"]
        assert isinstance(generated, str) and generated
        [incident] = await incidents_of(h, 1)
        ack = {"routing_key": routing_key, "event_action": "acknowledge", "dedup_key": generated}
        pd_success(await gw.post("/v2/enqueue", json=ack), generated)
        view = await h.wait_view(incident, lambda v: v.state.acknowledged_by is not None)
        assert view.state.acknowledged_by == "system:pagerduty"


async def test_pagerduty_errors_answer_in_pagerdutys_format_and_start_nothing(make_harness, monkeypatch):
    routing_key = secrets.token_hex(16)
    monkeypatch.setenv(PAGERDUTY_ENV, routing_key)
    async with make_harness() as h, gateway(h, pd_config()) as gw:
        keys = [unique("pd-refused") for _ in range(5)]

        no_payload = {"routing_key": routing_key, "event_action": "trigger", "dedup_key": keys[0]}
        errors = pd_invalid(await gw.post("/v2/enqueue", json=no_payload), 400)
        assert any("payload" in e for e in errors), errors

        errors = pd_invalid(
            await gw.post("/v2/enqueue", json=pd_trigger(routing_key, keys[1], severity="sev-one")), 400
        )
        assert any(e.startswith("payload.severity") for e in errors), errors

        no_key = {"routing_key": routing_key, "event_action": "acknowledge"}
        errors = pd_invalid(await gw.post("/v2/enqueue", json=no_key), 400)
        assert any("dedup_key" in e for e in errors), errors

        stranger = secrets.token_hex(16)
        pd_invalid(await gw.post("/v2/enqueue", json=pd_trigger(stranger, keys[2])), 403)
        pd_invalid(await gw.post("/v1/alerts/pagerduty", json=pd_trigger(stranger, keys[3])), 403)

        bad_action = {**pd_trigger(routing_key, keys[4]), "event_action": "escalate"}
        errors = pd_invalid(await gw.post("/v2/enqueue", json=bad_action), 400)
        assert any(e.startswith("event_action") for e in errors), errors

        await assert_not_started(h, *(group_workflow_id("pagerduty", k) for k in keys))


# --- 3. Generic, Standard Webhooks ---------------------------------------------------------------


def whsec() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def standard_webhook_headers(
    secret: str, body: bytes, timestamp: int | None = None, message_id: str | None = None
) -> dict[str, str]:
    """Standard Webhooks: v1,<base64 HMAC-SHA256 over `id.timestamp.body` keyed by the secret's bytes>."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def generic_event(dedup_key: str, **extra: Any) -> dict[str, Any]:
    return {
        "dedup_key": dedup_key,
        "status": "firing",
        "summary": "Disk 95% full on db-1",
        "service": "payments",
        "severity": "SEV3",
        "labels": {"host": "db-1", "mount": "/var/lib/postgresql"},
        "links": ["https://grafana.example/d/disk"],
        "started_at": rfc3339(datetime.now(UTC) - timedelta(minutes=3)),
        **extra,
    }


async def test_generic_standard_webhooks_signature_opens_an_incident_and_refusals_start_nothing(
    make_harness, monkeypatch
):
    secret = whsec()
    monkeypatch.setenv(GENERIC_ENV, secret)
    config = WarroomConfig(ingest=Ingest(generic=StandardWebhooksAuth(secret=SecretRef(env=GENERIC_ENV))))
    async with make_harness() as h, gateway(h, config) as gw:
        refused = [unique("generic-refused") for _ in range(5)]
        path = "/v1/alerts/generic"

        body = json.dumps(generic_event(refused[0])).encode()
        assert_error(await post_json(gw, path, body), 401)  # no webhook-* headers
        headers = standard_webhook_headers(secret, body)
        del headers["webhook-signature"]
        assert_error(await post_json(gw, path, body, headers), 401)

        body = json.dumps(generic_event(refused[1])).encode()
        assert_error(await post_json(gw, path, body, standard_webhook_headers(whsec(), body)), 403)

        body = json.dumps(generic_event(refused[2])).encode()
        headers = standard_webhook_headers(secret, body)
        tampered = body.replace(b"Disk 95%", b"Disk 15%")
        assert_error(await post_json(gw, path, tampered, headers), 403)

        body = json.dumps(generic_event(refused[3])).encode()
        stale = standard_webhook_headers(secret, body, timestamp=int(time.time()) - 600)
        assert_error(await post_json(gw, path, body, stale), 403)

        body = json.dumps(generic_event(refused[4], priority="P1")).encode()
        errors = assert_error(await post_json(gw, path, body, standard_webhook_headers(secret, body)), 422)["errors"]
        assert any(e.startswith("priority") for e in errors), errors

        await assert_not_started(h, *(group_workflow_id("generic", k) for k in refused))

        key = unique("disk-full-db-1")
        body = json.dumps(generic_event(key)).encode()
        response = await post_json(gw, path, body, standard_webhook_headers(secret, body))
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "accepted", "group": group_workflow_id("generic", key), "alerts": 1}
        [incident] = await incidents_of(h, 1)
        view = await h.view(incident)
        assert view.state.service == "payments"
        assert view.state.severity == Severity.SEV3
        assert view.state.title == "Disk 95% full on db-1"
        assert "https://grafana.example/d/disk" in view.state.alerts.links


# --- 4. Alertmanager bearer and basic auth -------------------------------------------------------


async def test_alertmanager_bearer_and_basic_auth_refuse_missing_and_wrong_credentials(make_harness, monkeypatch):
    token, password = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
    monkeypatch.setenv(BEARER_ENV, token)
    monkeypatch.setenv(BASIC_ENV, password)
    bearer = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env=BEARER_ENV))))
    basic = WarroomConfig(
        ingest=Ingest(
            alertmanager=HeaderAuth(basic_auth=BasicAuth(username="alertmanager", password=SecretRef(env=BASIC_ENV)))
        )
    )

    def basic_header(user: str, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()

    path = "/v1/alerts/alertmanager"
    async with make_harness() as h:
        refused: list[str] = []

        async def post(gw: httpx.AsyncClient, authorization: str | None) -> httpx.Response:
            refused.append(am_group_key("auth"))
            return await gw.post(
                path, json=am_payload(refused[-1]), headers={"Authorization": authorization} if authorization else {}
            )

        async with gateway(h, bearer) as gw:
            assert_error(await post(gw, None), 401)
            assert_error(await post(gw, "Bearer " + token[:-1] + "x"), 403)
            assert_error(await post(gw, "Bearer "), 403)
            assert_error(await post(gw, basic_header("alertmanager", token)), 403)  # right secret, wrong scheme
        async with gateway(h, basic) as gw:
            assert_error(await post(gw, None), 401)
            assert_error(await post(gw, basic_header("alertmanager", "wrong")), 403)
            assert_error(await post(gw, basic_header("prometheus", password)), 403)
            assert_error(await post(gw, "Bearer " + password), 403)
        async with gateway(h, WarroomConfig()) as gw:
            body = assert_error(await post(gw, "Bearer " + token), 401)
            assert "configured" in body["error"] and "alertmanager" in body["error"], body
        await assert_not_started(h, *(group_workflow_id("alertmanager", k) for k in refused))

        accepted = []
        async with gateway(h, bearer) as gw:
            accepted.append(am_group_key("bearer"))
            response = await gw.post(path, json=am_payload(accepted[-1]), headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
        async with gateway(h, basic) as gw:
            accepted.append(am_group_key("basic"))
            response = await gw.post(
                path, json=am_payload(accepted[-1]), headers={"Authorization": basic_header("alertmanager", password)}
            )
            assert response.status_code == 200, response.text
        assert len(await incidents_of(h, 2)) == 2
        expected = {group_workflow_id("alertmanager", k) for k in accepted}
        for _ in range(100):  # visibility is eventually consistent
            groups = {w for w, kind in await on_queue(h) if kind == "AlertGroupWorkflow"}
            if groups == expected:
                break
            await asyncio.sleep(0.1)
        assert groups == expected  # the refused requests' groups never appear


# --- 5. Malformed bodies -------------------------------------------------------------------------


async def test_alertmanager_malformed_bodies_are_refused_with_their_status_and_start_nothing(make_harness, monkeypatch):
    token = secrets.token_urlsafe(24)
    monkeypatch.setenv(BEARER_ENV, token)
    config = WarroomConfig(
        ingest=Ingest(max_body_bytes=2048, alertmanager=HeaderAuth(bearer_token=SecretRef(env=BEARER_ENV)))
    )
    auth = {"Authorization": f"Bearer {token}"}
    path = "/v1/alerts/alertmanager"
    async with make_harness() as h, gateway(h, config) as gw:
        keys = [am_group_key("malformed") for _ in range(6)]

        response = await gw.post(
            path, content=b'{"version": "4", "groupKey": ', headers={**auth, "Content-Type": "application/json"}
        )
        assert_error(response, 400)

        body = json.dumps(am_payload(keys[0])).encode()
        response = await gw.post(path, content=body, headers={**auth, "Content-Type": "text/plain"})
        assert_error(response, 415)

        missing = am_payload(keys[1])
        del missing["groupKey"]
        errors = assert_error(await gw.post(path, json=missing, headers=auth), 422)["errors"]
        assert any(e.startswith("groupKey") for e in errors), errors

        wrong_type = am_payload(keys[2])
        wrong_type["alerts"][0]["labels"] = ["alertname=CheckoutErrorRate"]
        errors = assert_error(await gw.post(path, json=wrong_type, headers=auth), 422)["errors"]
        assert any(e.startswith("alerts.0.labels") for e in errors), errors

        empty = {**am_payload(keys[3]), "alerts": []}
        errors = assert_error(await gw.post(path, json=empty, headers=auth), 422)["errors"]
        assert any(e.startswith("alerts") for e in errors), errors

        big = am_payload(keys[4])
        big["alerts"][0]["annotations"]["description"] = "x" * 2048
        body = json.dumps(big).encode()
        assert len(body) > 2048
        response = await gw.post(path, content=body, headers={**auth, "Content-Type": "application/json"})
        assert_error(response, 413)

        # the same oversized body without a Content-Length (chunked): counted while read
        async def chunks():
            for start in range(0, len(body), 512):
                yield body[start:start + 512]

        response = await gw.post(path, content=chunks(), headers={**auth, "Content-Type": "application/json"})
        assert_error(response, 413)

        await assert_not_started(h, *(group_workflow_id("alertmanager", k) for k in keys))


# --- 6. Temporal unreachable ---------------------------------------------------------------------


async def test_temporal_unreachable_answers_503_with_retry_after(make_harness, monkeypatch, tmp_path):
    from warroom.gateway.app import create_app

    token = secrets.token_urlsafe(24)
    monkeypatch.setenv(BEARER_ENV, token)
    config = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env=BEARER_ENV))))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with make_harness() as h:
        settings = Settings(
            temporal_address=f"127.0.0.1:{port}", data_dir=tmp_path / "unreachable", task_queue=h.settings.task_queue
        )
        app = create_app(settings, client=None, policy=h.policy, config=config)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as gw:
            response = await asyncio.wait_for(
                gw.post(
                    "/v1/alerts/alertmanager",
                    json=am_payload(am_group_key("down")),
                    headers={"Authorization": f"Bearer {token}"},
                ),
                timeout=60,
            )
        assert_error(response, 503)
        assert response.headers.get("Retry-After", "").isdigit(), response.headers
        assert int(response.headers["Retry-After"]) > 0


# --- 7. One signal per group per request ---------------------------------------------------------


async def test_one_signal_per_group_per_request_and_a_resend_changes_nothing(make_harness, monkeypatch):
    token = secrets.token_urlsafe(24)
    monkeypatch.setenv(BEARER_ENV, token)
    config = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env=BEARER_ENV))))
    auth = {"Authorization": f"Bearer {token}"}
    payload = am_payload(am_group_key("three"), alerts=3)
    signaled = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    async with make_harness() as h, gateway(h, config) as gw:
        response = await gw.post("/v1/alerts/alertmanager", json=payload, headers=auth)
        assert response.status_code == 200, response.text
        assert response.json()["alerts"] == 3
        group = response.json()["group"]
        [incident] = await incidents_of(h, 1)
        handle = h.client.get_workflow_handle(group)
        history = await handle.fetch_history()
        assert [e.event_type for e in history.events].count(signaled) == 1
        view = await h.view(incident)
        assert view.state.alerts.firing == 3 and view.state.alerts.seen == 3
        alerts_before = [e for e in view.state.timeline if e.kind == "alerts"]

        response = await gw.post("/v1/alerts/alertmanager", json=payload, headers=auth)  # a re-send
        assert response.status_code == 200, response.text
        assert response.json()["group"] == group

        # wait until the group's workflow has taken the second signal and finished its task
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            events = (await handle.fetch_history()).events
            types = [e.event_type for e in events]
            second = [i for i, t in enumerate(types) if t == signaled][1:2]
            if second and EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED in types[second[0]:]:
                break
            assert asyncio.get_running_loop().time() < deadline, "the re-send was never processed"
            await asyncio.sleep(0.1)
        assert types.count(signaled) == 2  # one per request
        after = types[second[0]:]
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in after, "a re-send must not touch incidents"
        assert len((await handle.describe()).raw_description.pending_activities) == 0

        assert await incidents_of(h, 1) == [incident]
        view = await h.view(incident)
        assert [e for e in view.state.timeline if e.kind == "alerts"] == alerts_before
        assert view.state.alerts.firing == 3 and view.state.alerts.seen == 3
