"""Jira Cloud REST API v3 against a local, stateful stand-in that checks each documented request
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/: issues, search/jql, transitions)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from activities.jira import JiraCloud, adf, label_for
from activities.tracking import TrackerTicketing
from tests.providers.conftest import delivery, failure
from tests.providers.fake_trackers import JIRA_EMAIL, JIRA_PROJECT, JIRA_TOKEN, FakeJira
from tests.providers.fakes import Answer, FakeService
from warroom.config_file import SecretRef
from warroom.tracker import TrackerIssue, TrackerState

ENV = "WARROOM_TEST_JIRA_TOKEN"
ITEM = TrackerIssue(key="INC-7K2QD-A1", title="Alert on connection-pool saturation (INC-7K2QD-A1)",
                    text="Action item INC-7K2QD-A1 from incident INC-7K2QD.\n\nOwner: judy; due 2030-01-31.")


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv(ENV, JIRA_TOKEN)


def serve(jira: FakeJira) -> tuple[FakeService, JiraCloud]:
    service = FakeService(jira)
    jira.base_url = service.url
    return service, JiraCloud(service.url, JIRA_EMAIL, SecretRef(env=ENV), JIRA_PROJECT)


async def test_an_item_becomes_one_issue_with_its_label_and_an_adf_description():
    jira = FakeJira()
    service, provider = serve(jira)
    with service:
        ref = await provider.create_issue(ITEM)
        again = await provider.create_issue(ITEM)  # a retried activity: found by its label
    (issue,) = jira.issues.values()
    assert (ref.key, ref.id, ref.url, ref.state) == ("OPS-1", issue["id"], f"{service.url}/browse/OPS-1",
                                                     TrackerState.open)
    assert again == ref
    assert issue["fields"]["labels"] == ["warroom", "warroom-INC-7K2QD-A1"]
    assert issue["fields"]["summary"] == ITEM.title
    texts = [block["content"][0]["text"] for block in issue["fields"]["description"]["content"]]
    assert texts == ["Action item INC-7K2QD-A1 from incident INC-7K2QD.", "Owner: judy; due 2030-01-31."]
    assert [(r.method, r.path) for r in service.seen()] == [
        ("POST", "/rest/api/3/search/jql"), ("POST", "/rest/api/3/issue"), ("POST", "/rest/api/3/search/jql")]


async def test_a_create_whose_answer_was_lost_is_found_on_the_retry():
    jira = FakeJira(fail_create_answer=True)
    service, provider = serve(jira)
    with service:
        error = await failure(provider.create_issue(ITEM))
        assert not error.non_retryable  # a 500: Temporal retries
        ref = await provider.create_issue(ITEM)
    assert len(jira.issues) == 1 and ref.key == "OPS-1"


async def test_done_and_reopen_take_the_transition_to_a_status_of_that_category():
    jira = FakeJira()
    service, provider = serve(jira)
    with service:
        ref = await provider.create_issue(ITEM)
        await provider.set_state(ref, TrackerState.done)
        assert jira.by_key("OPS-1")["fields"]["status"]["name"] == "Done"
        await provider.set_state(ref, TrackerState.done)  # already there: no second transition
        await provider.set_state(ref, TrackerState.open)
        transitions = [r.json for r in service.seen() if r.method == "POST" and r.path.endswith("/transitions")]
    assert jira.by_key("OPS-1")["fields"]["status"]["name"] == "To Do"  # `new` before `indeterminate`
    assert transitions == [{"transition": {"id": "31"}}, {"transition": {"id": "11"}}]


async def test_a_workflow_without_a_way_to_done_is_refused_for_good():
    jira = FakeJira(transitions=(("21", "In Progress"),))
    service, provider = serve(jira)
    with service:
        ref = await provider.create_issue(ITEM)
        error = await failure(provider.set_state(ref, TrackerState.done))
    assert error.non_retryable and "no transition to a done status" in error.message and "In Progress" in error.message


async def test_a_sev4_ticket_is_an_issue_keyed_by_the_action():
    jira = FakeJira()
    service, provider = serve(jira)
    ticket = delivery("bob", action_key="ticket:open", channel="ticket", subject="[INC-7K2QD] Checkout slow")
    with service:
        ref = await TrackerTicketing(provider).open_ticket(ticket)
        again = await TrackerTicketing(provider).open_ticket(ticket)
    (issue,) = jira.issues.values()
    assert ref == again and issue["fields"]["labels"] == ["warroom", label_for("INC-7K2QD:ticket:open")]
    assert issue["fields"]["summary"] == "[INC-7K2QD] Checkout slow"


async def test_credentials_throttling_and_outages():
    with FakeService(FakeJira()) as service:
        wrong = JiraCloud(service.url, "someone@example.com", SecretRef(env=ENV), JIRA_PROJECT)
        error = await failure(wrong.create_issue(ITEM))
    assert error.non_retryable and "HTTP 401" in error.message and JIRA_TOKEN not in error.message
    with FakeService(lambda r: Answer(429, {"errorMessages": ["Rate limit"]}, {"Retry-After": "7"})) as service:
        error = await failure(JiraCloud(service.url, JIRA_EMAIL, SecretRef(env=ENV), JIRA_PROJECT).create_issue(ITEM))
    assert not error.non_retryable and error.next_retry_delay == timedelta(seconds=7)


async def test_an_unset_token_sends_nothing(monkeypatch):
    monkeypatch.delenv(ENV)
    with FakeService(FakeJira()) as service:
        error = await failure(JiraCloud(service.url, JIRA_EMAIL, SecretRef(env=ENV), JIRA_PROJECT).create_issue(ITEM))
        assert service.seen() == []
    assert error.non_retryable and ENV in error.message


def test_adf_skips_blank_lines_which_jira_refuses_as_empty_text_nodes():
    assert adf("one\n\n  \ntwo") == {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "one"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "two"}]},
    ]}
