"""Alert groups on the real dev server: open, fold, tell the IC, resolve a quiet SEV4 by itself,
and open a linked new incident once the last one ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.workflow.harness import Harness, gateway, incidents_of, keys, scaled
from warroom.commands import AssignRole, Resolve
from warroom.config_file import HeaderAuth, Ingest, SecretRef, WarroomConfig
from warroom.state import Stage

CONFIG = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env="TEST_AM_TOKEN"))))
AUTH = {"Authorization": "Bearer am-token"}


@pytest.fixture(autouse=True)
def _token(monkeypatch):
    monkeypatch.setenv("TEST_AM_TOKEN", "am-token")


def alert(
    name: str, status: str = "firing", severity: str = "critical", fingerprint: str | None = None, **labels
) -> dict:
    started = datetime.now(UTC) - timedelta(seconds=30)
    return {
        "status": status,
        "labels": {"alertname": name, "service": "payments", "severity": severity, **labels},
        "annotations": {"summary": f"{name} on payments"},
        "startsAt": started.isoformat(),
        "endsAt": (datetime.now(UTC).isoformat() if status == "resolved" else "0001-01-01T00:00:00Z"),
        "generatorURL": f"http://prometheus.example/graph?g0.expr={name}",
        "fingerprint": fingerprint or f"fp-{name}-{sorted(labels.items())}",
    }


def group(key: str, *alerts: dict) -> dict:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": "4", "groupKey": key, "status": status, "receiver": "warroom", "truncatedAlerts": 0,
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": list(alerts)}


async def timeline_kinds(h: Harness, incident: str) -> list[str]:
    return [e.kind for e in (await h.view(incident)).state.timeline]


async def test_first_firing_opens_resends_change_nothing_and_resolution_tells_the_ic(make_harness):
    async with make_harness() as h, gateway(h, CONFIG) as http:
        key = '{}:{alertname="CheckoutErrors"}'
        firing = group(key, alert("CheckoutErrors", instance="a"), alert("CheckoutErrors", instance="b"))
        response = await http.post("/v1/alerts/alertmanager", json=firing, headers=AUTH)
        assert response.status_code == 200 and response.json()["alerts"] == 2
        [incident] = await incidents_of(h)
        view = await h.wait_view(incident, lambda v: "page:SEV1" in v.state.done)
        assert view.state.severity == "SEV1" and view.state.service == "payments"
        assert view.state.declared_by == "system:alertmanager" and not view.state.severity_confirmed
        assert view.state.alerts.firing == 2 and view.state.alerts.seen == 2

        for _ in range(3):  # Alertmanager's repeat_interval re-sends
            assert (await http.post("/v1/alerts/alertmanager", json=firing, headers=AUTH)).status_code == 200
        await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
        assert await incidents_of(h) == [incident]
        assert "alerts" not in await timeline_kinds(h, incident)

        resolved = group(
            key, alert("CheckoutErrors", "resolved", instance="a"), alert("CheckoutErrors", "resolved", instance="b")
        )
        assert (await http.post("/v1/alerts/alertmanager", json=resolved, headers=AUTH)).status_code == 200
        rows = await h.wait_rows(
            incident, lambda rows: any(r.action_key.startswith("alerts:all-resolved") for r in rows)
        )
        assert ("alerts:all-resolved:1", "bob") in keys(rows)  # the IC is told
        view = await h.view(incident)
        assert view.state.stage != Stage.in_review and not view.state.resolved  # SEV1 never resolves itself
        assert "resolved: CheckoutErrors" in [e.text for e in view.state.timeline if e.kind == "alerts"][-1]


async def test_an_untouched_sev4_resolves_itself_after_the_quiet_period(make_harness):
    policy = scaled(alerts={"auto_resolve_after": timedelta(seconds=2)})
    async with make_harness(policy) as h, gateway(h, CONFIG) as http:
        key = '{}:{alertname="ReceiptTypo"}'
        await http.post("/v1/alerts/alertmanager", json=group(key, alert("ReceiptTypo", severity="info")), headers=AUTH)
        [incident] = await incidents_of(h)
        rows = await h.wait_rows(incident, lambda rows: ("ticket:open", "team:payments") in keys(rows))
        assert not [k for k in keys(rows) if k[0].startswith("page:")]
        await http.post(
            "/v1/alerts/alertmanager", json=group(key, alert("ReceiptTypo", "resolved", severity="info")), headers=AUTH
        )
        final = await h.handle(incident).result()
        assert final.stage == Stage.closed and final.resolved_by == "system:warroom"
        [resolution] = [e for e in final.timeline if e.kind == "resolved"]
        assert resolution.actor == "system:warroom"
        assert "SEV4 opened by an alert nobody touched; its alerts resolved 2s ago" in resolution.text


async def test_a_touched_sev4_waits_for_a_person(make_harness):
    policy = scaled(alerts={"auto_resolve_after": timedelta(seconds=1)})
    async with make_harness(policy) as h, gateway(h, CONFIG) as http:
        key = '{}:{alertname="SlowRefunds"}'
        await http.post("/v1/alerts/alertmanager", json=group(key, alert("SlowRefunds", severity="info")), headers=AUTH)
        [incident] = await incidents_of(h)
        await h.send(incident, AssignRole(actor="carol", role="ic", handle="carol"))
        await http.post(
            "/v1/alerts/alertmanager", json=group(key, alert("SlowRefunds", "resolved", severity="info")), headers=AUTH
        )
        rows = await h.wait_rows(
            incident, lambda rows: any(r.action_key.startswith("alerts:all-resolved") for r in rows)
        )
        assert ("alerts:all-resolved:1", "carol") in keys(rows)
        assert not (await h.view(incident)).state.resolved


async def test_after_the_incident_ended_the_next_firing_opens_a_linked_one(make_harness):
    async with make_harness(scaled(1)) as h, gateway(h, CONFIG) as http:
        key = '{}:{alertname="CardDeclines"}'
        await http.post(
            "/v1/alerts/alertmanager", json=group(key, alert("CardDeclines", severity="high")), headers=AUTH
        )
        [first] = await incidents_of(h)
        await h.send(first, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.send(first, Resolve(actor="bob"))
        # still firing when the IC resolved: re-sends change nothing
        await http.post(
            "/v1/alerts/alertmanager", json=group(key, alert("CardDeclines", severity="high")), headers=AUTH
        )
        await http.post(
            "/v1/alerts/alertmanager", json=group(key, alert("CardDeclines", "resolved", severity="high")), headers=AUTH
        )
        assert len(await incidents_of(h, expected=2, timeout=3)) == 1
        await http.post(
            "/v1/alerts/alertmanager", json=group(key, alert("CardDeclines", severity="high")), headers=AUTH
        )
        both = await incidents_of(h, expected=2)
        [second] = [i for i in both if i != first]
        view = await h.wait_view(second, lambda v: "page:SEV2" in v.state.done)
        assert view.state.previous_incident == first
        assert f"previous incident {first} had ended" in view.state.timeline[0].text
