"""After the incident, on the real dev server: the review draft's true timeline, refusals that
record nothing, and an action item chased after its incident closed until it is done."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus

from tests.workflow.harness import REVIEW_DOCUMENT, scaled
from warroom.action_items import AddItem, CompleteItem
from warroom.commands import Ack, AssignRole, Refused, Resolve, SetStatus, SubmitReview
from warroom.state import Stage
from warroom.temporal import incidents as remote
from warroom.temporal import items as remote_items
from workflows.action_item import ActionItemWorkflow


async def test_the_review_draft_tells_the_true_timeline_and_an_incomplete_review_is_refused(make_harness):
    async with make_harness(scaled(1, chat={"incident_channel": False})) as h:  # nothing else writes while we count
        incident = await h.declare("SEV2")
        await asyncio.sleep(1.2)
        await h.send(incident, Ack(actor="bob"))
        await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.send(incident, SetStatus(actor="bob", status="mitigating"))
        await h.send(incident, Resolve(actor="bob"))
        state = (await h.view(incident)).state
        draft = await remote.review_draft(h.client, incident)

        tta = round((state.acknowledged_at - state.detected_at).total_seconds())
        ttr = round((state.resolved_at - state.detected_at).total_seconds())
        assert f"- **Time to acknowledge:** {tta}s" in draft and tta >= 1
        assert f"- **Time to resolve:** {ttr}s" in draft
        rows = [line for line in draft.splitlines() if line.startswith("| ") and "UTC" not in line]
        whats = [row.split(" | ")[3].removesuffix(" |") for row in rows]
        assert whats[0].startswith("declared SEV2 on payments")
        assert any(w.startswith("page bob, judy: SEV2: paging") for w in whats)
        assert "acknowledged by bob" in whats and "status investigating → mitigating" in whats
        assert any(w.startswith("resolved;") for w in whats)
        assert "- **Incident commander:** bob" in draft

        before = (await h.handle(incident).describe()).raw_description.workflow_execution_info.history_length
        with pytest.raises(Refused, match="fill in the section.*'Root causes and contributing factors'"):
            await h.send(incident, SubmitReview(actor="bob", document=draft))
        after = (await h.handle(incident).describe()).raw_description.workflow_execution_info.history_length
        assert after == before and (await h.view(incident)).state.stage == Stage.in_review

        await h.send(incident, SubmitReview(actor="bob", document=REVIEW_DOCUMENT))
        final = await h.handle(incident).result()
        assert final.stage == Stage.closed and final.review.document == REVIEW_DOCUMENT.strip()


async def test_an_overdue_item_is_escalated_and_chased_after_its_incident_closed_until_done(make_harness):
    policy = scaled(
        1, action_items={"due_in": timedelta(days=14), "remind_before": [], "escalate_every": timedelta(seconds=2)}
    )
    async with make_harness(policy) as h:
        incident = await h.declare("SEV4", title="Receipt typo")
        await h.send(incident, AssignRole(actor="carol", role="ic", handle="carol"))
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        item = await remote_items.add_item(
            h.client, h.policy, AddItem(actor="carol", incident_id=incident.lower(), title="Spell-check receipts",
                                         owner="bob", due=yesterday), h.settings.task_queue,
        )
        assert item.id == f"{incident}-A1"
        await h.send(incident, Resolve(actor="carol"))  # SEV4: no review, closed at once
        await h.handle(incident).result()

        def escalations(rows):
            return [r for r in rows if r.action_key.startswith(f"item:{yesterday}:overdue:")]

        rows = await h.wait_rows(item.id, lambda rows: len(escalations(rows)) >= 2)
        assert {r.recipient for r in escalations(rows)} == {"dana"}  # bob's manager
        assert "Done? warroom action done " + item.id in escalations(rows)[0].text
        described = await h.handle(incident).describe()
        assert described.status == WorkflowExecutionStatus.COMPLETED  # the incident is over; the item is not

        second = await remote_items.add_item(
            h.client, h.policy, AddItem(actor="carol", incident_id=incident, title="Add a receipt test", owner="carol",
                                         due=date.today() + timedelta(days=30)), h.settings.task_queue,
        )
        assert second.id == f"{incident}-A2"

        done = await remote_items.change_item(h.client, item.id, CompleteItem(actor="bob", note="added cspell to CI"))
        assert done.status == "done"
        final = await h.client.get_workflow_handle_for(ActionItemWorkflow.run, item.id).result()
        assert final.status == "done"
        count = len(escalations(h.rows(item.id)))
        await asyncio.sleep(2.5)  # one escalation period: a chased item would have been escalated again
        assert len(escalations(h.rows(item.id))) == count
        with pytest.raises(Refused):
            await remote_items.change_item(h.client, item.id, CompleteItem(actor="bob"))


async def test_the_report_page_draws_its_charts_from_temporal(make_harness):
    from html.parser import HTMLParser

    from tests.workflow.harness import gateway
    from warroom.config_file import WarroomConfig

    class Svg(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.charts: list[str] = []
            self.bars: list[str] = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "svg":
                self.charts.append(attrs.get("aria-label", ""))
            if tag == "rect":
                self.bars.append(attrs.get("data-value", ""))

    async with make_harness(scaled(1)) as h, gateway(h, WarroomConfig()) as http:
        incident = await h.declare("SEV3", title="Slow refunds")
        await h.send(incident, AssignRole(actor="carol", role="ic", handle="carol"))
        await h.send(incident, Resolve(actor="carol"))
        response = await http.get("/report", params={"since": "1h"})
        assert response.status_code == 200 and "<script" not in response.text
        page = Svg()
        page.feed(response.text)
        assert page.charts == ["Incidents per severity", "Action items completed per team"]
        assert int(page.bars[2]) >= 1  # SEV3, the third bar: at least this incident (the server is shared)
        assert (await http.get("/report", params={"since": "soon"})).status_code == 422
