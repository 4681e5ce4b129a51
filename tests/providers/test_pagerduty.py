"""PagerDuty Events API v2 against a local server that checks each trigger and answers like
PagerDuty (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from temporalio.testing import ActivityEnvironment

from activities.pagerduty import PagerDutyPager
from tests.providers.conftest import delivery, failure
from tests.providers.fakes import Answer, FakeService, Request
from warroom.config_file import SecretRef

ROUTING_KEY = "R0UT1NGKEY0000000000000000000001"  # 32 characters, as PagerDuty's
ENV = "WARROOM_TEST_PD_ROUTING_KEY"


@pytest.fixture(autouse=True)
def routing_key(monkeypatch):
    monkeypatch.setenv(ENV, ROUTING_KEY)


def pagerduty(request: Request) -> Answer:
    """PagerDuty's checks, then its documented 202; a wrong event gets its documented 400."""
    assert request.method == "POST" and request.path == "/v2/enqueue"
    assert request.headers["content-type"].startswith("application/json")
    event = request.json
    if event.get("routing_key") != ROUTING_KEY:
        return Answer(
            400,
            {
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
            },
        )
    assert event["event_action"] == "trigger"
    payload = event["payload"]
    assert set(payload) >= {"summary", "source", "severity"} and len(payload["summary"]) <= 1024
    assert payload["source"] == "warroom" and payload["severity"] == "critical"
    assert event["client"] == "warroom"
    return Answer(202, {"status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]})


def pager(service: FakeService) -> PagerDutyPager:
    return PagerDutyPager(SecretRef(env=ENV), base_url=service.url)


async def test_one_trigger_per_person_with_a_stable_dedup_key():
    with FakeService(pagerduty) as service:
        await pager(service).page(delivery("bob", "judy", "erin", subject="S" * 2000))
        events = [r.json for r in service.seen()]
    assert [e["dedup_key"] for e in events] == [
        "INC-7K2QD:page:SEV1:bob",
        "INC-7K2QD:page:SEV1:judy",
        "INC-7K2QD:page:SEV1:erin",
    ]
    first = events[0]["payload"]
    assert first["summary"] == "S" * 1024
    assert first["custom_details"]["incident"] == "INC-7K2QD"
    assert first["custom_details"]["action_key"] == "page:SEV1"
    assert first["custom_details"]["recipients"][0]["handle"] == "bob"
    assert first["custom_details"]["text"].startswith("PAGE INC-7K2QD")


async def test_a_retry_sends_the_same_dedup_keys():
    with FakeService(pagerduty) as service:
        await pager(service).page(delivery("bob"))
        await pager(service).page(delivery("bob"))
        keys = [r.json["dedup_key"] for r in service.seen()]
    assert keys == ["INC-7K2QD:page:SEV1:bob"] * 2  # PagerDuty folds the second into the open alert


async def test_a_retried_attempt_skips_the_people_already_paged():
    """Each accepted event is recorded in the heartbeat details; the next attempt gets them back."""
    fail_judy = {"left": 1}

    def flaky(request: Request) -> Answer:
        if request.json["dedup_key"].endswith(":judy") and fail_judy["left"]:
            fail_judy["left"] -= 1
            return Answer(500, {"status": "error"})
        return pagerduty(request)

    beats: list = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    with FakeService(flaky) as service:
        message = delivery("bob", "judy", "erin")
        error = await failure(env.run(pager(service).page, message))
        assert not error.non_retryable
        env.info = dataclasses.replace(env.info, heartbeat_details=list(beats[-1]), attempt=2, task_token=b"attempt-2")
        await env.run(pager(service).page, message)
        keys = [r.json["dedup_key"].rsplit(":", 1)[1] for r in service.seen()]
    assert keys == ["bob", "judy", "judy", "erin"]  # bob is not paged twice


async def test_429_is_retried_after_the_time_it_asks_for():
    with FakeService(lambda r: Answer(429, {"status": "throttle exceeded"}, {"Retry-After": "30"})) as service:
        error = await failure(pager(service).page(delivery("bob")))
    assert not error.non_retryable and error.next_retry_delay == timedelta(seconds=30)


async def test_500_is_retried():
    with FakeService(lambda r: Answer(500, "Internal Server Error")) as service:
        error = await failure(pager(service).page(delivery("bob")))
    assert not error.non_retryable


async def test_400_invalid_event_is_not_retried_and_never_shows_the_key(monkeypatch):
    monkeypatch.setenv(ENV, "wrong-key-wrong-key")
    with FakeService(pagerduty) as service:
        error = await failure(pager(service).page(delivery("bob")))
    assert error.non_retryable and error.type == "ProviderRejected"
    assert "invalid event" in error.message and "wrong-key-wrong-key" not in error.message


async def test_an_unset_routing_key_names_the_variable_not_a_value(monkeypatch):
    monkeypatch.delenv(ENV)
    with FakeService(pagerduty) as service:
        error = await failure(pager(service).page(delivery("bob")))
        assert service.seen() == []
    assert error.non_retryable and ENV in error.message
