"""IncidentWorkflow on the real dev server, with the shipped policy scaled (a minute becomes a second)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pydantic import ValidationError

from tests.workflow.harness import REVIEW_DOCUMENT, keys, scaled
from warroom.commands import (
    Ack,
    AddNote,
    AssignRole,
    Declare,
    Escalate,
    PostUpdate,
    Refused,
    ReloadPolicy,
    Resolve,
    SetSeverity,
    SetStatus,
    SubmitReview,
)
from warroom.state import Stage
from warroom.temporal import board
from warroom.temporal import incidents as remote
from warroom.temporal.connection import UnknownIncident
from workflows.incident import TASK_TIMEOUT

s = timedelta(seconds=1)


def offsets(rows, start) -> dict[tuple[str, str], float]:
    return {(r.action_key, r.recipient): (r.created_at - start).total_seconds() for r in rows}


async def test_sev1_declare_pages_oncall_smes_leadership_and_notifies_executives_at_once(make_harness):
    async with make_harness() as h:
        incident = await h.declare("SEV1")
        at_once = ("page:SEV1", "notify:SEV1")
        rows = await h.wait_rows(incident, lambda rows: len([r for r in rows if r.action_key in at_once]) >= 4)
        rows = [r for r in rows if r.action_key in at_once]
        assert set(keys(rows)) == {
            ("page:SEV1", "bob"), ("page:SEV1", "judy"), ("page:SEV1", "erin"), ("notify:SEV1", "frank"),
        }
        assert {r.channel for r in rows if r.action_key == "page:SEV1"} == {"pager"}
        assert {r.channel for r in rows if r.action_key == "notify:SEV1"} == {"email"}
        [bob] = [r for r in rows if r.recipient == "bob"]
        assert bob.address == "phone:+49 30 0000002"  # bob's pager contact from oncall.yaml
        assert "Acknowledge: warroom ack " + incident in bob.text


async def test_no_ack_repages_then_secondary_then_manager_never_early(make_harness):
    async with make_harness() as h:
        incident = await h.declare("SEV1")
        rows = await h.wait_rows(incident, lambda rows: ("ack:escalate:manager", "dana") in keys(rows))
        view = await h.view(incident)
        at = offsets(rows, view.state.detected_at)
        order = [
            ("page:SEV1", "bob"), ("ack:repage", "bob"), ("ack:escalate:secondary", "carol"),
            ("ack:escalate:manager", "dana"),
        ]
        assert [k for k in keys(rows) if k in order] == order
        assert at[("ack:repage", "bob")] >= 1 and at[("ack:escalate:secondary", "carol")] >= 2
        assert at[("ack:escalate:manager", "dana")] >= 4
        assert keys(rows).count(("ack:repage", "bob")) == 1


async def test_ack_stops_the_acknowledgement_chain(make_harness):
    async with make_harness() as h:
        incident = await h.declare("SEV1")
        await h.send(incident, Ack(actor="bob"))
        # the R-F15-8 reminder falls due at 5s; by then the ack chain (1s, 2s, 4s) would have fired
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "f15:severity-ic:remind" for r in rows))
        assert not [k for k in keys(rows) if k[0].startswith("ack:")]
        [reminder] = [r for r in rows if r.action_key == "f15:severity-ic:remind"]
        assert reminder.recipient == "bob"  # the responder who acknowledged is reminded


async def test_sev1_not_mitigated_escalates_to_leadership_and_mitigation_stops_it(make_harness):
    policy = scaled(escalation={"sev1_not_mitigated": {"after": 3 * s, "notify": ["leadership"]}})
    async with make_harness(policy) as h:
        late = await h.declare("SEV1")
        quick = await h.declare("SEV1")
        await h.send(quick, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.send(quick, SetStatus(actor="bob", status="mitigating"))
        rows = await h.wait_rows(late, lambda rows: any(r.action_key == "escalate:sev1-not-mitigated" for r in rows))
        assert ("escalate:sev1-not-mitigated", "erin") in keys(rows)
        # the same 3s have passed for the mitigated one (its ack chain ran to 4s): no escalation
        await h.wait_rows(late, lambda rows: any(r.action_key == "ack:escalate:manager" for r in rows))
        assert not [k for k in keys(h.rows(quick)) if k[0] == "escalate:sev1-not-mitigated"]


async def test_upgrade_pages_the_added_people_once_and_a_downgrade_pages_nobody(make_harness):
    async with make_harness(scaled(1)) as h:  # real durations: nothing else fires during the test
        incident = await h.declare("SEV2")
        await h.wait_rows(incident, lambda rows: len(rows) >= 2)
        await h.send(incident, Ack(actor="bob"))
        await h.send(incident, SetSeverity(actor="bob", severity="SEV1"))
        await h.send(incident, SetSeverity(actor="bob", severity="SEV2", reason="contained to one region"))
        await h.send(incident, SetSeverity(actor="bob", severity="SEV1", reason="spreading again"))
        await h.send(incident, SetSeverity(actor="bob", severity="SEV3", reason="workaround in place"))
        await h.send(incident, Escalate(actor="carol", to="legal", reason="barrier: last action of the test"))
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "escalate:manual:1" for r in rows))
        # actions due together run concurrently: compare without their order. (The upgrade also
        # tightened the stakeholder-notice clock to SEV1's "at once": that notice is not a page.)
        paging = [k for k in keys(rows) if k[0].startswith(("page:", "notify:SEV", "ack:", "escalate:"))]
        assert sorted(paging) == sorted([
            ("page:SEV2", "bob"), ("page:SEV2", "judy"),
            ("page:SEV1", "erin"), ("notify:SEV1", "frank"),
            ("escalate:manual:1", "grace"),
        ])
        assert {r.channel for r in rows if r.action_key.startswith("deliver:stakeholder")} <= {"email"}


async def test_only_the_ic_resolves_and_a_refused_command_writes_nothing(make_harness):
    async with make_harness(scaled(1, chat={"incident_channel": False})) as h:
        incident = await h.declare("SEV2")
        await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.wait_view(incident, lambda v: "page:SEV2" in v.state.done)
        before = (await h.handle(incident).describe()).raw_description.workflow_execution_info.history_length
        with pytest.raises(Refused, match=r"only the IC \(bob\) resolves \(R-ROLE-4\)"):
            await h.send(incident, Resolve(actor="carol"))
        with pytest.raises(Refused, match=r"erin \(leadership\) resolves only with --reason"):
            await h.send(incident, Resolve(actor="erin"))
        with pytest.raises(Refused, match="goes backwards; give a reason"):
            await h.send(incident, SetStatus(actor="bob", status="identified"))
            await h.send(incident, SetStatus(actor="bob", status="investigating"))
        after = (await h.handle(incident).describe()).raw_description.workflow_execution_info.history_length
        view = await h.view(incident)
        assert view.state.status == "identified"  # the accepted one counted; the refused ones left no trace
        assert after > before  # the accepted status change is in history...
        history = await h.handle(incident).fetch_history()
        rejected = [e for e in history.events if e.HasField("workflow_execution_update_rejected_event_attributes")]
        assert rejected == []  # ...and validator rejections are not
        result = await h.send(incident, Resolve(actor="erin", reason="bob handed over by phone"))
        assert result.stage == Stage.in_review


async def test_refusals_say_why(make_harness):
    async with make_harness(scaled(1)) as h:
        with pytest.raises(UnknownIncident, match="no incident INC-ZZZZZ"):
            await h.send("inc-zzzzz", Ack(actor="bob"))
        with pytest.raises(ValidationError, match="title"):
            Declare(actor="bob", title="   ", service="payments", severity="SEV1")
        with pytest.raises(ValidationError, match="not a severity"):
            SetSeverity(actor="bob", severity="SEV5")
        with pytest.raises(Refused, match="service: 'billing' has no runbook"):
            command = Declare(actor="alice", title="Invoices late", service="billing", severity="SEV2")
            await remote.declare(h.client, h.policy, command, h.settings.task_queue)
        incident = await h.declare("SEV2")
        with pytest.raises(Refused, match="unknown person 'mallory'"):
            await h.send(incident, Ack(actor="mallory"))
        with pytest.raises(Refused, match="promise one by"):
            await h.send(
                incident,
                PostUpdate(actor="bob", impact="checkout 30% errors", theory="db pool", next_steps="raise pool",
                           next_update_in=timedelta(hours=5)),
            )


async def test_review_window_reminds_escalates_and_submission_closes(make_harness):
    review = {"within": 6 * s, "remind_before": [4 * s, 2 * s], "escalate_every": 3 * s}
    async with make_harness(scaled(1, review=review)) as h:
        incident = await h.declare("SEV2")
        await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.send(incident, Resolve(actor="bob"))
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "review:escalate:2" for r in rows))
        view = await h.view(incident)
        assert view.state.stage == Stage.in_review
        at = offsets(rows, view.state.resolved_at)
        assert [k for k in keys(rows) if k[0].startswith("review:")] == [
            ("review:remind:4s", "bob"), ("review:remind:2s", "bob"),
            ("review:escalate:1", "dana"), ("review:escalate:1", "erin"),
            ("review:escalate:2", "dana"), ("review:escalate:2", "erin"),
        ]
        assert at[("review:remind:4s", "bob")] >= 2 and at[("review:escalate:1", "dana")] >= 6
        await h.send(incident, SubmitReview(actor="bob", document=REVIEW_DOCUMENT))
        final = await h.handle(incident).result()
        assert final.stage == Stage.closed and final.review is not None


async def test_board_lists_exactly_the_open_sev1_incidents_with_summary_and_details(make_harness):
    async with make_harness(scaled(1)) as h:
        open_sev1 = await h.declare("SEV1", title="Checkout failing")
        await h.declare("SEV2", title="Refunds slow")
        resolved_sev1 = await h.declare("SEV1", title="Card auth errors")
        await h.send(resolved_sev1, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.send(resolved_sev1, Resolve(actor="bob"))
        await h.send(open_sev1, AssignRole(actor="bob", role="ic", handle="bob"))
        await h.send(
            open_sev1,
            PostUpdate(actor="bob", impact="30% of checkouts fail", theory="connection pool exhausted",
                       next_steps="raise the pool size", next_update_in=timedelta(minutes=20)),
        )
        query = (
            f'TaskQueue="{h.settings.task_queue}" AND IncidentSeverity="SEV1" AND IncidentStatus!="resolved"'
        )
        found: list[str] = []
        for _ in range(100):  # visibility is eventually consistent
            found = [w.id async for w in h.client.list_workflows(query)]
            description = await h.handle(open_sev1).describe()
            if found == [open_sev1] and description.typed_search_attributes.get(board.COMMANDER) == "bob":
                break
            await asyncio.sleep(0.1)
        assert found == [open_sev1]
        assert description.typed_search_attributes.get(board.STATUS) == "investigating"
        assert await description.static_summary() == "SEV1 · payments · Checkout failing"
        assert "1. Acknowledge the page" in (await description.static_details() or "")
        metadata = await h.handle(open_sev1).query("__temporal_workflow_metadata")
        assert "### Update #1" in metadata.current_details
        assert "- **Impact:** 30% of checkouts fail" in metadata.current_details


async def test_continue_as_new_keeps_the_state(make_harness):
    async with make_harness(scaled(1)) as h:
        incident = await h.declare("SEV2")
        await h.send(incident, Ack(actor="bob"))
        first_run = (await h.handle(incident).describe()).run_id
        for n in range(45):  # ~5 history events each: beyond the session's continue-as-new threshold
            await h.send(incident, AddNote(actor="bob", text=f"observation {n}"))
        view = await h.wait_view(incident, lambda v: len(v.state.timeline) >= 48)
        for _ in range(100):  # it continues as new once the news of the notes has been delivered
            if (await h.handle(incident).describe()).run_id != first_run:
                break
            await asyncio.sleep(0.1)
        assert (await h.handle(incident).describe()).run_id != first_run
        notes = [e.text for e in view.state.timeline if e.kind == "note"]
        assert notes == [f"observation {n}" for n in range(45)]
        assert view.state.acknowledged_by == "bob" and "page:SEV2" in view.state.done
        await h.send(incident, SetSeverity(actor="bob", severity="SEV1"))
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "page:SEV1" for r in rows))
        assert keys(rows).count(("page:SEV2", "bob")) == 1  # nothing re-sent by the new run
        config = (await h.handle(incident).describe()).raw_description.execution_config
        assert config.default_workflow_task_timeout.ToTimedelta() == TASK_TIMEOUT  # the new run's tasks move on as soon


async def test_policy_reload_swaps_the_snapshot(make_harness):
    async with make_harness(scaled(1)) as h:
        incident = await h.declare("SEV1")
        faster = scaled(1, escalation={"sev1_not_mitigated": {"after": 2 * s, "notify": ["leadership"]}})
        result = await h.send(incident, ReloadPolicy(actor="erin", policy=faster))
        assert result.message == "policy reloaded from the runbooks"
        rows = await h.wait_rows(
            incident, lambda rows: any(r.action_key == "escalate:sev1-not-mitigated" for r in rows)
        )
        assert ("escalate:sev1-not-mitigated", "erin") in keys(rows)
