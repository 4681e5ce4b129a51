"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) sends its real webhooks to the
gateway: one incident for the group, its repeats change nothing, its resolution is folded in."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.e2e.test_up import free_port
from tests.workflow.harness import Harness, incidents_of, keys, new_settings, scaled
from warroom.commands import AssignRole
from warroom.config_file import HeaderAuth, Ingest, SecretRef, WarroomConfig
from warroom.gateway.app import create_app
from workers.main import build_worker
from workers.up import EmbeddedServer

pytestmark = pytest.mark.e2e

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


class Counting:
    """ASGI wrapper counting the webhook requests Alertmanager makes."""

    def __init__(self, app):
        self.app, self.requests = app, Counter()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.requests[scope["path"]] += 1
        await self.app(scope, receive, send)


def start_alertmanager(tmp_path: Path, config: str, port: int) -> subprocess.Popen:
    """Debian's Alertmanager on `port` under `config`, its data and log in tmp_path, no cluster."""
    (tmp_path / "alertmanager.yml").write_text(config)
    return subprocess.Popen(
        [ALERTMANAGER, f"--config.file={tmp_path / 'alertmanager.yml'}", f"--storage.path={tmp_path / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "alertmanager.log", "wb"),
    )


def alertmanager_config(gateway_port: int) -> str:
    return f"""
route:
  receiver: warroom
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: warroom
    webhook_configs:
      - url: http://127.0.0.1:{gateway_port}/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: am-e2e-token
"""


async def test_real_alertmanager_opens_one_incident_repeats_change_nothing_resolution_folds_in(
    temporal_env, tmp_path: Path, monkeypatch
):
    assert ALERTMANAGER, (
        "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager; .ci/run does)"
    )
    monkeypatch.setenv("E2E_AM_TOKEN", "am-e2e-token")
    h = Harness(client=temporal_env.client, settings=new_settings(tmp_path, temporal_env.client), policy=scaled(1))
    config = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env="E2E_AM_TOKEN"))))
    app = Counting(create_app(h.settings, h.client, h.policy, config))
    gateway_port, am_port = free_port(), free_port()
    server = EmbeddedServer(
        uvicorn.Config(app, host="127.0.0.1", port=gateway_port, log_level="warning", lifespan="off")
    )
    am = f"http://127.0.0.1:{am_port}"
    async with build_worker(h.client, h.settings):
        serving = asyncio.create_task(server.serve())
        process = start_alertmanager(tmp_path, alertmanager_config(gateway_port), am_port)
        try:
            async with httpx.AsyncClient(base_url=am, timeout=10) as http:
                for _ in range(100):
                    try:
                        if (await http.get("/-/ready")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                labels = {
                    "alertname": "CheckoutErrors", "service": "payments", "severity": "critical", "instance": "api-1"
                }
                started = datetime.now(UTC)
                alert = {"labels": labels, "annotations": {"summary": "Checkout error rate above 5%"},
                         "startsAt": started.isoformat(), "generatorURL": "http://prometheus.example/graph"}
                assert (await http.post("/api/v2/alerts", json=[alert])).status_code == 200

                [incident] = await incidents_of(h)
                view = await h.wait_view(incident, lambda v: "page:SEV1" in v.state.done)
                assert view.state.title == "Checkout error rate above 5%" and view.state.severity == "SEV1"
                await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))

                for _ in range(200):  # Alertmanager repeats the group every repeat_interval
                    if app.requests["/v1/alerts/alertmanager"] >= 3:
                        break
                    await asyncio.sleep(0.1)
                assert app.requests["/v1/alerts/alertmanager"] >= 3
                assert await incidents_of(h) == [incident]
                assert [e for e in (await h.view(incident)).state.timeline if e.kind == "alerts"] == []

                ended = {**alert, "endsAt": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}
                assert (await http.post("/api/v2/alerts", json=[ended])).status_code == 200
                rows = await h.wait_rows(
                    incident, lambda rows: any(r.action_key.startswith("alerts:all-resolved") for r in rows)
                )
                assert ("alerts:all-resolved:1", "bob") in keys(rows)
                folded = [e.text for e in (await h.view(incident)).state.timeline if e.kind == "alerts"]
                assert folded and "resolved: CheckoutErrors" in folded[0] and "0 firing of 1" in folded[0]
                assert await incidents_of(h) == [incident]
        finally:
            process.terminate()
            process.wait(timeout=10)
            server.should_exit = True
            await serving
