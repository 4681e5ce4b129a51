"""A mutation fuzzer over the inbound routes (issue 15, item 8): each route's real body (the
documented formats, as tests/workflow/test_alert_contracts.py builds them) with one value replaced
by something hostile, posted to the real gateway over the real dev server. No answer may be a 5xx
while Temporal is up, and a refused alert must start nothing. Deterministic: the seed is fixed
(WARROOM_FUZZ_SEED picks another, WARROOM_FUZZ_CASES the count per route)."""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from tests.workflow.harness import gateway
from tests.workflow.test_alert_contracts import (
    GENERIC_ENV,
    PAGERDUTY_ENV,
    am_payload,
    generic_event,
    pd_trigger,
    standard_webhook_headers,
    unique,
    whsec,
)
from tests.workflow.test_rest_api import token
from warroom.alerts.events import group_workflow_id
from warroom.config_file import Ingest, PagerDutyAuth, SecretRef, StandardWebhooksAuth, WarroomConfig

SEED = int(os.environ.get("WARROOM_FUZZ_SEED", "15"))
CASES = int(os.environ.get("WARROOM_FUZZ_CASES", "40"))
HOSTILE: list[Any] = [
    None, "", " ", [], {}, 0, -1, 2**70, 1e308, True, "\ud800", "\x00", "x" * 100_000, "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00", "not a time", "SEV9", "firing", {"a": {"b": {"c": []}}}, [[[[[[[[[[[]]]]]]]]]]],
    "https://", "javascript:alert(1)", "ünïcödé 🚨", -2**63, 2**63, "1000000d", "99999999999999999999h",
]


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def mutated(body: dict[str, Any], rng: random.Random, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    where = rng.choice([p for p in paths(copy) if p[0] not in keep])
    target = copy
    for step in where[:-1]:
        target = target[step]
    if rng.random() < 0.15 and isinstance(target, dict):
        del target[where[-1]]
    else:
        target[where[-1]] = rng.choice(HOSTILE)
    return copy


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()  # lone surrogates travel as \ud800 escapes


async def test_mutated_real_bodies_never_get_a_5xx_and_refused_alerts_start_nothing(make_harness, monkeypatch):
    rng = random.Random(SEED)
    secret, routing_key = whsec(), "R0" + unique("pd").replace("-", "")[:30]
    monkeypatch.setenv(GENERIC_ENV, secret)
    monkeypatch.setenv(PAGERDUTY_ENV, routing_key)
    pagerduty = PagerDutyAuth(routing_keys={"payments": SecretRef(env=PAGERDUTY_ENV)})
    config = WarroomConfig(ingest=Ingest(generic=StandardWebhooksAuth(secret=SecretRef(env=GENERIC_ENV)),
                                         pagerduty=pagerduty))
    as_json = {"Content-Type": "application/json"}
    answers: dict[int, int] = {}
    refused_groups = []
    async with make_harness() as h, gateway(h, config) as gw:
        incident = await h.declare("SEV2", actor="dana")
        bob = token(h, "bob")
        for _ in range(CASES):
            key = unique("fuzz-am")
            body = encoded(mutated(am_payload(key), rng, ("groupKey",)))
            answer = await gw.post("/v1/alerts/alertmanager", content=body, headers=as_json)
            answers[answer.status_code] = answers.get(answer.status_code, 0) + 1
            assert answer.status_code < 500, answer.text
            if answer.status_code >= 400:
                refused_groups.append(group_workflow_id("alertmanager", key))

            body = encoded(mutated(generic_event(unique("fuzz-gen")), rng))
            answer = await gw.post("/v1/alerts/generic", content=body, headers={
                "Content-Type": "application/json", **standard_webhook_headers(secret, body)})
            assert answer.status_code < 500, answer.text

            body = encoded(mutated(pd_trigger(routing_key, unique("fuzz-pd")), rng, ("routing_key",)))
            answer = await gw.post("/v2/enqueue", content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code < 500, answer.text

            update = {"impact": "refunds slow", "theory": "queue backlog", "next_steps": "scale out", "next": "30m"}
            answer = await gw.post(f"/v1/incidents/{incident}/update", headers={**bob, **as_json},
                                   content=encoded(mutated(update, rng)))
            assert answer.status_code < 500, answer.text
            declare = {"title": "Checkout failing", "severity": "SEV3", "service": "payments"}
            answer = await gw.post("/v1/incidents", headers={**bob, **as_json}, content=encoded(mutated(declare, rng)))
            assert answer.status_code < 500, answer.text
        for group in refused_groups:  # by id, strongly consistent
            with pytest.raises(RPCError) as missing:
                await h.client.get_workflow_handle(group).describe()
            assert missing.value.status == RPCStatusCode.NOT_FOUND, group
    assert any(status >= 400 for status in answers), answers  # the fuzzer did reach the refusals
