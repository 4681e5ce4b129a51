"""No workflow can be poisoned (issue 15, item 2), on the pure side: inputs the edge refuses, fed
straight to the alert group's rules, still open an incident the workflow can run, and later
alerts of the group are still folded in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from warroom.alerts.events import AlertBatch, AlertEvent
from warroom.alerts.group import GroupState, Open, Send, ingest, opened
from warroom.policy import load_policy

POLICY = load_policy(Path(__file__).parents[2] / "runbooks")
NOW = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)


def batch(fingerprint: str, starts_at: datetime | None, status: str = "firing") -> AlertBatch:
    alert = AlertEvent(fingerprint=fingerprint, status=status, name="CheckoutErrors", starts_at=starts_at,
                       labels={"service": "payments", "severity": "critical"})
    return AlertBatch(source="alertmanager", group_key="{}:{alertname=\"CheckoutErrors\"}", title="Checkout errors",
                      alerts=(alert,))


def test_an_alert_start_of_year_1_or_9999_or_months_ago_counts_from_when_warroom_opens_it() -> None:
    for starts_at in (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
                      datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))),
                      NOW - timedelta(days=90), NOW + timedelta(hours=1)):
        group = GroupState(group_id="alerts-x", source="alertmanager", group_key="k")
        group, effects = ingest(group, batch("fp-1", starts_at), POLICY, NOW)
        [opening] = effects
        assert isinstance(opening, Open) and opening.declare.detected_at == NOW, starts_at
        incident = opening.declare.start("INC-POISN", NOW, POLICY)  # what the workflow would run
        assert incident.detected_at == NOW
        # the group keeps serving: the next alert is folded into the open incident
        group, later = ingest(opened(group, "INC-POISN"), batch("fp-2", NOW), POLICY, NOW + timedelta(minutes=1))
        assert [type(e) for e in later] == [Send] and "firing" in later[0].command.changes[0]


def test_a_credible_start_is_the_detection_time() -> None:
    group = GroupState(group_id="alerts-y", source="alertmanager", group_key="k")
    _, [opening] = ingest(group, batch("fp-1", NOW - timedelta(minutes=7)), POLICY, NOW)
    assert opening.declare.detected_at == NOW - timedelta(minutes=7)


def test_an_alerts_links_keep_only_what_a_responder_can_open() -> None:
    alert = AlertEvent(fingerprint="fp", status="firing", name="x", links=(
        "https://grafana.example/d/checkout", "javascript:alert(1)", "not a url", "http://[::1", "x" * 3000,
        "http://prometheus:9090/graph?g0.expr=up", "https://ok.example/\x00hidden"))
    assert alert.links == ("https://grafana.example/d/checkout", "http://prometheus:9090/graph?g0.expr=up")
