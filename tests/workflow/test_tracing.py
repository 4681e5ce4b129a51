"""One OpenTelemetry trace from the alert's HTTP request, through signal-with-start, into the
alert group, the incident it opens, and the page that goes out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.workflow.harness import Harness, incidents_of, new_settings, scaled
from warroom.config_file import HeaderAuth, Ingest, SecretRef, WarroomConfig
from warroom.gateway.app import create_app
from warroom.temporal.connection import connect
from workers.main import build_worker


async def test_one_trace_from_the_http_request_to_the_page_activity(temporal_env, tmp_path: Path, monkeypatch):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    monkeypatch.setenv("TRACE_AM_TOKEN", "t")

    settings = new_settings(tmp_path, temporal_env.client)
    client = await connect(settings)  # the product's own client: pydantic payloads and the tracing interceptor
    h = Harness(client=client, settings=settings, policy=scaled(1))
    config = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env="TRACE_AM_TOKEN"))))
    app = create_app(settings, client, h.policy, config)
    payload = {
        "version": "4", "groupKey": '{}:{alertname="Traced"}', "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "Traced", "service": "payments", "severity": "high"},
                    "annotations": {}, "startsAt": datetime.now(UTC).isoformat(), "fingerprint": "traced-1"}],
    }
    async with build_worker(client, settings):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            response = await http.post("/v1/alerts/alertmanager", json=payload, headers={"Authorization": "Bearer t"})
            assert response.status_code == 200
        [incident] = await incidents_of(h)
        await h.wait_rows(incident, lambda rows: any(r.action_key == "page:SEV2" for r in rows))
        for _ in range(50):  # the activity's span ends just after its outbox row is written
            if any(s.name == "RunActivity:page" for s in exporter.get_finished_spans()):
                break
            await asyncio.sleep(0.1)

    spans = exporter.get_finished_spans()
    [request] = [s for s in spans if s.name == "POST /v1/alerts/alertmanager"]
    in_trace = {s.name for s in spans if s.context.trace_id == request.context.trace_id}
    assert {
        "SignalWithStartWorkflow:AlertGroupWorkflow",
        "RunWorkflow:AlertGroupWorkflow",
        "StartActivity:open_incident",
        "RunActivity:open_incident",
        "StartWorkflow:IncidentWorkflow",
        "RunWorkflow:IncidentWorkflow",
        "StartActivity:page",
        "RunActivity:page",
    } <= in_trace, sorted(in_trace)
