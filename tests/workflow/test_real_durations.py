"""The key deadlines at their real durations, on a real Temporal server (DESIGN.md: "proven with
time skipping"): the shipped policy unscaled, each workflow's clock moved forward by the dev
server's per-workflow time skipping (dynamic config `frontend.WorkflowTimeSkippingEnabled`,
temporalio's `start_time_skipping_v2` and `fast_forward`). Timers fire, activities run and the
outbox records, exactly as in production; only the waiting is skipped.

This module runs its own dev server, so the skipped clocks never touch the other tests' incidents.
What a user would check is when each thing went out, counted from detection on the incident's
own clock: `state.done[key].at`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.testing._timeskipping import TimeSkippingConfig

from tests.workflow.harness import SHIPPED, Harness, new_settings
from warroom.action_items import AddItem
from warroom.actions import Keys
from warroom.commands import Ack, AssignRole, Resolve
from warroom.temporal import items as remote_items
from warroom.temporal.connection import ALL_KEYS
from workers.main import build_worker
from workers.up import temporal_binary
from workflows.action_item import ActionItemWorkflow

pytestmark = pytest.mark.temporal

SECONDS_PER_MINUTE = 60
HOUR, DAY = 60, 24 * 60  # in minutes


@pytest_asyncio.fixture(scope="module")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),  # each test moves its own workflow's clock
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        data_converter=pydantic_data_converter,
        dev_server_extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture
async def h(skipping_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Harness]:
    """A worker on the skipping server, running the shipped policy at its real durations."""
    settings = new_settings(tmp_path, skipping_env.client)
    async with build_worker(skipping_env.client, settings):
        yield Harness(client=skipping_env.client, settings=settings, policy=SHIPPED)


def minutes(since: datetime, at: datetime) -> int:
    """Whole minutes on the workflow's clock: a delivery goes out a second or so after its timer."""
    return round((at - since).total_seconds() / SECONDS_PER_MINUTE)


def offsets(state) -> dict[str, int]:
    """Each carried-out action's key -> minutes after detection."""
    return {key: minutes(state.detected_at, done.at) for key, done in state.done.items()}


async def test_R_ESC_16_and_R_ESC_18_an_unanswered_sev1_reaches_leadership_at_30m_and_is_briefed_at_2h(
        skipping_env: WorkflowEnvironment, h: Harness) -> None:
    incident = await h.declare("SEV1", actor="system:alert", title="Checkout failing")
    assert await skipping_env.fast_forward(h.handle(incident), timedelta(hours=2, minutes=5))
    state = (await h.view(incident)).state
    at = offsets(state)
    assert at[Keys.SEV1_NOT_MITIGATED] == 30
    assert state.done[Keys.SEV1_NOT_MITIGATED].targets == ("erin",)
    assert at[Keys.OPEN_LONGER_THAN] == 2 * HOUR
    assert at[Keys.page_confirmed("SEV1")] == 10  # the alert's severity held 10 m, then leadership
    assert at[Keys.ack_repeat(3)] == 10  # the chain paged a third time over
    # chased until done: the missing IC climbs to leadership, every 10 minutes to the end
    chases = sorted(v for k, v in at.items() if k.startswith(Keys.first_fifteen("severity-ic", "escalate") + ":"))
    assert chases[:3] == [20, 30, 40] and chases[-1] == 2 * HOUR
    assert state.acknowledged_at is None


async def test_R_PIR_21_a_resolved_incidents_review_is_reminded_then_escalates_at_48h(
        skipping_env: WorkflowEnvironment, h: Harness) -> None:
    incident = await h.declare("SEV2", actor="dana", title="Refunds slow")
    await h.send(incident, Ack(actor="bob"))
    await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
    await h.send(incident, Resolve(actor="bob"))
    resolved = (await h.view(incident)).state.resolved_at
    assert await skipping_env.fast_forward(h.handle(incident), timedelta(hours=49))
    state = (await h.view(incident)).state
    after = {key: minutes(resolved, done.at) for key, done in state.done.items()
         if key.startswith("review:")}
    assert after[Keys.review_reminder("24h")] == 24 * HOUR  # 24 h before the 48 h window ends
    assert after[Keys.review_reminder("4h")] == 44 * HOUR
    assert after[Keys.review_escalation(1)] == 48 * HOUR
    assert state.done[Keys.review_escalation(1)].targets == ("dana", "erin")  # bob's manager, leadership
    assert state.closed_at is None  # still waiting for its review


async def test_R_PIR_23_an_overdue_action_item_is_chased_weekly_after_its_incident_closed(
        skipping_env: WorkflowEnvironment, h: Harness) -> None:
    incident = await h.declare("SEV4", actor="dana", title="Receipt typo")
    await h.send(incident, AssignRole(actor="carol", role="ic", handle="carol"))
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    item = await remote_items.add_item(h.client, h.policy, AddItem(
        actor="carol", incident_id=incident.lower(), title="Spell-check receipts", owner="carol", due=tomorrow),
        h.settings.task_queue)
    await h.send(incident, Resolve(actor="carol"))  # a SEV4 needs no review: closed at once
    await h.handle(incident).result()
    handle = h.client.get_workflow_handle_for(ActionItemWorkflow.run, item.id)
    assert await skipping_env.fast_forward(handle, timedelta(days=9))
    state = await handle.query(ActionItemWorkflow.current)
    overdue = sorted((minutes(state.due_at, d.at), k, d.targets) for k, d in state.done.items()
                 if ":overdue:" in k)
    assert overdue == [(0, f"item:{tomorrow}:overdue:1", ("dana",)),  # at the due time, carol's manager
                   (7 * DAY, f"item:{tomorrow}:overdue:2", ("dana",))]  # and again a week later
    assert state.status == "open"
