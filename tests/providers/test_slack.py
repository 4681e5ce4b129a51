"""Slack against a local server that checks chat.postMessage and incoming-webhook requests and
answers like Slack (https://api.slack.com/methods/chat.postMessage, /messaging/webhooks)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from activities.slack import SlackMessenger, SlackWebhookMessenger
from tests.providers.conftest import delivery, failure
from tests.providers.fakes import Answer, FakeService, Request
from warroom.config_file import SecretRef
from warroom.delivery import Recipient

TOKEN = "xoxb-0000-test-bot-token"
ENV = "WARROOM_TEST_SLACK_TOKEN"


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv(ENV, TOKEN)


def slack(request: Request) -> Answer:
    """chat.postMessage's checks; errors the Slack way: HTTP 200 with ok false."""
    assert request.method == "POST" and request.path == "/api/chat.postMessage"
    assert request.headers["content-type"].startswith("application/json")
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return Answer(200, {"ok": False, "error": "invalid_auth"})
    message = request.json
    if not message["channel"].startswith(("U", "C", "#")):
        return Answer(200, {"ok": False, "error": "channel_not_found"})
    assert message["text"]
    assert [b["type"] for b in message["blocks"]] == ["section", "context"]
    assert message["metadata"]["event_type"] == "warroom_action"
    return Answer(
        200,
        {
            "ok": True,
            "channel": "D0" + message["channel"][1:],
            "ts": "1503435956.000247",
            "message": {"text": message["text"]},
        },
    )


def messenger(service: FakeService, **kwargs) -> SlackMessenger:
    return SlackMessenger(SecretRef(env=ENV), base_url=service.url, **kwargs)


async def test_a_direct_message_to_each_person_by_their_slack_user_id():
    with FakeService(slack) as service:
        await messenger(service).remind(delivery("bob", "heidi", action_key="remind:ic", channel="chat"))
        messages = [r.json for r in service.seen()]
    assert [m["channel"] for m in messages] == ["U0BOB0002", "U0HEIDI08"]  # oncall.yaml slack_user_id
    first = messages[0]
    assert first["metadata"]["event_payload"] == {"idempotency_key": "INC-7K2QD:remind:ic"}
    assert "*[INC-7K2QD] Checkout failing*" in first["blocks"][0]["text"]["text"]
    assert "remind:ic" in first["blocks"][1]["elements"][0]["text"]


async def test_contacts_slack_and_the_fallback_channel_are_used_when_there_is_no_user_id():
    nobody = Recipient(handle="zed", name="Zed", contacts={})
    chatty = Recipient(handle="yan", name="Yan", contacts={"slack": "U0YAN0001"})
    with FakeService(slack) as service:
        plain = SlackMessenger(SecretRef(env=ENV), base_url=service.url, fallback_channel="#incidents")
        await plain.notify(delivery(channel="email", recipients=(chatty, nobody)))
        assert [r.json["channel"] for r in service.seen()] == ["U0YAN0001", "#incidents"]


async def test_someone_unreachable_is_reported_after_the_others_got_it():
    nobody = Recipient(handle="zed", name="Zed", contacts={})
    with FakeService(slack) as service:
        error = await failure(
            messenger(service).remind(delivery(channel="chat", recipients=(nobody,) + delivery("bob").recipients))
        )
        assert [r.json["channel"] for r in service.seen()] == ["U0BOB0002"]
    assert error.non_retryable and "zed" in error.message


async def test_ok_false_ratelimited_is_retried():
    with FakeService(lambda r: Answer(200, {"ok": False, "error": "ratelimited"})) as service:
        error = await failure(messenger(service).remind(delivery(channel="chat")))
    assert not error.non_retryable and "ratelimited" in error.message


@pytest.mark.parametrize("error_code", ["invalid_auth", "channel_not_found", "not_in_channel", "is_archived"])
async def test_ok_false_errors_are_not_retried(error_code):
    with FakeService(lambda r: Answer(200, {"ok": False, "error": error_code})) as service:
        error = await failure(messenger(service).remind(delivery(channel="chat")))
    assert error.non_retryable and error_code in error.message and TOKEN not in error.message


async def test_a_wrong_token_is_invalid_auth(monkeypatch):
    monkeypatch.setenv(ENV, "xoxb-wrong")
    with FakeService(slack) as service:
        error = await failure(messenger(service).remind(delivery(channel="chat")))
    assert error.non_retryable and "invalid_auth" in error.message and "xoxb-wrong" not in error.message


async def test_http_429_honours_retry_after():
    with FakeService(lambda r: Answer(429, "", {"Retry-After": "30"})) as service:
        error = await failure(messenger(service).remind(delivery(channel="chat")))
    assert not error.non_retryable and error.next_retry_delay == timedelta(seconds=30)


async def test_http_500_is_retried():
    with FakeService(lambda r: Answer(500, "")) as service:
        assert not (await failure(messenger(service).remind(delivery(channel="chat")))).non_retryable


# Incoming webhooks ------------------------------------------------------------------------------

HOOK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
HOOK_ENV = "WARROOM_TEST_SLACK_WEBHOOK"


def incoming_webhook(request: Request) -> Answer:
    if request.method != "POST" or request.path != HOOK_PATH:
        return Answer(404, "no_service")
    body = request.json
    if not body.get("text"):
        return Answer(400, "invalid_payload")
    assert [b["type"] for b in body["blocks"]] == ["section", "context"]
    return Answer(200, "ok")


async def test_incoming_webhook_posts_text_and_blocks(monkeypatch):
    with FakeService(incoming_webhook) as service:
        monkeypatch.setenv(HOOK_ENV, service.url + HOOK_PATH)
        await SlackWebhookMessenger(SecretRef(env=HOOK_ENV)).remind(delivery("bob", channel="chat"))
        (request,) = service.seen()
    body = request.json
    assert body["text"].startswith("[INC-7K2QD] Checkout failing")
    assert "<@U0BOB0002>" in body["blocks"][1]["elements"][-1]["text"]


async def test_incoming_webhook_errors_never_show_the_url(monkeypatch):
    with FakeService(lambda r: Answer(404, "channel_not_found")) as service:
        monkeypatch.setenv(HOOK_ENV, service.url + HOOK_PATH)
        error = await failure(SlackWebhookMessenger(SecretRef(env=HOOK_ENV)).remind(delivery(channel="chat")))
    assert error.non_retryable and "channel_not_found" in error.message
    assert "XXXXXXXX" not in error.message and "/services/" not in error.message
