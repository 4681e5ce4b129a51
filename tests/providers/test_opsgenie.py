"""Opsgenie's Alert API against a local server that checks the create-alert request and answers
like Opsgenie (https://docs.opsgenie.com/docs/alert-api#create-alert)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from activities.opsgenie import OpsgeniePager
from tests.providers.conftest import delivery, failure
from tests.providers.fakes import Answer, FakeService, Request
from warroom.config_file import SecretRef

KEY = "eb243592-faa2-4ba2-a551q-1afdf565c889"
ENV = "WARROOM_TEST_OPSGENIE_KEY"


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv(ENV, KEY)


def opsgenie(request: Request) -> Answer:
    assert request.method == "POST" and request.path == "/v2/alerts"
    if request.headers.get("authorization") != f"GenieKey {KEY}":
        return Answer(401, {"message": "Key format is not valid!", "took": 0.001, "requestId": "r-1"})
    alert = request.json
    if not alert.get("message") or len(alert["message"]) > 130 or len(alert.get("alias", "")) > 512:
        return Answer(422, {"message": "Request body is not processable", "took": 0.001, "requestId": "r-2"})
    return Answer(202, {"result": "Request will be processed", "took": 0.302, "requestId": "43a29c5c-3dbf"})


def pager(service: FakeService) -> OpsgeniePager:
    return OpsgeniePager(SecretRef(env=ENV), base_url=service.url)


async def test_one_alert_aliased_by_the_idempotency_key_with_the_people_as_responders():
    with FakeService(opsgenie) as service:
        await pager(service).page(delivery("bob", "judy", subject="x" * 500))
        (request,) = service.seen()
    alert = request.json
    assert alert["alias"] == "INC-7K2QD:page:SEV1"
    assert len(alert["message"]) == 130
    assert alert["responders"] == [
        {"type": "user", "username": "bob@example.com"},
        {"type": "user", "username": "judy@example.com"},
    ]
    assert alert["priority"] == "P1" and "warroom" in alert["tags"]
    assert alert["details"]["incident"] == "INC-7K2QD" and alert["details"]["action_key"] == "page:SEV1"
    assert alert["description"].startswith("PAGE INC-7K2QD")


async def test_a_retry_creates_with_the_same_alias():
    with FakeService(opsgenie) as service:
        await pager(service).page(delivery("bob"))
        await pager(service).page(delivery("bob"))
        assert [r.json["alias"] for r in service.seen()] == ["INC-7K2QD:page:SEV1"] * 2  # Opsgenie de-duplicates


async def test_429_honours_retry_after():
    with FakeService(lambda r: Answer(429, {"message": "rate limited"}, {"Retry-After": "12"})) as service:
        error = await failure(pager(service).page(delivery("bob")))
    assert not error.non_retryable and error.next_retry_delay == timedelta(seconds=12)


async def test_500_retries():
    with FakeService(lambda r: Answer(500, {"message": "internal"})) as service:
        assert not (await failure(pager(service).page(delivery("bob")))).non_retryable


async def test_wrong_key_is_not_retried_and_not_shown(monkeypatch):
    monkeypatch.setenv(ENV, "not-the-key")
    with FakeService(opsgenie) as service:
        error = await failure(pager(service).page(delivery("bob")))
    assert error.non_retryable and "HTTP 401" in error.message and "not-the-key" not in error.message
