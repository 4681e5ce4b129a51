"""No metric label carries an incident's title or id, a person, or a token: requests with all of
them in their paths, bodies and headers, and deliveries of an incident with a telling title, sent
and refused, leave only route templates and closed label sets behind (warroom.metrics). The
gateway app is the real one (no Temporal is reached: every request here is refused first); the
activities run in the SDK's ActivityEnvironment with the real outbox provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels import ChannelActivities, Pager
from activities.outbox import OutboxProvider
from warroom import metrics
from warroom.config import Settings
from warroom.config_file import HeaderAuth, Ingest, SecretRef, WarroomConfig
from warroom.delivery import Delivery, Recipient
from warroom.gateway.app import create_app
from warroom.outbox import Outbox

TITLE = "Acme Bank ledger leak"
INCIDENT = "INC-7K2QD"
TOKEN = "wr_not-a-real-token-but-secret"
ALERT_TOKEN = "am-bearer-secret"
ALLOWED = {
    "method": None, "status": None, "route": None,
    "channel": {"pager", "email", "chat", "ticket", "statuspage", "incident_channel"},
    "outcome": {"sent", "retryable", "rejected"},
    "source": {"alertmanager", "grafana", "pagerduty", "generic"},
    "severity": {"SEV1", "SEV2", "SEV3", "SEV4"},
}


class RefusingPager(Pager):
    """A provider that refuses for good, as a 4xx from PagerDuty does."""

    async def page(self, delivery: Delivery) -> None:
        raise ApplicationError(f"refused page for {delivery.subject}", non_retryable=True)


def delivery(channel: str) -> Delivery:
    person = Recipient(handle="bob", name="Bob Builder", contacts={"email": "bob@example.com"})
    return Delivery(incident_id=INCIDENT, action_key="page:SEV1", channel=channel, recipients=(person,),
                    subject=f"[{INCIDENT}] {TITLE}", text=f"{TITLE}: token {TOKEN}",
                    due_at=datetime.now(UTC) - timedelta(seconds=3))


async def test_no_label_carries_an_incident_title_id_person_or_token(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LABELS_AM_TOKEN", "right-one")
    settings = Settings(data_dir=tmp_path, temporal_address="127.0.0.1:1")
    config = WarroomConfig(ingest=Ingest(alertmanager=HeaderAuth(bearer_token=SecretRef(env="LABELS_AM_TOKEN"))))
    app = create_app(settings, config=config)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as api:
        for answer in (
            await api.post("/v1/incidents", headers=bearer, json={"severity": "SEV1", "service": "payments",
                                                                   "title": TITLE}),
            await api.get(f"/v1/incidents/{INCIDENT}", headers=bearer),
            await api.post(f"/v1/incidents/{INCIDENT}/note", headers=bearer, json={"text": TITLE}),
            await api.post("/v1/alerts/alertmanager", headers={"Authorization": f"Bearer {ALERT_TOKEN}"},
                           json={"version": "4", "groupKey": TITLE, "status": "firing", "alerts": []}),
            await api.get(f"/{TITLE.replace(' ', '-')}/{TOKEN}"),
        ):
            assert answer.status_code in (401, 403, 404), answer.text

    outbox = OutboxProvider(Outbox(settings.outbox_path))
    sending = ChannelActivities(pager=outbox, notifier=outbox, messenger=outbox, ticketing=outbox,
                                statuspage=outbox, channels=outbox)  # type: ignore[arg-type]
    refusing = ChannelActivities(pager=RefusingPager(), notifier=outbox, messenger=outbox, ticketing=outbox,
                                 statuspage=outbox, channels=outbox)  # type: ignore[arg-type]
    env = ActivityEnvironment()
    await env.run(sending.page, delivery("pager"))
    await env.run(sending.notify, delivery("email"))
    with pytest.raises(ApplicationError):
        await env.run(refusing.page, delivery("pager"))

    text, _ = metrics.exposition()
    text = text.decode()
    for secret in (TITLE, INCIDENT, TOKEN, ALERT_TOKEN, "right-one", "bob", "Acme", "ledger"):
        assert secret not in text, secret
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        if family.name.startswith("warroom_"):
            for sample in family.samples:
                for name, value in sample.labels.items():
                    labels.setdefault(name, set()).add(value)
    labels.pop("le", None)  # histogram buckets
    assert set(labels) <= set(ALLOWED), set(labels) - set(ALLOWED)
    for name, values in labels.items():
        if ALLOWED[name] is not None:
            assert values <= ALLOWED[name], (name, values - ALLOWED[name])
    assert {"unmatched", "/v1/incidents", "/v1/incidents/{incident}", "/v1/alerts/alertmanager"} <= labels["route"]
    assert all(route == "unmatched" or route.startswith("/") and "INC-" not in route for route in labels["route"])
    assert {"sent", "rejected"} <= labels["outcome"]
