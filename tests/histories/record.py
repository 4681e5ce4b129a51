"""Record the incident histories that tests/workflow/test_replay.py replays on every run.

    .venv/bin/python -m tests.histories.record                          # every scenario
    .venv/bin/python -m tests.histories.record pager_throttle_bundles   # only those named

Files are named by the brain version they were recorded under (v1-…, v3-…) and, when a
workflow patch changed what that version's workflow does, by the newest patch too (v8-batches-…,
NEWEST_PATCH). Old ones are kept: a history recorded before a change and replayed after it is what proves that running
incidents survive the change (gate new rules by state.version, or use workflow.patched).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.workflow.harness import REVIEW_DOCUMENT, Harness, new_settings, scaled
from warroom.commands import (
    Ack,
    AddNote,
    AssignRole,
    Escalate,
    PostUpdate,
    Publish,
    Resolve,
    SetFlag,
    SetSeverity,
    SetStatus,
    SubmitReview,
)
from warroom.state import BRAIN_VERSION
from warroom.temporal.connection import ALL_KEYS
from workers.main import build_worker
from workers.up import temporal_binary

HERE = Path(__file__).parent
NEWEST_PATCH = "batches"  # workflows/incident.py BATCHES (and ONE_TIMER before it): v8 recorded again
s = timedelta(seconds=1)


async def sev1_full_lifecycle(h: Harness) -> str:
    incident = await h.declare("SEV1")
    await h.wait_rows(incident, lambda rows: any(r.action_key == "ack:repage" for r in rows))
    await h.send(incident, Ack(actor="bob"))
    await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
    await h.send(incident, AssignRole(actor="bob", role="comms", handle="heidi"))
    await h.send(incident, AssignRole(actor="bob", role="sme", handle="judy", track="database"))
    await h.send(
        incident,
        PostUpdate(actor="heidi", impact="30% of checkouts fail", theory="connection pool exhausted",
                   next_steps="raise the pool", next_update_in=20 * s),
    )
    await h.send(incident, SetStatus(actor="bob", status="identified"))  # the IC's call (permissions)
    await h.send(incident, AddNote(actor="judy", text="pool raised to 200"))
    await h.send(incident, SetStatus(actor="bob", status="mitigating"))
    await h.send(incident, Resolve(actor="bob"))
    await h.wait_rows(incident, lambda rows: any(r.action_key.startswith("review:remind") for r in rows))
    await h.send(incident, SubmitReview(actor="bob", document=REVIEW_DOCUMENT))
    await h.handle(incident).result()
    return incident


async def sev2_upgrade_downgrade_flags(h: Harness) -> str:
    incident = await h.declare("SEV2", unclear=("SEV3",))
    await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))  # only the IC downgrades
    await h.send(incident, SetSeverity(actor="bob", severity="SEV1"))
    await h.send(incident, SetFlag(actor="bob", flag="regulatory", note="card data in logs"))
    await h.send(incident, SetSeverity(actor="bob", severity="SEV3", reason="contained"))
    await h.send(incident, Escalate(actor="carol", to="leadership", reason="customer escalation"))
    await h.send(incident, AddNote(actor="carol", text="leaving it open overnight"))
    await h.wait_rows(incident, lambda rows: any(r.action_key == "escalate:manual:1" for r in rows))
    return incident


async def sev4_ticket_closes_without_review(h: Harness) -> str:
    incident = await h.declare("SEV4", title="Typo on the receipt page")
    await h.wait_rows(incident, lambda rows: any(r.action_key == "ticket:open" for r in rows))
    await h.send(incident, AssignRole(actor="carol", role="ic", handle="carol"))
    await h.send(incident, Resolve(actor="carol"))
    await h.handle(incident).result()
    return incident


async def continued_as_new(h: Harness) -> str:
    incident = await h.declare("SEV3")
    await h.send(incident, Ack(actor="bob"))
    for n in range(45):
        await h.send(incident, AddNote(actor="bob", text=f"observation {n}"))
    return incident


async def customer_update_to_the_status_page(h: Harness) -> str:
    incident = await h.declare("SEV2", title="Card payments failing")
    await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
    await h.send(incident, AssignRole(actor="bob", role="comms", handle="heidi"))
    await h.send(incident, Publish(actor="heidi", kind="customer", fields={
        "affected": "Card payments", "share": "about 30%", "symptom": "see declined payments"}))
    await h.send(incident, Resolve(actor="bob"))
    await h.send(incident, SubmitReview(actor="bob", document=REVIEW_DOCUMENT))
    await h.handle(incident).result()
    return incident


async def alert_group_opens_and_folds(h: Harness) -> str:
    from warroom.alerts.events import AlertBatch, AlertEvent
    from workflows.alert_group import AlertGroupWorkflow, GroupInput

    def batch(status: str) -> AlertBatch:
        event = AlertEvent(fingerprint="fp-1", status=status, name="CheckoutErrors",
                           labels={"service": "payments", "severity": "critical"})
        return AlertBatch(source="alertmanager", group_key="{}:{alertname=\"CheckoutErrors\"}", title="Checkout errors",
                          alerts=(event,))
    first = batch("firing")
    start = GroupInput(group_id=first.group_id, source="alertmanager", group_key=first.group_key, policy=h.policy)
    for news in (first, first, batch("resolved")):
        await h.client.start_workflow(AlertGroupWorkflow.run, start, id=first.group_id,
                                      task_queue=h.settings.task_queue,
                                      start_signal="alerts", start_signal_args=[news])
    for _ in range(100):
        state = await h.client.get_workflow_handle_for(AlertGroupWorkflow.run, first.group_id).query(
            AlertGroupWorkflow.state
        )
        if state.incident and state.alerts["fp-1"].status == "resolved":
            await asyncio.sleep(1)
            return first.group_id
        await asyncio.sleep(0.1)
    raise AssertionError("the alert group never settled")


async def action_item_chased_until_done(h: Harness) -> str:
    from datetime import date

    from warroom.action_items import AddItem, CompleteItem
    from warroom.temporal import items as remote_items

    incident = await h.declare("SEV4", title="Receipt typo")
    item = await remote_items.add_item(
        h.client, h.policy,
        AddItem(actor="carol", incident_id=incident, title="Spell-check", owner="bob", due=date(2026, 1, 5)),
        h.settings.task_queue,
    )
    await h.wait_rows(item.id, lambda rows: len(rows) >= 1)
    await remote_items.change_item(h.client, item.id, CompleteItem(actor="bob"))
    await h.client.get_workflow_handle(item.id).result()
    return item.id


async def game_day_at_speed(h: Harness) -> str:
    """A game day at 60x speed: its alert opens the incident, a note and a flag inject, the limit ends it."""
    from tests.workflow.harness import SHIPPED
    from warroom.gamedays.scenario import Scenario
    from warroom.temporal import gamedays

    scenario = Scenario.model_validate({
        "name": "recorded", "title": "Recorded exercise", "service": "payments", "limit": "5m",
        "start": {"alert": {"format": "generic", "body": {
            "dedup_key": "recorded", "status": "firing", "summary": "Checkout errors", "service": "payments",
            "severity": "SEV2"}}},
        "injects": [{"at": "1m", "note": "Customer report", "provokes": "a customer update"},
                    {"at": "2m", "flag": "regulatory", "provokes": "legal is told"}],
    })
    exercise = await gamedays.run(h.client, SHIPPED, {"recorded": scenario}, "payments", "recorded", 60, "erin",
                                  h.settings.task_queue)
    await h.client.get_workflow_handle(exercise).result()
    return exercise


async def pager_throttle_bundles(h: Harness) -> str:
    """Five pages for bob under a limit of two (the minute scaled to 3 s): two admitted, three
    held and sent as one bundle by bob's PagerThrottleWorkflow."""
    from activities.outbox import OutboxProvider
    from activities.throttle import ThrottledPager
    from warroom.delivery import Delivery, Recipient
    from warroom.temporal.door import Door
    from warroom.temporal.throttle import workflow_id

    pager = ThrottledPager(OutboxProvider(h.outbox), Door(h.client, h.settings.task_queue).admit_page, 2, 3 * s)
    bob = Recipient.of("bob", h.policy.roster)
    for i in range(1, 6):
        await pager.page(Delivery(incident_id="INC-REC0T", action_key=f"ack:repage:{i}", channel="pager",
                                  recipients=(bob,), subject=f"[INC-REC0T] page {i}", text=f"PAGE {i}"))
    await h.wait_rows("INC-REC0T", lambda rows: any(r.action_key.startswith("throttled:") for r in rows))
    return workflow_id("bob", h.settings.task_queue)


SCENARIOS = [
    sev1_full_lifecycle, sev2_upgrade_downgrade_flags, sev4_ticket_closes_without_review, continued_as_new,
    customer_update_to_the_status_page, alert_group_opens_and_folds, action_item_chased_until_done,
    game_day_at_speed, pager_throttle_bundles,
]


async def main() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        data_converter=pydantic_data_converter,
        dev_server_extra_args=["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=150"],
    )
    policy = scaled(1 / 60, review={"within": 4 * s, "remind_before": [2 * s], "escalate_every": 3 * s})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = new_settings(Path(tmp), env.client)
            async with build_worker(env.client, settings):
                h = Harness(client=env.client, settings=settings, policy=policy)
                wanted = set(sys.argv[1:])  # names of scenarios to record again; none: all
                for scenario in [x for x in SCENARIOS if not wanted or x.__name__ in wanted]:
                    incident = await scenario(h)
                    first = await h.client.get_workflow_handle(incident, run_id=None).describe()
                    history = await h.client.get_workflow_handle(incident, run_id=first.run_id).fetch_history()
                    if scenario is continued_as_new:  # the run that ended in continue-as-new
                        runs = [w async for w in h.client.list_workflows(f'WorkflowId="{incident}"')]
                        oldest = min(runs, key=lambda w: w.start_time)
                        history = await h.client.get_workflow_handle(incident, run_id=oldest.run_id).fetch_history()
                    path = HERE / f"v{BRAIN_VERSION}-{NEWEST_PATCH}-{scenario.__name__}.json"
                    path.write_text(
                        json.dumps({"workflow_id": incident, "history": json.loads(history.to_json())}, indent=1)
                    )
                    print(f"{path.name}: {incident}, {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
