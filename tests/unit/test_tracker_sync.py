"""The rules that keep an action item and its tracker issue in step without an echo loop, and the
tracker webhooks as warroom reads them: pure, on fixed instants (no clock, no server)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from warroom.action_items import AddItem, CancelItem, CompleteItem, ItemState, ReopenItem, TrackerReport, reopens
from warroom.commands import Refused
from warroom.policy import load_policy
from warroom.tracker import TrackerKind, TrackerRef, TrackerState
from warroom.tracker_webhooks import JiraWebhook, LinearWebhook

POLICY = load_policy(Path(__file__).resolve().parents[2] / "runbooks")
ADDED = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)  # a fixed instant; nothing here compares it with now
REF = TrackerRef(kind=TrackerKind.jira, id="10001", key="OPS-1", url="https://acme.atlassian.net/browse/OPS-1")


def tracked_item() -> ItemState:
    item = AddItem(actor="carol", incident_id="INC-7K2QD", title="Alert on pool saturation", owner="bob",
                   due=date(2025, 3, 17)).start(1, POLICY, ADDED)
    return item.model_copy(update={"tracker": REF})


def report(state: TrackerState, minutes: int) -> TrackerReport:
    return TrackerReport(actor="system:jira", state=state, at=ADDED + timedelta(minutes=minutes), by="Alice")


def applied(item: ItemState, command, minutes: int = 0) -> ItemState:
    now = ADDED + timedelta(minutes=minutes)
    command.check(item, POLICY, now)
    return command.apply(item, POLICY, now)


def test_closed_there_is_done_here_and_its_repeat_changes_nothing():
    item = applied(tracked_item(), report(TrackerState.done, 5), 6)
    assert (item.status, item.tracker.state, item.history[-1].text) == (
        "done", TrackerState.done, "done on time: closed in Jira OPS-1 by Alice")
    assert item.tracker_state is TrackerState.done  # nothing to move there
    with pytest.raises(Refused, match="is done as warroom knows it"):
        applied(item, report(TrackerState.done, 7), 8)


def test_done_here_then_the_echo_of_warrooms_own_move_is_refused():
    item = applied(tracked_item(), CompleteItem(actor="bob"), 5)
    assert item.tracker_state is TrackerState.done and item.tracker.state is TrackerState.open  # to move there
    moved = item.model_copy(update={"tracker": item.tracker.model_copy(update={"state": TrackerState.done})})
    with pytest.raises(Refused):
        applied(moved, report(TrackerState.done, 6), 7)


def test_a_late_webhook_older_than_the_last_change_applied_is_refused():
    item = applied(tracked_item(), report(TrackerState.done, 10), 11)
    with pytest.raises(Refused, match="a later change"):
        applied(item, report(TrackerState.open, 9), 12)  # the reopen before the close, delivered after it


def test_reopened_there_or_here_chases_again():
    closed = applied(tracked_item(), report(TrackerState.done, 5), 6)
    there = applied(closed, report(TrackerState.open, 30), 31)
    assert (there.status, there.completed_at, there.history[-1].text) == ("open", None,
                                                                         "reopened in Jira OPS-1 by Alice")
    cancelled = applied(tracked_item(), CancelItem(actor="carol", reason="superseded"), 5)
    here = applied(cancelled, ReopenItem(actor="carol", reason="not superseded after all"), 6)
    assert here.status == "open" and here.tracker_state is TrackerState.open
    with pytest.raises(Refused, match="is open"):
        applied(here, ReopenItem(actor="carol", reason="again"), 7)
    assert reopens(ReopenItem(actor="carol", reason="x")) and reopens(report(TrackerState.open, 1))
    assert not reopens(report(TrackerState.done, 1)) and not reopens(CompleteItem(actor="bob"))


def test_an_untracked_item_takes_no_tracker_report():
    item = tracked_item().model_copy(update={"tracker": None})
    with pytest.raises(Refused, match="has no tracker issue"):
        applied(item, report(TrackerState.done, 1), 2)


def _jira(category: str, changed: str = "status") -> dict:
    return {"timestamp": 1893931200000, "webhookEvent": "jira:issue_updated", "user": {"displayName": "Alice"},
            "issue": {"id": "10001", "key": "OPS-1", "fields": {"status": {"name": "x",
                                                                            "statusCategory": {"key": category}}}},
            "changelog": {"items": [{"field": changed, "fromString": "a", "toString": "b"}]}}


def test_jira_status_categories_and_what_is_no_status_change():
    done = JiraWebhook.model_validate(_jira("done")).reported()
    assert (done.state, done.issue_id, done.key, done.by) == (TrackerState.done, "10001", "OPS-1", "Alice")
    assert JiraWebhook.model_validate(_jira("indeterminate")).reported().state is TrackerState.open
    assert JiraWebhook.model_validate(_jira("done", changed="assignee")).reported() is None
    assert JiraWebhook.model_validate({"timestamp": 1, "webhookEvent": "comment_created"}).reported() is None


def test_a_jira_issue_id_that_could_reach_a_visibility_query_is_refused():
    body = _jira("done")
    body["issue"]["id"] = '1" OR WorkflowType="IncidentWorkflow'
    with pytest.raises(ValueError, match="issue.id"):
        JiraWebhook.model_validate(body)


def test_linear_state_types_and_updates_that_move_no_state():
    data = {"id": "6f1d3e2a-4b5c-4d6e-8f70-8192a3b4c5d6", "identifier": "ENG-1", "url": "https://linear.app/x",
            "state": {"name": "Canceled", "type": "canceled"}, "updatedAt": "2025-03-03T10:05:00.000Z"}
    body = {"action": "update", "type": "Issue", "data": data, "updatedFrom": {"stateId": "s"},
            "actor": {"name": "Alice"}, "webhookTimestamp": 1893931500000}
    moved = LinearWebhook.model_validate(body).reported()
    assert (moved.state, moved.key, moved.at) == (TrackerState.done, "ENG-1",
                                                  datetime(2025, 3, 3, 10, 5, tzinfo=UTC))
    assert LinearWebhook.model_validate({**body, "updatedFrom": {"title": "old"}}).reported() is None
    comment = {"action": "create", "type": "Comment", "data": {"body": "hi"}, "webhookTimestamp": 1}
    assert LinearWebhook.model_validate(comment).reported() is None
