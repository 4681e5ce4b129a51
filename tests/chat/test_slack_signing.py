"""Slack request signing on both Slack endpoints: a request is refused with 401, and nothing is done,
unless X-Slack-Signature is Slack's v0 HMAC of the raw body under the configured signing secret
with a fresh X-Slack-Request-Timestamp. Signatures are built here, from Slack's documentation."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest

from tests.chat.support import (
    SIGNING_ENV,
    SIGNING_SECRET,
    SLACK_ID,
    block_actions_body,
    chat_config,
    command_body,
    incidents_titled,
    signed_headers,
    slash,
    unique_title,
)
from tests.workflow.harness import Harness, gateway, incidents_of

COMMANDS = "/v1/chat/slack/commands"
INTERACTIONS = "/v1/chat/slack/interactions"


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv(SIGNING_ENV, SIGNING_SECRET)


def since() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def assert_nothing_declared(h: Harness, title: str, started: str, existing: tuple[str, ...] = ()) -> None:
    """No incident with this title anywhere (any task queue), watched for a moment (visibility
    is eventually consistent), and none on the harness's queue."""
    for _ in range(15):
        assert await incidents_titled(h, title, started) == []
        await asyncio.sleep(0.1)
    assert await incidents_of(h, expected=len(existing) + 1, timeout=0) == sorted(existing)


def unauthorised(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert "error" in response.json()


@pytest.mark.parametrize(
    "case",
    [
        "bad signature",
        "signed with another secret",
        "stale timestamp",
        "future timestamp",
        "missing headers",
        "missing signature",
        "missing timestamp",
        "body changed after signing",
    ],
)
async def test_a_slash_command_that_slack_did_not_sign_is_refused_and_declares_nothing(make_harness, case):
    async with make_harness() as h, gateway(h, chat_config()) as client:
        title = unique_title("Checkout failing")
        started = since()
        body = command_body(f"declare sev1 payments {title}", SLACK_ID["dana"])
        headers = signed_headers(body)
        if case == "bad signature":
            headers["X-Slack-Signature"] = "v0=" + "0" * 64
        elif case == "signed with another secret":
            headers = signed_headers(body, secret="not-the-signing-secret")
        elif case == "stale timestamp":
            headers = signed_headers(body, timestamp=int(time.time()) - 600)  # ten minutes old, correctly signed
        elif case == "future timestamp":
            headers = signed_headers(body, timestamp=int(time.time()) + 600)
        elif case == "missing headers":
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        elif case == "missing signature":
            del headers["X-Slack-Signature"]
        elif case == "missing timestamp":
            del headers["X-Slack-Request-Timestamp"]
        elif case == "body changed after signing":
            body = command_body(f"declare sev2 payments {title}", SLACK_ID["dana"])
        response = await client.post(COMMANDS, content=body, headers=headers)
        unauthorised(response)
        await assert_nothing_declared(h, title, started)


async def test_without_a_signing_secret_every_slack_request_is_refused(make_harness, monkeypatch):
    async with make_harness() as h:
        incident = await h.declare("SEV2")
        title = unique_title("Checkout failing")
        started = since()
        # Not configured at all, and configured with its environment variable unset.
        monkeypatch.delenv(SIGNING_ENV)
        for config in (chat_config(slack=False), chat_config()):
            async with gateway(h, config) as client:
                declare = command_body(f"declare sev1 payments {title}", SLACK_ID["dana"])
                unauthorised(await client.post(COMMANDS, content=declare, headers=signed_headers(declare)))
                ack = command_body(f"ack {incident}", SLACK_ID["bob"])
                unauthorised(await client.post(COMMANDS, content=ack, headers=signed_headers(ack)))
                press = block_actions_body("ack", incident, SLACK_ID["bob"], "http://127.0.0.1:9/none")
                unauthorised(await client.post(INTERACTIONS, content=press, headers=signed_headers(press)))
        await assert_nothing_declared(h, title, started, existing=(incident,))
        state = (await h.view(incident)).state
        assert state.acknowledged_at is None and not [e for e in state.timeline if e.actor == "bob"]


async def test_a_button_press_that_slack_did_not_sign_is_refused_and_changes_nothing(make_harness):
    async with make_harness() as h, gateway(h, chat_config()) as client:
        incident = await h.declare("SEV2")
        body = block_actions_body("ack", incident, SLACK_ID["bob"], "http://127.0.0.1:9/none")
        for headers in (
            {**signed_headers(body), "X-Slack-Signature": "v0=" + "f" * 64},
            signed_headers(body, timestamp=int(time.time()) - 600),
            {"Content-Type": "application/x-www-form-urlencoded"},
            signed_headers(body, secret="not-the-signing-secret"),
        ):
            unauthorised(await client.post(INTERACTIONS, content=body, headers=headers))
        await asyncio.sleep(1)  # anything wrongly started in the background would have acted by now
        state = (await h.view(incident)).state
        assert state.acknowledged_at is None and not [e for e in state.timeline if e.actor == "bob"]


async def test_a_refused_ack_changes_nothing_while_the_signed_one_acknowledges(make_harness):
    async with make_harness() as h, gateway(h, chat_config()) as client:
        incident = await h.declare("SEV2")
        body = command_body(f"ack {incident}", SLACK_ID["bob"])
        stale = signed_headers(body, timestamp=int(time.time()) - 600)
        unauthorised(await client.post(COMMANDS, content=body, headers=stale))
        assert (await h.view(incident)).state.acknowledged_at is None
        answer = await slash(client, f"ack {incident}", "bob")  # the same, signed now
        assert answer.status_code == 200, answer.text
        state = (await h.wait_view(incident, lambda v: v.state.acknowledged_at is not None)).state
        assert state.acknowledged_by == "bob"
