"""Linear's GraphQL API against a local, stateful stand-in that checks each documented operation
(https://linear.app/developers/graphql: `Authorization: <API key>`, issueCreate with a client
chosen UUID v4 id, issueUpdate with a workflow state of the team)."""

from __future__ import annotations

import pytest

from activities.linear import Linear, issue_id_for
from tests.providers.conftest import failure
from tests.providers.fake_trackers import LINEAR_KEY, LINEAR_TEAM, V4, FakeLinear
from tests.providers.fakes import FakeService
from warroom.config_file import SecretRef
from warroom.tracker import TrackerIssue, TrackerState

ENV = "WARROOM_TEST_LINEAR_KEY"
ITEM = TrackerIssue(key="INC-7K2QD-A1", title="Alert on connection-pool saturation (INC-7K2QD-A1)",
                    text="Action item INC-7K2QD-A1 from incident INC-7K2QD.")


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv(ENV, LINEAR_KEY)


def provider(service: FakeService) -> Linear:
    return Linear(SecretRef(env=ENV), LINEAR_TEAM, base_url=service.url)


def test_the_issue_id_is_a_v4_uuid_fixed_by_the_key():
    assert V4.match(issue_id_for("INC-7K2QD-A1"))
    assert issue_id_for("INC-7K2QD-A1") == issue_id_for("INC-7K2QD-A1") != issue_id_for("INC-7K2QD-A2")


async def test_an_item_becomes_one_issue_however_often_the_create_is_retried():
    linear = FakeLinear()
    with FakeService(linear) as service:
        ref = await provider(service).create_issue(ITEM)
        again = await provider(service).create_issue(ITEM)
    (issue,) = linear.issues.values()
    assert (ref.id, ref.key, ref.url) == (issue_id_for(ITEM.key), "ENG-1", "https://linear.app/acme/issue/ENG-1")
    assert again == ref and issue["title"] == ITEM.title
    assert linear.operations == ["WarroomIssue", "WarroomIssueCreate", "WarroomIssue"]


async def test_done_picks_the_teams_completed_state_and_reopen_its_first_unstarted():
    linear = FakeLinear()
    with FakeService(linear) as service:
        ref = await provider(service).create_issue(ITEM)
        await provider(service).set_state(ref, TrackerState.done)
        assert linear.by_identifier("ENG-1")["state"]["name"] == "Done"
        await provider(service).set_state(ref, TrackerState.done)  # already done: no update
        await provider(service).set_state(ref, TrackerState.open)
    assert linear.by_identifier("ENG-1")["state"]["name"] == "Todo"
    assert linear.operations.count("WarroomIssueUpdate") == 2


async def test_rate_limits_retry_and_a_wrong_key_does_not(monkeypatch):
    with FakeService(FakeLinear(rate_limit_once=True)) as service:
        error = await failure(provider(service).create_issue(ITEM))
    assert not error.non_retryable and error.type == "ProviderThrottled"
    monkeypatch.setenv(ENV, "lin_api_wrong")
    with FakeService(FakeLinear()) as service:
        error = await failure(provider(service).create_issue(ITEM))
    assert error.non_retryable and "Authentication required" in error.message and "lin_api_wrong" not in error.message
