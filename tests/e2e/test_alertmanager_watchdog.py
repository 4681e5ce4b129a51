"""The dead-man's switch end to end: a real Prometheus Alertmanager (Debian's) notifies its
always-firing Watchdog to `/v1/heartbeat/<name>` on every repeat; while it does, the monitor is
quiet; once Alertmanager is stopped, the monitor opens an incident through its alert group.

Alertmanager repeats a notification at its group_interval ticks once repeat_interval has passed
(1 s and 1 s here: about every 2 s), so the monitor runs at 4 s + 2 s; the whole test is bounded
by ~30 s of liveness waits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from temporalio.service import RPCError, RPCStatusCode

from tests.e2e.test_alertmanager import ALERTMANAGER, Counting, start_alertmanager
from tests.e2e.test_up import free_port
from tests.workflow.harness import Harness, incidents_of, new_settings, scaled
from warroom.alerts import heartbeat
from warroom.config_file import HeaderAuth, Heartbeat, Ingest, SecretRef, WarroomConfig
from warroom.gateway.app import create_app
from warroom.temporal import heartbeats
from workers.main import build_worker
from workers.up import EmbeddedServer

pytestmark = pytest.mark.e2e

TOKEN = "am-watchdog-e2e-token"  # a test's own credential, never a real one


def alertmanager_config(gateway_port: int, name: str) -> str:
    """The README's dead-man's-switch route, with test-speed intervals."""
    return f"""
route:
  receiver: default
  routes:
    - matchers: ['alertname = "Watchdog"']
      receiver: heartbeat
      group_wait: 0s
      group_interval: 1s
      repeat_interval: 1s
receivers:
  - name: default
  - name: heartbeat
    webhook_configs:
      - url: http://127.0.0.1:{gateway_port}/v1/heartbeat/{name}
        send_resolved: false
        http_config:
          authorization:
            type: Bearer
            credentials: {TOKEN}
"""


async def until(check, timeout: float = 30, what: str = "the condition") -> None:
    """Poll `check()` until it holds: a liveness bound, not a timing goal."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} never held")
        await asyncio.sleep(0.1)


async def test_alertmanagers_watchdog_keeps_the_monitor_quiet_and_its_death_opens_an_incident(
    temporal_env, tmp_path: Path, monkeypatch
):
    assert ALERTMANAGER, "prometheus-alertmanager is not installed (make alertmanager)"
    monkeypatch.setenv("E2E_WATCHDOG_TOKEN", TOKEN)
    name = f"alertmanager-{uuid.uuid4().hex[:8]}"
    monitor = Heartbeat(name=name, interval="4s", grace="2s", service="payments", severity="SEV2")
    h = Harness(client=temporal_env.client, settings=new_settings(tmp_path, temporal_env.client), policy=scaled())
    config = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env="E2E_WATCHDOG_TOKEN"))),
                           heartbeats=(monitor,))
    app = Counting(create_app(h.settings, h.client, h.policy, config))
    gateway_port, am_port = free_port(), free_port()
    server = EmbeddedServer(
        uvicorn.Config(app, host="127.0.0.1", port=gateway_port, log_level="warning", lifespan="off")
    )
    beats = lambda: app.requests[f"/v1/heartbeat/{name}"]  # noqa: E731
    async with build_worker(h.client, h.settings):
        serving = asyncio.create_task(server.serve())
        process = start_alertmanager(tmp_path, alertmanager_config(gateway_port, name), am_port)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{am_port}", timeout=10) as http:
                async def ready() -> bool:
                    try:
                        return (await http.get("/-/ready")).status_code == 200
                    except httpx.HTTPError:
                        return False

                await until(ready, what="Alertmanager ready")
                now = datetime.now(UTC)
                watchdog = {"labels": {"alertname": "Watchdog", "severity": "none"},
                            "annotations": {"summary": "An alert that should always be firing"},
                            "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=1)).isoformat()}
                assert (await http.post("/api/v2/alerts", json=[watchdog])).status_code == 200

                async def beaten_past_two_silences() -> bool:  # about 2 s apart: two 6-s silences pass
                    return beats() >= 6

                await until(beaten_past_two_silences, timeout=40, what="six Watchdog notifications")
                status = await heartbeats.status(h.client, name)
                assert status.beats >= 6 and not status.firing  # every notification was a beat, none missed
                with pytest.raises(RPCError) as absent:  # no alert ever left the monitor
                    await h.client.get_workflow_handle(heartbeat.group_id(name)).describe()
                assert absent.value.status == RPCStatusCode.NOT_FOUND
            process.terminate()  # the monitoring dies
            process.wait(timeout=10)
            stopped_at = beats()

            [incident] = await incidents_of(h, 1)
            view = await h.view(incident)
            assert view.state.alerts is not None and view.state.alerts.group_id == heartbeat.group_id(name)
            assert view.state.title == f"no heartbeat from {name} for 6s"
            assert view.state.severity == "SEV2" and view.state.service == "payments"
            assert (await heartbeats.status(h.client, name)).firing
            assert beats() == stopped_at
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
            server.should_exit = True
            await serving
