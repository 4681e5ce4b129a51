"""The webhook provider against a local receiver that verifies Standard Webhooks signatures with
warroom's own verifier (the gateway's generic endpoint) and checks the documented bodies."""

from __future__ import annotations

import base64

import pytest

from activities.webhook import WebhookProvider
from tests.providers.conftest import delivery, failure, update
from tests.providers.fakes import Answer, FakeService, Request
from warroom.config_file import SecretRef, StandardWebhooksAuth
from warroom.gateway.auth import AuthError, standard_webhooks

SECRET = "whsec_" + base64.b64encode(b"a test signing key of 32 bytes!!").decode()
ENV = "WARROOM_TEST_WEBHOOK_SECRET"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv(ENV, SECRET)


def receiver(request: Request) -> Answer:
    assert request.method == "POST" and request.path == "/hooks/warroom"
    assert request.headers["content-type"] == "application/json"
    try:
        standard_webhooks(StandardWebhooksAuth(secret=SecretRef(env=ENV)), request.headers, request.body)
    except AuthError as exc:
        return Answer(exc.status, {"error": str(exc)})
    return Answer(204)


def provider(service: FakeService) -> WebhookProvider:
    return WebhookProvider(service.url + "/hooks/warroom", SecretRef(env=ENV))


@pytest.mark.parametrize(
    ("method", "kind"), [("page", "page"), ("notify", "notify"), ("remind", "remind"), ("open_ticket", "ticket")]
)
async def test_every_channel_posts_a_signed_json_message(method, kind):
    with FakeService(receiver) as service:
        await getattr(provider(service), method)(delivery("bob", "judy"))
        (request,) = service.seen()
    assert request.headers["webhook-id"] == "INC-7K2QD:page:SEV1"
    assert request.headers["webhook-signature"].startswith("v1,")
    body = request.json
    assert body["type"] == kind
    assert {k: body[k] for k in ("incident_id", "action_key", "channel", "subject")} == {
        "incident_id": "INC-7K2QD",
        "action_key": "page:SEV1",
        "channel": "pager",
        "subject": "[INC-7K2QD] Checkout failing",
    }
    assert [r["handle"] for r in body["recipients"]] == ["bob", "judy"]
    assert body["recipients"][0]["contacts"]["email"] == "bob@example.com"
    assert body["text"].startswith("PAGE INC-7K2QD")


async def test_a_status_update_is_posted_with_its_key_as_webhook_id():
    with FakeService(receiver) as service:
        await provider(service).publish(update("identified", "We found the cause."))
        (request,) = service.seen()
    assert request.headers["webhook-id"] == "INC-7K2QD:customer-update:identified"
    body = request.json
    assert body["type"] == "status_update" and body["status"] == "identified"
    assert body["components"] == {"Checkout": "major_outage", "Refunds": "degraded_performance"}


async def test_a_retry_keeps_the_webhook_id():
    with FakeService(receiver) as service:
        await provider(service).page(delivery("bob"))
        await provider(service).page(delivery("bob"))
        assert {r.headers["webhook-id"] for r in service.seen()} == {"INC-7K2QD:page:SEV1"}


async def test_a_receiver_that_refuses_the_signature_is_not_retried(monkeypatch):
    monkeypatch.setenv("WARROOM_TEST_OTHER_SECRET", "whsec_" + base64.b64encode(b"some other key").decode())
    with FakeService(receiver) as service:  # the receiver checks with $WARROOM_TEST_WEBHOOK_SECRET
        sender = WebhookProvider(service.url + "/hooks/warroom", SecretRef(env="WARROOM_TEST_OTHER_SECRET"))
        error = await failure(sender.page(delivery("bob")))
    assert error.non_retryable and "HTTP 403" in error.message


async def test_500_retries_and_429_waits():
    with FakeService(lambda r: Answer(500, "boom")) as service:
        assert not (await failure(provider(service).page(delivery("bob")))).non_retryable
    with FakeService(lambda r: Answer(429, "", {"Retry-After": "5"})) as service:
        error = await failure(provider(service).page(delivery("bob")))
    assert not error.non_retryable and error.next_retry_delay.total_seconds() == 5


async def test_a_secret_that_is_not_base64_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv(ENV, "whsec_!!!not base64!!!")
    with FakeService(receiver) as service:
        error = await failure(provider(service).page(delivery("bob")))
        assert service.seen() == []
    assert error.non_retryable and "!!!not base64!!!" not in error.message
