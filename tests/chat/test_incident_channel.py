"""The incident's Slack channel through the real slack_sdk WebClient, against a local Slack Web API
(tests.chat.support.SlackWorkspace) that keeps state and answers like Slack: first the provider
alone (idempotency of a retried open and a retried post), then end to end on the real dev server
with a worker configured by warroom.yaml."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.channels import ChannelPost, OpenChannel
from activities.slack_channel import SlackIncidentChannels
from tests.chat.support import (
    BOT_ENV,
    BOT_TOKEN,
    BOT_USER,
    ROSTER,
    SIGNING_ENV,
    SIGNING_SECRET,
    SLACK_ID,
    SlackWorkspace,
    chat_config,
    eventually,
    slash,
)
from tests.providers.fakes import Answer
from tests.workflow.harness import Harness, gateway, keys, new_settings, scaled
from warroom.commands import AddNote, AssignRole, Resolve, SetStatus
from warroom.config_file import SecretRef
from warroom.delivery import Recipient
from warroom.state import Stage
from workers.main import build_worker

BUTTONS = ["ack", "ic", "sme", "escalate", "update", "resolve"]
LABELS = ["Acknowledge", "I'm IC", "Join as SME", "Escalate now", "Post update", "Resolve"]


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv(BOT_ENV, BOT_TOKEN)
    monkeypatch.setenv(SIGNING_ENV, SIGNING_SECRET)


def provider(workspace: SlackWorkspace, env: str = BOT_ENV) -> SlackIncidentChannels:
    return SlackIncidentChannels(SecretRef(env=env), base_url=workspace.url)


def opening(*handles: str, incident: str = "INC-7K2QD") -> OpenChannel:
    return OpenChannel(
        incident_id=incident,
        name=f"inc-{incident[4:].lower()}-checkout-failing",
        summary="SEV1 · payments · Checkout failing",
        detail="detected · IC — · runbook checklist pinned in the Temporal UI",
        invitees=tuple(Recipient.of(h, ROSTER) for h in handles),
    )


def keyed(channel, key: str) -> list[dict]:
    return [m for m in channel.messages if (m.get("metadata") or {}).get("event_payload", {}).get("key") == key]


def buttons_of(message: dict) -> list[dict]:
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    return actions["elements"]


# --- the provider alone ----------------------------------------------------------------------------


async def test_open_creates_the_channel_invites_the_responders_and_pins_the_summary_with_six_buttons():
    with SlackWorkspace() as slack:
        channel_id = await provider(slack).open(opening("bob", "judy", "erin"))
        [channel] = slack.named("inc-7k2qd-checkout-failing")
        assert channel.id == channel_id and not channel.is_archived
        assert channel.members == {BOT_USER, "U0BOB0002", "U0JUDY010", "U0ERIN005"}
        [summary] = channel.messages
        assert "SEV1 · payments · Checkout failing" in summary["text"]  # the notification's fallback text
        assert "INC-7K2QD" in summary["blocks"][0]["text"]["text"]
        assert [b["action_id"] for b in buttons_of(summary)] == BUTTONS
        assert [b["text"]["text"] for b in buttons_of(summary)] == LABELS
        assert {b["value"] for b in buttons_of(summary)} == {"INC-7K2QD"}
        assert summary["metadata"]["event_payload"]["key"] == "INC-7K2QD:channel:open"
        assert channel.pins == [summary["ts"]]


async def test_a_retried_open_returns_the_same_channel_and_creates_posts_and_pins_nothing_twice():
    with SlackWorkspace() as slack:
        first = await provider(slack).open(opening("bob", "judy", "erin"))
        again = await provider(slack).open(opening("bob", "judy", "erin"))
        assert again == first
        [channel] = slack.named("inc-7k2qd-checkout-failing")
        assert len(slack.channels) == 1
        assert len(channel.messages) == 1 and len(channel.pins) == 1
        assert len(slack.called("conversations.create")) == 2  # the second was name_taken


async def test_an_open_whose_answer_was_lost_finds_the_channel_among_many():
    """The channel exists already (an attempt created it, its answer was lost): conversations.create
    says name_taken, and the provider finds it through conversations.list's pages."""
    with SlackWorkspace() as slack:
        for n in range(7):
            slack.seed(f"general-{n}")
        existing = slack.seed("inc-7k2qd-checkout-failing", {BOT_USER, "U0BOB0002"})
        slack.seed("inc-7k2qd-checkout-failing-2")
        channel_id = await provider(slack).open(opening("bob", "judy", "erin"))
        assert channel_id == existing.id
        assert len(slack.named("inc-7k2qd-checkout-failing")) == 1 and len(slack.channels) == 9
        assert existing.members == {BOT_USER, "U0BOB0002", "U0JUDY010", "U0ERIN005"}
        assert len(keyed(existing, "INC-7K2QD:channel:open")) == 1 and len(existing.pins) == 1
        assert len(slack.called("conversations.list")) > 1  # it followed next_cursor


async def test_an_open_that_posted_but_lost_the_answer_does_not_post_the_summary_again():
    with SlackWorkspace() as slack:
        await provider(slack).open(opening("bob"))
        [channel] = slack.named("inc-7k2qd-checkout-failing")
        channel.pins.clear()  # the pin's answer was lost before it was made
        await provider(slack).open(opening("bob"))
        assert len(channel.messages) == 1 and channel.pins == [channel.messages[0]["ts"]]


async def test_a_retried_post_with_the_same_key_posts_once_and_new_people_are_brought_in():
    with SlackWorkspace() as slack:
        channels = provider(slack)
        channel_id = await channels.open(opening("bob"))
        post = ChannelPost(
            incident_id="INC-7K2QD",
            channel=channel_id,
            key="channel:sync:3",
            text="`02:14:00` *bob* acknowledged by bob",
            invitees=(Recipient.of("carol", ROSTER),),
        )
        await channels.post(post)
        await channels.post(post)
        [channel] = slack.named("inc-7k2qd-checkout-failing")
        assert len(keyed(channel, "INC-7K2QD:channel:sync:3")) == 1
        assert keyed(channel, "INC-7K2QD:channel:sync:3")[0]["text"] == "`02:14:00` *bob* acknowledged by bob"
        assert "U0CAROL03" in channel.members
        await channels.post(post.model_copy(update={"key": "channel:sync:4", "text": "next"}))
        assert [m["text"] for m in channel.messages[1:]] == ["`02:14:00` *bob* acknowledged by bob", "next"]


async def test_a_post_brings_in_people_paged_later_alongside_those_already_there():
    """The workflow invites everyone reached so far with each post; Slack refuses the whole batch
    (already_in_channel) when one of them is already in and `force` is not set, so the newcomer
    has to get in some other way than one plain call for all."""
    with SlackWorkspace() as slack:
        channels = provider(slack)
        channel_id = await channels.open(opening("bob", "judy", "erin"))
        everyone = tuple(Recipient.of(h, ROSTER) for h in ("bob", "carol", "dana", "erin", "judy"))
        await channels.post(
            ChannelPost(
                incident_id="INC-7K2QD",
                channel=channel_id,
                key="channel:sync:5",
                text="`02:16:00` *warroom* escalated to carol",
                invitees=everyone,
            )
        )
        [channel] = slack.named("inc-7k2qd-checkout-failing")
        assert channel.members == {BOT_USER} | {SLACK_ID[h] for h in ("bob", "carol", "dana", "erin", "judy")}
        assert len(keyed(channel, "INC-7K2QD:channel:sync:5")) == 1


async def test_the_archive_post_says_goodbye_once_and_archives_even_when_retried():
    with SlackWorkspace() as slack:
        channels = provider(slack)
        channel_id = await channels.open(opening("bob"))
        farewell = ChannelPost(
            incident_id="INC-7K2QD",
            channel=channel_id,
            key="channel:archive",
            text="Closed; archiving this channel.",
            archive=True,
        )
        await channels.post(farewell)
        await channels.post(farewell)
        [channel] = slack.named("inc-7k2qd-checkout-failing")
        assert channel.is_archived
        assert len(keyed(channel, "INC-7K2QD:channel:archive")) == 1


async def test_people_without_a_slack_id_are_not_invited_and_nobody_is_invited_twice():
    with SlackWorkspace() as slack:
        team = Recipient(handle="team:payments", name="team:payments")
        await provider(slack).open(opening(incident="INC-7K2QD").model_copy(update={"invitees": (team,)}))
        [channel] = slack.named("inc-7k2qd-checkout-failing")
        assert channel.members == {BOT_USER}
        assert slack.called("conversations.invite") == []


async def test_wrong_or_missing_bot_token_is_rejected_for_good():
    with SlackWorkspace(token="xoxb-the-real-one") as slack:
        with pytest.raises(ApplicationError) as caught:
            await provider(slack).open(opening("bob"))
        assert caught.value.non_retryable and "invalid_auth" in caught.value.message
        with pytest.raises(ApplicationError) as caught:
            await provider(slack, env="WARROOM_TEST_SLACK_UNSET_TOKEN").open(opening("bob"))
        assert caught.value.non_retryable and "WARROOM_TEST_SLACK_UNSET_TOKEN" in caught.value.message
        assert BOT_TOKEN not in caught.value.message
        assert slack.channels == {}


async def test_slacks_transient_errors_are_retryable_and_rate_limits_carry_retry_after():
    with SlackWorkspace() as slack:
        slack.fail_next["conversations.create"] = [
            Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}),
            Answer(200, {"ok": False, "error": "internal_error"}),
            Answer(503, {"ok": False, "error": "service_unavailable"}),
        ]
        channels = provider(slack)
        for _ in range(3):
            with pytest.raises(ApplicationError) as caught:
                await channels.open(opening("bob"))
            assert not caught.value.non_retryable, caught.value
        assert slack.channels == {}
        assert await channels.open(opening("bob"))  # Temporal's retry: succeeds once Slack is back
        assert len(slack.channels) == 1


async def test_a_rate_limit_is_retried_no_sooner_than_slack_asked():
    with SlackWorkspace() as slack:
        slack.fail_next["chat.postMessage"] = [Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"})]
        with pytest.raises(ApplicationError) as caught:
            await provider(slack).open(opening("bob"))
        assert not caught.value.non_retryable
        assert caught.value.next_retry_delay == timedelta(seconds=7)


# --- end to end: a worker configured for Slack, on the real dev server ----------------------------


def slack_config(tmp_path: Path, workspace: SlackWorkspace) -> Path:
    path = tmp_path / "warroom.yaml"
    path.write_text(
        f"providers:\n  chat:\n    type: slack\n    bot_token: {{env: {BOT_ENV}}}\n    base_url: {workspace.url}\n"
    )
    return path


async def incident_channel(slack: SlackWorkspace, incident: str):
    name = f"inc-{incident[4:].lower()}-checkout-failing"
    [channel] = await eventually(lambda: slack.named(name), f"#{name} created")
    return channel


def texts(channel) -> str:
    return "\n".join(m["text"] for m in channel.messages)


async def test_declaring_opens_the_channel_with_the_responders_and_posts_what_happens(temporal_env, tmp_path):
    with SlackWorkspace() as slack:
        client = temporal_env.client
        settings = new_settings(tmp_path, client).model_copy(update={"config_file": slack_config(tmp_path, slack)})
        async with build_worker(client, settings):
            h = Harness(client=client, settings=settings, policy=scaled())
            incident = await h.declare("SEV1", actor="dana")
            channel = await incident_channel(slack, incident)
            assert len(slack.channels) == 1 and len(slack.called("conversations.create")) == 1
            # invited at once: whom SEV1 pages under the pinned policy (bob on call, judy SME, erin leadership)
            first_invite = slack.called("conversations.invite")[0]
            assert first_invite["channel"] == channel.id
            assert set(first_invite["users"].split(",")) == {SLACK_ID["bob"], SLACK_ID["judy"], SLACK_ID["erin"]}
            # the summary, pinned, with the six buttons
            summary = (await eventually(lambda: channel.pins and channel.messages, "the summary pinned"))[0]
            assert channel.pins[0] == summary["ts"]
            assert "SEV1 · payments · Checkout failing" in summary["text"]
            assert [b["action_id"] for b in buttons_of(summary)] == BUTTONS
            assert {b["value"] for b in buttons_of(summary)} == {incident}
            assert (await h.view(incident)).state.channel == channel.id

            # what happens next is posted there, by whom
            await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
            await h.send(incident, SetStatus(actor="bob", status="mitigating"))
            await eventually(
                lambda: "*bob*" in texts(channel) and "mitigating" in texts(channel), "bob's changes posted"
            )
            [posted] = [m for m in channel.messages if "mitigating" in m["text"]]
            assert "*bob*" in posted["text"]
            state = (await h.view(incident)).state
            declared = state.timeline[0]
            assert declared.text in texts(channel) and "*dana*" in texts(channel)  # the declaration itself too

            # one post per timeline event: nothing posted twice, however often the workflow decided
            for event in [e for e in state.timeline if e.kind != "channel"]:
                lines = [line for line in texts(channel).splitlines() if line.endswith(f"*{event.actor}* {event.text}")]
                assert len(lines) <= len([e for e in state.timeline if e.actor == event.actor and e.text == event.text])
            keys = [(m.get("metadata") or {}).get("event_payload", {}).get("key") for m in channel.messages]
            assert len(keys) == len(set(keys)), keys
            # no activity failed along the way
            assert not [e for e in state.timeline if e.kind == "delivery-failed" and "channel" in e.text]
            await h.handle(incident).terminate("test done")


async def test_people_paged_later_are_brought_into_the_channel(temporal_env, tmp_path):
    """Nobody acknowledges: the chain reaches carol (secondary); the channel's next post brings her in."""
    with SlackWorkspace() as slack:
        client = temporal_env.client
        settings = new_settings(tmp_path, client).model_copy(update={"config_file": slack_config(tmp_path, slack)})
        async with build_worker(client, settings):
            h = Harness(client=client, settings=settings, policy=scaled())
            incident = await h.declare("SEV1", actor="dana")
            channel = await incident_channel(slack, incident)
            await h.wait_rows(incident, lambda rows: ("ack:escalate:secondary", "carol") in keys(rows))
            await h.send(incident, AddNote(actor="judy", text="pool at 100%"))
            await eventually(lambda: "pool at 100%" in texts(channel), "judy's note posted")
            await eventually(lambda: SLACK_ID["carol"] in channel.members, "carol invited", timeout=15)
            state = (await h.view(incident)).state
            assert not [e for e in state.timeline if e.kind == "delivery-failed" and "channel" in e.text]
            await h.handle(incident).terminate("test done")


async def test_a_command_typed_in_the_incident_channel_is_posted_back_there(temporal_env, tmp_path):
    with SlackWorkspace() as slack:
        client = temporal_env.client
        settings = new_settings(tmp_path, client).model_copy(update={"config_file": slack_config(tmp_path, slack)})
        async with build_worker(client, settings):
            h = Harness(client=client, settings=settings, policy=scaled())
            incident = await h.declare("SEV1", actor="dana")
            channel = await incident_channel(slack, incident)
            async with gateway(h, chat_config()) as web:
                answer = await slash(web, "ack", "bob", channel_name=channel.name)
                assert answer.status_code == 200 and answer.json()["response_type"] == "in_channel", answer.text
            await eventually(lambda: "acknowledged by bob" in texts(channel), "the ack posted to the channel")
            await h.handle(incident).terminate("test done")


async def test_the_channel_is_archived_after_the_incident_closes(temporal_env, tmp_path):
    with SlackWorkspace() as slack:
        client = temporal_env.client
        settings = new_settings(tmp_path, client).model_copy(update={"config_file": slack_config(tmp_path, slack)})
        # a SEV4 opens no channel by default (brain v7); this team asks for one to see it archived
        policy = scaled(chat={"incident_channel": True, "archive_after": timedelta(seconds=2),
                              "channel_for": ["SEV1", "SEV2", "SEV3", "SEV4"]})
        async with build_worker(client, settings):
            h = Harness(client=client, settings=settings, policy=policy)
            incident = await h.declare("SEV4", actor="dana")  # no review required: resolving closes it
            channel = await incident_channel(slack, incident)
            await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
            await h.send(incident, Resolve(actor="bob"))
            assert (await h.view(incident)).state.stage is Stage.closed
            await eventually(lambda: channel.is_archived, "the channel archived", timeout=60)
            farewells = keyed(channel, f"{incident}:channel:archive")
            assert len(farewells) == 1 and "archive" in farewells[0]["text"]
            assert channel.messages[-1] is farewells[0]  # the goodbye is the last word
            await asyncio.wait_for(h.handle(incident).result(), timeout=30)  # and then the workflow ends
