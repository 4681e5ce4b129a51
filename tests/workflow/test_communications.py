"""Communications on the real dev server: deadlines, publishing, refusals, the public status page."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from tests.workflow.harness import gateway, keys, scaled
from warroom.commands import AssignRole, Publish, Refused, Resolve, SetStatus
from warroom.config_file import WarroomConfig
from warroom.policy import Policy
from warroom.temporal import incidents as remote


class StatusHtml(HTMLParser):
    """The components and incident titles a reader of /status sees."""

    def __init__(self) -> None:
        super().__init__()
        self.components: dict[str, str] = {}
        self.incidents: list[str] = []
        self.bodies: list[str] = []
        self._component: str | None = None
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "li" and "data-component" in attrs:
            self._component = attrs["data-component"]
        elif tag == "span" and self._component and "state" in (attrs.get("class") or ""):
            self._in = "state"
        elif tag == "h3":
            self._in = "title"
        elif tag == "p":
            self._in = "body"

    def handle_data(self, data):
        if self._in == "state" and self._component:
            self.components[self._component] = data.strip()
            self._component, self._in = None, None
        elif self._in == "title":
            self.incidents.append(data.strip())
            self._in = None
        elif self._in == "body":
            self.bodies.append(data.strip())
            self._in = None


async def test_sev2_nobody_acting_gets_the_stakeholder_reminder_halfway_and_the_notice_at_the_deadline(make_harness):
    async with make_harness(scaled(1 / 120)) as h:  # 15 min -> 7.5 s, 30 min -> 15 s
        incident = await h.declare("SEV2")
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "deliver:stakeholder:1" for r in rows))
        view = await h.view(incident)
        start = view.state.severities[0].at
        reminders = [r for r in rows if r.action_key == "comms:stakeholder:0:remind"]
        assert [r.recipient for r in reminders] == ["heidi", "ivan"]  # no comms lead yet: the pool
        notices = [r for r in rows if r.action_key == "deliver:stakeholder:1"]
        assert sorted(r.recipient for r in notices) == ["kim", "leo"] and {r.channel for r in notices} == {"email"}
        assert (reminders[0].created_at - start).total_seconds() >= 7.5
        assert (notices[0].created_at - start).total_seconds() >= 15
        assert "**SEV2 incident " + incident in notices[0].text and "- **Incident commander:**" in notices[0].text
        [event] = [e for e in view.state.timeline if e.kind == "comms"]
        assert event.text.startswith("stakeholder notice #1 sent automatically") and event.actor == "system:warroom"


async def test_customer_updates_and_the_resolution_reach_the_status_page(make_harness):
    async with make_harness(scaled(1)) as h, gateway(h, WarroomConfig()) as http:
        incident = await h.declare("SEV2", title="Card payments failing")
        await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.send(incident, AssignRole(actor="bob", role="comms", handle="heidi"))
        update = Publish(
            actor="heidi", kind="customer", components=("Card payments",), next_update_in=timedelta(minutes=30),
            fields={"affected": "Card payments", "share": "about 30%", "symptom": "see declined payments"},
        )
        await h.send(incident, update)
        await h.send(incident, SetStatus(actor="bob", status="identified"))
        second = update.model_copy(update={"fields": {**update.fields, "share": "about 10%"}})
        await h.send(incident, second)

        async def page():
            for _ in range(100):
                response = await http.get("/status.json")
                data = response.json()
                if data["incidents"] and len(data["incidents"][0]["incident_updates"]) == 2:
                    return data
                await asyncio.sleep(0.1)
            raise AssertionError(f"status page never showed two updates: {data}")

        data = await page()
        assert data["status"] == {"indicator": "partial_outage", "description": "Partial outage"}
        assert {"name": "Card payments", "status": "partial_outage"} in data["components"]
        assert {"name": "Checkout", "status": "operational"} in data["components"]
        [public] = data["incidents"]
        assert public["name"] == "Card payments failing"
        assert [u["status"] for u in public["incident_updates"]] == ["identified", "investigating"]
        assert public["incident_updates"][0]["body"].startswith(
            "Card payments: about 10% of customers see declined payments."
        )

        html = StatusHtml()
        response = await http.get("/status")
        assert response.headers["content-type"].startswith("text/html") and "<script" not in response.text
        assert '<meta name="viewport"' in response.text
        html.feed(response.text)
        assert html.components["Card payments"] == "Partial outage" and html.components["Checkout"] == "Operational"
        assert html.incidents == ["Card payments failing"]
        assert any("We have identified the cause" in b for b in html.bodies)

        await h.send(incident, Resolve(actor="bob"))
        for _ in range(100):
            data = (await http.get("/status.json")).json()
            if data["resolved_incidents"]:
                break
            await asyncio.sleep(0.1)
        assert data["incidents"] == [] and data["status"]["indicator"] == "operational"
        assert data["resolved_incidents"][0]["incident_updates"][0]["status"] == "resolved"

        feed = ElementTree.fromstring((await http.get("/status.atom")).content)
        atom = "{http://www.w3.org/2005/Atom}"
        titles = [entry.find(f"{atom}title").text for entry in feed.findall(f"{atom}entry")]
        assert titles == ["Card payments failing — resolved", "Card payments failing — identified",
                          "Card payments failing — investigating"]


async def test_only_the_comms_lead_publishes_and_a_missing_field_sends_nothing(make_harness):
    base = scaled(1, chat={"incident_channel": False})  # nothing else may write while we count
    strict: Policy = base.model_copy(
        update={"templates": {**base.templates, "customer_update": "{{ affected }} until {{ eta }}"}}
    )
    async with make_harness(strict) as h:
        incident = await h.declare("SEV2")
        await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.send(incident, AssignRole(actor="bob", role="comms", handle="heidi"))
        fields = {"affected": "Checkout", "share": "all", "symptom": "cannot pay"}
        with pytest.raises(Refused, match=r"only the comms lead \(heidi\) publishes outward messages \(R-ROLE-2\)"):
            await h.send(incident, Publish(actor="bob", kind="customer", fields=fields))
        before = len((await h.view(incident)).state.timeline)
        with pytest.raises(Refused, match="the customer_update template needs 'eta'; nothing was sent"):
            await h.send(incident, Publish(actor="heidi", kind="customer", fields=fields))
        with pytest.raises(Refused, match="needs 'eta'"):
            await remote.preview(h.client, incident, Publish(actor="heidi", kind="customer", fields=fields))
        preview = await remote.preview(
            h.client, incident, Publish(actor="heidi", kind="customer", fields={**fields, "eta": "15:00"})
        )
        assert preview == "Checkout until 15:00"
        view = await h.view(incident)
        assert len(view.state.timeline) == before and view.state.communications == ()
        assert not [k for k in keys(h.rows(incident)) if k[0].startswith("deliver:")]
