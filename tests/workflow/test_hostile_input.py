"""Hostile input at the edge (issue 15, item 1): the classes that once answered 500 or poisoned a
workflow now get a 4xx naming what is wrong, and start nothing. The real gateway in-process over
the session's dev server; bodies are the real formats with one thing made hostile."""

from __future__ import annotations

import json
import secrets
import time

import pytest

from tests.workflow.harness import gateway
from tests.workflow.test_alert_contracts import (
    GRAFANA_ENV,
    TIMESTAMP_HEADER,
    am_payload,
    assert_not_started,
    grafana_payload,
    grafana_signature,
    post_json,
    unique,
)
from tests.workflow.test_rest_api import token
from warroom.alerts.events import group_workflow_id
from warroom.config_file import GrafanaAuth, Ingest, SecretRef, WarroomConfig

DEEP = b"[" * 5000 + b"]" * 5000
HUGE_NUMBER = b'{"alerts": [' + b"9" * 5000 + b"]}"


def _hostile_alertmanager(key: str) -> list[tuple[str, bytes]]:
    payload = am_payload(key)
    year_one = json.loads(json.dumps(payload))
    year_one["alerts"][0]["startsAt"] = "0001-01-01T00:00:00+14:00"
    far = json.loads(json.dumps(payload))
    far["alerts"][0]["startsAt"] = "9999-12-31T23:59:59Z"
    surrogate = json.dumps(payload).replace('"warroom"', '"\\ud800"', 1).encode()
    return [("deep", DEEP), ("huge number", HUGE_NUMBER), ("startsAt year 1", json.dumps(year_one).encode()),
            ("startsAt year 9999", json.dumps(far).encode()), ("lone surrogate", surrogate)]


async def test_hostile_alert_bodies_get_a_4xx_naming_the_problem_and_open_nothing(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as gw:
        for name, body in _hostile_alertmanager(key := unique("hostile")):
            answer = await post_json(gw, "/v1/alerts/alertmanager", body)
            assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text)
            assert answer.json()["error"], name
        for path in ("/v1/alerts/generic", "/v1/alerts/pagerduty", "/v2/enqueue"):
            for body in (DEEP, HUGE_NUMBER):
                answer = await post_json(gw, path, body)
                assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text)
        await assert_not_started(h, group_workflow_id("alertmanager", am_payload(key)["groupKey"]))


async def test_a_timestamp_header_of_hundreds_of_digits_is_refused_before_any_signature_work(
        make_harness, monkeypatch):
    secret = secrets.token_hex(16)
    monkeypatch.setenv(GRAFANA_ENV, secret)
    config = WarroomConfig(
        ingest=Ingest(grafana=GrafanaAuth(hmac_secret=SecretRef(env=GRAFANA_ENV), timestamp_header=TIMESTAMP_HEADER)))
    async with make_harness() as h, gateway(h, config) as gw:
        key = unique("grafana-stamp")
        body = json.dumps(grafana_payload(key, "https://grafana.example/d/x")).encode()
        for stamp in ("9" * 400, "-5", "12a3", str(int(time.time())) + "0" * 20):
            signed = grafana_signature(secret, body, None).lower()
            answer = await post_json(gw, "/v1/alerts/grafana", body,
                                     {TIMESTAMP_HEADER: stamp, "X-Grafana-Alerting-Signature": signed})
            assert answer.status_code == 403 and "timestamp" in answer.json()["error"], (stamp, answer.text)
        await assert_not_started(h, group_workflow_id("grafana", key))


@pytest.mark.parametrize("body", [DEEP, HUGE_NUMBER, b'{"text": "\\ud800 lone"}'])
async def test_hostile_rest_bodies_get_a_400_and_write_nothing(make_harness, body):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV2", actor="dana")
        answer = await api.post(f"/v1/incidents/{incident}/note", headers={
            **token(h, "bob"), "Content-Type": "application/json"}, content=body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["errors"][0]["field"] == "body"
        state = (await h.view(incident)).state
        assert [e.kind for e in state.timeline if e.actor not in ("warroom",)] == ["declared"]


async def test_action_item_due_dates_outside_the_sane_window_are_refused_naming_the_field(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV4", actor="dana")
        for due in ("0001-01-01", "9999-12-31"):
            answer = await api.post(f"/v1/incidents/{incident}/action-items", headers=token(h, "carol"),
                                    json={"title": "Spell-check receipts", "owner": "bob", "due": due})
            assert answer.status_code == 422, answer.text
            assert answer.json()["errors"][0]["field"] == "due" and "between" in answer.json()["errors"][0]["message"]
        listed = await api.get("/v1/action-items", headers=token(h, "carol"), params={"incident": incident})
        assert listed.status_code == 200 and listed.json() == []


async def test_out_of_range_query_parameters_get_a_422_naming_them(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        answer = await api.get("/v1/outbox", params={"since_id": str(2**63)})
        assert answer.status_code == 422 and "since_id" in answer.text, answer.text
        answer = await api.get("/v1/report", headers=token(h, "bob"), params={"since": "1000000d"})
        assert answer.status_code == 422 and "since" in answer.text, answer.text
