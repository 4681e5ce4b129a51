"""What an operator scrapes, end to end on the real dev server: a worker run as `warroom worker`
runs it (its /metrics on WARROOM_METRICS_PORT, the Temporal SDK's on its own port) and the real
gateway app; an incident declared over REST and an alert sent, then both /metrics read as
Prometheus reads them (prometheus_client's own parser) for the series a user would look for."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.workflow.harness import Harness, gateway, new_settings, scaled
from warroom.config_file import HeaderAuth, Ingest, SecretRef, WarroomConfig
from warroom.temporal.connection import connect
from warroom.tokens import TokenStore, tokens_file
from workers.main import run_worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def samples(text: str) -> list[Sample]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(found: list[Sample], name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there is none)."""
    return sum(s.value for s in found if s.name == name and labels.items() <= s.labels.items())


async def scrape_until(read: Callable[[], object], holds: Callable[[list[Sample]], bool],
                       timeout: float = 30) -> tuple[str, list[Sample]]:
    """Scrape until `holds`: a liveness bound (a count lands just after the outbox row it follows,
    visibility indexes a little after a start), not a timing goal."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        text = await read()  # type: ignore[misc]
        found = samples(text)
        if holds(found) or asyncio.get_running_loop().time() > deadline:
            return text, found
        await asyncio.sleep(0.2)


async def test_both_metrics_endpoints_show_requests_deliveries_lateness_and_open_incidents(
        temporal_env, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("METRICS_AM_TOKEN", "am-secret")
    settings = new_settings(tmp_path, temporal_env.client).model_copy(update={
        "metrics_port": free_port(), "temporal_metrics_port": free_port(), "metrics_host": "127.0.0.1"})
    client = await connect(settings)  # the one connect path: it carries the SDK's metrics runtime
    h = Harness(client=client, settings=settings, policy=scaled())
    config = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env="METRICS_AM_TOKEN"))))
    bearer = TokenStore(tokens_file(settings, WarroomConfig())).create("heidi", "test")
    title = f"Checkout failing {uuid.uuid4().hex[:8]}"
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop, client))
    try:
        async with gateway(h, config) as api, httpx.AsyncClient() as scraper:
            declared = await api.post("/v1/incidents", headers={"Authorization": f"Bearer {bearer}"},
                                      json={"severity": "SEV1", "service": "payments", "title": title})
            assert declared.status_code == 200, declared.text
            incident = declared.json()["incident_id"]
            shown = await api.get(f"/v1/incidents/{incident}", headers={"Authorization": "Bearer wrong"})
            assert shown.status_code == 401
            alert = {
                "version": "4", "groupKey": f'{{}}:{{alertname="Metrics{incident}"}}', "status": "firing",
                "alerts": [{"status": "firing", "annotations": {}, "startsAt": datetime.now(UTC).isoformat(),
                            "labels": {"alertname": f"Metrics{incident}", "service": "payments", "severity": "high"},
                            "fingerprint": f"metrics-{incident}"}],
            }
            sent = await api.post("/v1/alerts/alertmanager", json=alert, headers={"Authorization": "Bearer am-secret"})
            assert sent.status_code == 200, sent.text
            await h.wait_rows(incident, lambda rows: any(r.action_key == "page:SEV1" for r in rows))

            async def from_worker() -> str:
                return (await scraper.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")).text

            async def from_gateway() -> str:
                answer = await api.get("/metrics")  # no token: unauthenticated, like /healthz
                assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
                return answer.text

            worker_text, at_worker = await scrape_until(from_worker, lambda found: value(
                found, "warroom_delivery_lateness_seconds_count", channel="pager") > 0)
            assert value(at_worker, "warroom_deliveries_total", channel="pager", outcome="sent") >= 1
            assert value(at_worker, "warroom_delivery_lateness_seconds_count", channel="pager") > 0

            gateway_text, at_gateway = await scrape_until(from_gateway, lambda found: value(
                found, "warroom_open_incidents", severity="SEV1") >= 1)
            assert value(at_gateway, "warroom_open_incidents", severity="SEV1") >= 1
            assert value(at_gateway, "warroom_http_requests_total", method="POST", route="/v1/incidents",
                         status="200") >= 1
            assert value(at_gateway, "warroom_http_requests_total", method="GET", route="/v1/incidents/{incident}",
                         status="401") >= 1
            assert value(at_gateway, "warroom_http_request_duration_seconds_count", route="/v1/incidents") >= 1
            assert value(at_gateway, "warroom_alert_ingest_seconds_count", source="alertmanager") >= 1

            sdk_text = (await scraper.get(f"http://127.0.0.1:{settings.temporal_metrics_port}/metrics")).text
            sdk = {s.name for s in samples(sdk_text)}
            assert "temporal_request_total" in sdk, sorted(sdk)[:20]  # the client's RPCs, from the SDK's core

            for text in (worker_text, gateway_text):
                assert title not in text and incident not in text and bearer not in text and "am-secret" not in text
    finally:
        stop.set()
        await worker
