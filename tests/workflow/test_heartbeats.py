"""Heartbeat monitors (a dead-man's switch) on the session's real dev server, through the real
gateway in-process: beats keep a monitor quiet, silence opens one incident through its alert
group, a resumed beat resolves the alert; the route's refusals start nothing. The monitors run at
minutes as seconds (2 s interval + 1 s grace), as the policy does."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from tests.workflow.harness import Harness, gateway, incidents_of, keys
from warroom.alerts import heartbeat
from warroom.config_file import HeaderAuth, Heartbeat, Ingest, SecretRef, StandardWebhooksAuth, WarroomConfig
from warroom.temporal import heartbeats as door
from workflows.alert_group import AlertGroupWorkflow

BEARER_ENV = "WARROOM_TEST_HEARTBEAT_TOKEN"
WEBHOOK_ENV = "WARROOM_TEST_HEARTBEAT_WHSEC"


def monitor(name: str) -> Heartbeat:
    """2 min + 1 min in warroom.yaml, as seconds (a config built in code skips the file's bounds)."""
    return Heartbeat(name=name, interval="2s", grace="1s", service="payments", severity="SEV2")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def config(*monitors: Heartbeat) -> WarroomConfig:
    return WarroomConfig(
        ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env=BEARER_ENV)),
                      generic=StandardWebhooksAuth(secret=SecretRef(env=WEBHOOK_ENV))),
        heartbeats=monitors,
    )


def watchdog(status: str = "firing") -> dict[str, Any]:
    """What Alertmanager POSTs for its always-firing Watchdog (webhook payload version 4)."""
    alert = {"status": status, "labels": {"alertname": "Watchdog", "severity": "none"},
             "annotations": {"summary": "An alert that should always be firing"},
             "startsAt": "2026-11-28T02:14:00Z", "endsAt": "0001-01-01T00:00:00Z",
             "generatorURL": "http://prometheus:9090/graph", "fingerprint": "e3b0c44298fc1c14"}
    return {"version": "4", "groupKey": '{}/{}:{alertname="Watchdog"}', "truncatedAlerts": 0, "status": status,
            "receiver": "heartbeat", "groupLabels": {"alertname": "Watchdog"},
            "commonLabels": alert["labels"], "commonAnnotations": alert["annotations"],
            "externalURL": "http://alertmanager:9093", "alerts": [alert]}


def signed(secret: str, body: bytes) -> dict[str, str]:
    """Standard Webhooks, built from the documented algorithm, not warroom's own code."""
    message_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": message_id, "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(digest).decode(), "Content-Type": "application/json"}


async def absent(h: Harness, workflow_id: str) -> None:
    with pytest.raises(RPCError) as refused:
        await h.client.get_workflow_handle(workflow_id).describe()
    assert refused.value.status == RPCStatusCode.NOT_FOUND, workflow_id


async def group_alert_status(h: Harness, name: str, want: str, timeout: float = 30) -> str:
    """The monitor's alert as its alert group records it, once it reads `want` (a liveness bound)."""
    deadline = asyncio.get_running_loop().time() + timeout
    group = h.client.get_workflow_handle(heartbeat.group_id(name))
    while True:
        state = await group.query(AlertGroupWorkflow.state)
        status = state.alerts[heartbeat.dedup_key(name)].status
        if status == want or asyncio.get_running_loop().time() > deadline:
            return status
        await asyncio.sleep(0.1)


@pytest.fixture
def credentials(monkeypatch) -> tuple[str, str]:
    token, whsec = secrets.token_urlsafe(24), "whsec_" + base64.b64encode(os.urandom(24)).decode()
    monkeypatch.setenv(BEARER_ENV, token)
    monkeypatch.setenv(WEBHOOK_ENV, whsec)
    return token, whsec


async def test_beats_keep_it_quiet_silence_opens_one_incident_through_the_group_a_beat_resolves_it(
    make_harness, credentials
):
    token, _ = credentials
    name = unique("prometheus")
    async with make_harness() as h, gateway(h, config(monitor(name))) as gw:
        async def beat() -> None:
            response = await gw.post(f"/v1/heartbeat/{name}", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
            assert response.json() == {"status": "accepted", "heartbeat": name, "workflow": f"heartbeat-{name}"}

        loop = asyncio.get_running_loop()
        quiet_until = loop.time() + 6  # twice the silence that would alert
        sent = 0
        while loop.time() < quiet_until:
            await beat()
            sent += 1
            await asyncio.sleep(0.25)
        status = await door.status(h.client, name)
        assert status.beats == sent and not status.firing
        await absent(h, heartbeat.group_id(name))  # no alert ever left the monitor
        assert await incidents_of(h, 0) == []

        [incident] = await incidents_of(h, 1)  # the beats stopped
        view = await h.view(incident)
        assert view.state.alerts is not None and view.state.alerts.group_id == heartbeat.group_id(name)
        assert view.state.declared_by == "system:generic"
        assert view.state.title == f"no heartbeat from {name} for 3s"
        assert (view.state.service, view.state.severity) == ("payments", "SEV2")
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "page:SEV2" for r in rows))
        assert ("page:SEV2", "bob") in keys(rows)  # the pinned on-call, paged through the outbox
        assert (await door.status(h.client, name)).firing

        await beat()  # the monitoring is back
        assert await group_alert_status(h, name, "resolved") == "resolved"
        view = await h.wait_view(incident, lambda v: any(e.kind == "alerts" for e in v.state.timeline))
        [news] = [e.text for e in view.state.timeline if e.kind == "alerts"]
        assert "resolved" in news and name in news
        assert not (await door.status(h.client, name)).firing
        assert await incidents_of(h, 1) == [incident]


async def test_the_route_takes_an_alert_sources_credentials_any_small_json_or_none_and_refuses_the_rest(
    make_harness, credentials
):
    token, whsec = credentials
    name = unique("watchdog")
    path, bearer = f"/v1/heartbeat/{name}", {"Authorization": f"Bearer {token}"}
    am = json.dumps(watchdog()).encode()
    async with make_harness() as h, gateway(h, config(monitor(name))) as gw:
        refusals = [
            (await gw.post(path, content=am, headers={"Content-Type": "application/json"}), 401),
            (await gw.post(path, content=am, headers={"Content-Type": "application/json",
                                                      "Authorization": "Bearer not-the-token"}), 403),
            (await gw.post(path, content=am, headers={**signed(whsec, b"{}")}), 403),  # signed another body
            (await gw.post(path, content=b"x" * 70_000, headers={**bearer, "Content-Type": "application/json"}), 413),
            (await gw.post(path, content=b"beat", headers={**bearer, "Content-Type": "text/plain"}), 415),
            (await gw.post(path, content=b"{beat", headers={**bearer, "Content-Type": "application/json"}), 400),
            (await gw.post(path, content=b"[" * 100 + b"]" * 100,
                           headers={**bearer, "Content-Type": "application/json"}), 400),
        ]
        for response, status in refusals:
            assert response.status_code == status, (status, response.text)
            assert response.json()["error"] and token not in response.text
        unknown = await gw.post("/v1/heartbeat/nobody-configured-me", headers=bearer)
        assert unknown.status_code == 404 and "'nobody-configured-me'" in unknown.json()["error"]
        ignored = await gw.post(path, json=watchdog("resolved"), headers=bearer)  # the Watchdog stopped: no beat
        assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
        await absent(h, f"heartbeat-{name}")
        await absent(h, "heartbeat-nobody-configured-me")

        accepted = [
            await gw.post(path, content=am, headers={**bearer, "Content-Type": "application/json"}),  # Watchdog
            await gw.post(path, headers=bearer),  # empty, no content type (curl -X POST)
            await gw.post(path, json={"from": "cron"}, headers=bearer),
            await gw.post(path, content=b'{"beat": 1}', headers=signed(whsec, b'{"beat": 1}')),  # Standard Webhooks
        ]
        assert [r.status_code for r in accepted] == [200] * 4, [r.text for r in accepted]
        assert (await door.status(h.client, name)).beats == 4


async def test_a_monitor_continues_as_new_keeping_its_count_and_still_alerts_from_a_later_run(make_harness):
    name = unique("cron")
    beaten = monitor(name)
    async with make_harness() as h:
        handle = h.client.get_workflow_handle(f"heartbeat-{name}")
        await door.beat(h.client, beaten, h.policy, h.settings.task_queue, beats_per_run=2)
        first_run = (await handle.describe()).run_id
        for _ in range(4):  # every 2 beats a new run
            await asyncio.sleep(0.2)
            await door.beat(h.client, beaten, h.policy, h.settings.task_queue, beats_per_run=2)
        assert (await door.status(h.client, name)).beats == 5
        first = await h.client.get_workflow_handle(f"heartbeat-{name}", run_id=first_run).describe()
        assert first.status == WorkflowExecutionStatus.CONTINUED_AS_NEW
        [incident] = await incidents_of(h, 1)  # silence after the last run took over
        assert (await h.view(incident)).state.alerts.group_id == heartbeat.group_id(name)
        current = await handle.describe()
        assert current.status == WorkflowExecutionStatus.RUNNING and current.run_id != first_run
        history = await handle.fetch_history()
        assert len(history.events) < 60  # this run's history only: a year of beats stays this small
