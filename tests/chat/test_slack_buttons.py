"""The incident message's buttons (Slack interactivity): POST /v1/chat/slack/interactions with a
signed block_actions payload. Slack wants 200 at once; what the button did, or why it was refused,
follows through the payload's `response_url`."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.chat.support import SIGNING_ENV, SIGNING_SECRET, ResponseUrl, chat_config, events_by, press
from tests.workflow.harness import gateway
from warroom.state import Stage


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv(SIGNING_ENV, SIGNING_SECRET)


def accepted(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text


async def test_each_button_does_what_it_says_as_the_person_who_pressed_it(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            incident = await h.declare("SEV1", actor="dana")

            url = hook.url("actions")
            accepted(await press(client, "ack", incident, "bob", url))
            state = (await h.wait_view(incident, lambda v: v.state.acknowledged_at is not None)).state
            assert state.acknowledged_by == "bob" and events_by(state, "bob", "acknowledged")
            [said] = await hook.wait(url)
            assert said["response_type"] == "in_channel" and "acknowledged by bob" in said["text"], said

            url = hook.url("actions")
            accepted(await press(client, "ic", incident, "bob", url))
            state = (await h.wait_view(incident, lambda v: v.state.ic is not None)).state
            assert state.ic == "bob" and events_by(state, "bob", "role")
            [said] = await hook.wait(url)
            assert said["response_type"] == "in_channel" and incident in said["text"], said

            url = hook.url("actions")  # R-ROLE-1: the IC adds SMEs; volunteering is told so
            accepted(await press(client, "sme", incident, "judy", url))
            [said] = await hook.wait(url)
            assert said["response_type"] == "ephemeral", said
            assert "only the IC (bob) assigns the comms lead and the SMEs (R-ROLE-1)" in said["text"], said
            assert not (await h.view(incident)).state.smes

            url = hook.url("actions")
            accepted(await press(client, "escalate", incident, "carol", url))
            state = (await h.wait_view(incident, lambda v: bool(v.state.escalations))).state
            [escalation] = state.escalations
            assert escalation.actor == "carol" and escalation.reason
            assert escalation.to in {t.value for t in h.policy.rules.escalation.manual_targets}
            assert events_by(state, "carol", "escalation")
            [said] = await hook.wait(url)
            assert said["response_type"] == "in_channel", said

            url = hook.url("actions")
            before = (await h.view(incident)).state
            accepted(await press(client, "update", incident, "heidi", url))
            [said] = await hook.wait(url)
            assert said["response_type"] == "ephemeral", said
            assert f"/incident update {incident}" in said["text"]
            for option in ("--impact", "--theory", "--next-steps"):
                assert option in said["text"]
            after = (await h.view(incident)).state
            assert after.updates == before.updates == () and not events_by(after, "heidi")

            url = hook.url("actions")
            accepted(await press(client, "resolve", incident, "dana", url))  # not the IC
            [said] = await hook.wait(url)
            assert said["response_type"] == "ephemeral", said
            assert "only the IC (bob)" in said["text"] and "R-ROLE-4" in said["text"], said
            state = (await h.view(incident)).state
            assert state.resolved_at is None and not events_by(state, "dana", "resolved")

            url = hook.url("actions")
            accepted(await press(client, "resolve", incident, "bob", url))  # the IC
            state = (await h.wait_view(incident, lambda v: v.state.resolved_at is not None)).state
            assert state.resolved_by == "bob" and state.stage is Stage.in_review
            [said] = await hook.wait(url)
            assert said["response_type"] == "in_channel" and "resolved" in said["text"], said


async def test_a_button_pressed_by_someone_not_in_the_roster_is_explained_and_does_nothing(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            incident = await h.declare("SEV2")
            url = hook.url("actions")
            accepted(await press(client, "ack", incident, "U0STRANGER", url))
            [said] = await hook.wait(url)
            assert said["response_type"] == "ephemeral"
            assert "slack_user_id" in said["text"] and "U0STRANGER" in said["text"]
            await asyncio.sleep(0.5)
            assert (await h.view(incident)).state.acknowledged_at is None


async def test_pressing_a_button_again_is_answered_with_the_refusal_and_changes_nothing(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            incident = await h.declare("SEV2")
            first = hook.url("actions")
            accepted(await press(client, "ic", incident, "bob", first))
            await hook.wait(first)
            state = (await h.view(incident)).state
            assert state.ic == "bob"
            again = hook.url("actions")
            accepted(await press(client, "ic", incident, "bob", again))
            [said] = await hook.wait(again)
            assert said["response_type"] == "ephemeral" and "already the IC" in said["text"], said
            assert len(events_by((await h.view(incident)).state, "bob", "role")) == 1


async def test_a_malformed_payload_is_a_400_and_does_nothing(make_harness):
    from urllib.parse import urlencode

    from tests.chat.support import signed_headers

    async with make_harness() as h, gateway(h, chat_config()) as client:
        incident = await h.declare("SEV2")
        for body in (
            urlencode({"payload": "{not json"}).encode(),
            urlencode({"payload": '{"type": "block_actions"}'}).encode(),
            b"",
        ):
            response = await client.post("/v1/chat/slack/interactions", content=body, headers=signed_headers(body))
            assert response.status_code == 400, (body, response.text)
        assert (await h.view(incident)).state.acknowledged_at is None


async def test_a_response_url_that_is_unreachable_or_not_a_url_never_makes_a_5xx(make_harness):
    from urllib.parse import urlencode

    from tests.chat.support import signed_headers

    async with make_harness() as h, gateway(h, chat_config()) as client:
        incident = await h.declare("SEV2")
        # unreachable: the press is still answered 200 and the command runs; only the answer is lost
        accepted(await press(client, "ack", incident, "U0STRANGER", "http://127.0.0.1:9/hook"))
        for url in ("not a url", "file:///etc/passwd", "javascript:alert(1)"):
            response = await press(client, "ack", incident, "bob", url)
            assert response.status_code == 400 and "response_url" in response.text, (url, response.text)
        deep = urlencode({"payload": "[" * 1000 + "]" * 1000}).encode()
        response = await client.post("/v1/chat/slack/interactions", content=deep, headers=signed_headers(deep))
        assert response.status_code == 400, response.text
        assert (await h.view(incident)).state.acknowledged_at is None
