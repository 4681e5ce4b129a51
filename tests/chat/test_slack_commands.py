"""`/incident <verb> …` from Slack reaches the same workflow Update as the CLI: the real gateway
in-process (ASGI) over the session's real Temporal dev server, every request signed the way Slack
signs it. Slack wants an answer within 3 seconds: quick results come inline, slow ones through
`response_url`."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from tests.chat.support import (
    INCIDENT_ID,
    SIGNING_ENV,
    SIGNING_SECRET,
    ResponseUrl,
    ask,
    chat_config,
    events_by,
    slash,
)
from tests.workflow.harness import Harness, gateway, incidents_of, new_settings, scaled
from warroom.commands import AssignRole, Declare
from warroom.policy import Policy
from warroom.severity import Severity
from warroom.state import Stage, Status
from warroom.temporal import incidents as remote
from workers.main import build_worker

VERBS = ("declare", "ack", "sev", "role", "status", "update", "note", "flag", "escalate", "resolve")


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv(SIGNING_ENV, SIGNING_SECRET)


def answer_of(response: httpx.Response) -> dict:
    """Slack shows a slash command's answer only from HTTP 200 with a JSON message."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["response_type"] in ("ephemeral", "in_channel"), body
    assert isinstance(body["text"], str) and body["text"], body
    return body


def channel_of(incident: str) -> str:
    return f"inc-{incident[4:].lower()}-checkout-failing"


async def where_is(h: Harness, incident: str) -> str:
    description = await h.client.get_workflow_handle(incident).describe()
    return description.raw_description.execution_config.task_queue.name


async def test_declare_through_slack_opens_the_incident_on_the_gateways_task_queue(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            await declare_through_slack(h, client, hook)


async def declare_through_slack(h: Harness, client: httpx.AsyncClient, hook: ResponseUrl) -> None:
    answer = await ask(client, hook, "declare sev1 payments Checkout failing", "dana")
    assert answer["response_type"] == "in_channel", answer
    [incident] = INCIDENT_ID.findall(answer["text"])
    try:
        found = await incidents_of(h, timeout=15)
        assert found == [incident], (
            f"the chat declare of {incident} started it on task queue {await where_is(h, incident)!r}, "
            f"not the gateway's {h.settings.task_queue!r}"
        )
        state = (await h.view(incident)).state
        assert state.title == "Checkout failing"
        assert state.service == "payments"
        assert state.severity is Severity.SEV1
        assert state.declared_by == "dana"
        assert state.severity_confirmed  # a person declared it (R-F15-8)
        assert state.timeline[0].actor == "dana" and state.timeline[0].kind == "declared"
    finally:
        if await where_is(h, incident) != h.settings.task_queue:  # no worker will ever run it: clean up
            await h.client.get_workflow_handle(incident).terminate("test cleanup: declared on the wrong queue")


def carol_on_call(policy: Policy) -> Policy:
    """The harness's policy with carol primary: differs from the runbooks directory's rotation."""
    team = policy.roster.teams["payments"]
    rotation = team.rotation.model_copy(update={"members": ("carol", "alice", "bob")})
    teams = {"payments": team.model_copy(update={"rotation": rotation})}
    return policy.model_copy(update={"roster": policy.roster.model_copy(update={"teams": teams})})


async def test_declare_through_slack_runs_under_the_gateways_policy(make_harness):
    """The gateway was given a policy (here carol is primary); a chat declare runs under it, like
    an alert does, not under whatever the runbooks directory on disk says this week (bob primary).
    SEV1 pages the on-call, the runbook's SMEs (judy, bob) and leadership (erin)."""
    with ResponseUrl() as hook:
        async with make_harness(carol_on_call(scaled())) as h, gateway(h, chat_config()) as client:
            await declare_under_the_gateways_policy(h, client, hook)


async def declare_under_the_gateways_policy(h: Harness, client: httpx.AsyncClient, hook: ResponseUrl) -> None:
    answer = await ask(client, hook, "declare sev1 payments Checkout failing", "dana")
    [incident] = INCIDENT_ID.findall(answer["text"])
    try:
        assert await where_is(h, incident) == h.settings.task_queue
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "page:SEV1" for r in rows), timeout=15)
        assert {r.recipient for r in rows if r.action_key == "page:SEV1"} == {"carol", "judy", "bob", "erin"}
    finally:
        if await where_is(h, incident) != h.settings.task_queue:
            await h.client.get_workflow_handle(incident).terminate("test cleanup: declared on the wrong queue")


async def test_each_verb_through_slack_changes_the_incident_as_its_mapped_person(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            await each_verb(h, client, hook)


async def each_verb(h: Harness, client: httpx.AsyncClient, hook: ResponseUrl) -> None:
    incident = await h.declare("SEV1", actor="dana")
    short = incident[4:].lower()  # ids: any case, prefix optional, as in the CLI

    async def run(text: str, user: str) -> dict:
        answer = await ask(client, hook, text, user)
        assert answer["response_type"] == "in_channel", (text, answer)
        assert incident in answer["text"], (text, answer)
        return answer

    await run(f"ack {incident}", "bob")
    state = (await h.view(incident)).state
    assert state.acknowledged_by == "bob" and state.acknowledged_at is not None
    assert events_by(state, "bob", "acknowledged")

    await run(f'sev {short} sev2 --reason "only card payments"', "bob")
    state = (await h.view(incident)).state
    assert state.severity is Severity.SEV2 and state.severities[-1].actor == "bob"
    assert "only card payments" in events_by(state, "bob", "severity")[-1].text

    await run(f"role inc-{short} ic bob", "bob")
    await run(f"role {incident} comms heidi", "bob")
    await run(f"role {incident} sme judy --track database", "bob")
    state = (await h.view(incident)).state
    assert (state.ic, state.comms) == ("bob", "heidi")
    assert [(s.handle, s.track) for s in state.smes] == [("judy", "database")]
    assert len(events_by(state, "bob", "role")) == 3

    await run(f"status {incident} identified", "bob")
    state = (await h.view(incident)).state
    assert state.status is Status.identified and events_by(state, "bob", "status")

    await run(
        f'update {incident} --impact "30% of checkouts fail" --theory "pool exhausted" --next-steps "raise the pool"',
        "heidi",
    )
    state = (await h.view(incident)).state
    [update] = state.updates
    assert (update.actor, update.impact, update.theory, update.next_steps) == (
        "heidi",
        "30% of checkouts fail",
        "pool exhausted",
        "raise the pool",
    )
    assert events_by(state, "heidi", "update")

    await run(f'note {incident} "pool at 100% since 02:10"', "judy")
    state = (await h.view(incident)).state
    assert events_by(state, "judy", "note")[-1].text == "pool at 100% since 02:10"

    await run(f'flag {incident} regulatory --note "card data may be involved"', "bob")
    state = (await h.view(incident)).state
    assert state.flags["regulatory"].actor == "bob" and state.flags["regulatory"].note == "card data may be involved"

    await run(f'escalate {incident} --to leadership --reason "customers are calling"', "carol")
    state = (await h.view(incident)).state
    escalation = state.escalations[-1]
    assert (escalation.actor, escalation.to, escalation.reason) == ("carol", "leadership", "customers are calling")
    assert events_by(state, "carol", "escalation")

    # Refused: not the IC. The refusal is the answer (ephemeral), and nothing is written.
    before = (await h.view(incident)).state
    refused = await ask(client, hook, f"resolve {incident}", "dana")
    assert refused["response_type"] == "ephemeral"
    assert "Refused" in refused["text"] and "only the IC (bob)" in refused["text"] and "R-ROLE-4" in refused["text"]
    after = (await h.view(incident)).state
    assert after.resolved_at is None and after.status is Status.identified
    assert not events_by(after, "dana", "resolved")
    people = {p.handle for p in h.policy.roster.people}
    assert [e for e in after.timeline if e.actor in people] == [e for e in before.timeline if e.actor in people]

    await run(f"resolve {incident}", "bob")
    state = (await h.view(incident)).state
    assert state.resolved_by == "bob" and state.stage is Stage.in_review
    assert events_by(state, "bob", "resolved")
    # every person's change carries their handle, never a Slack id or a bot name
    assert not [e for e in state.timeline if e.actor.startswith("U0")]


async def test_help_lists_the_verbs(make_harness):
    async with make_harness() as h, gateway(h, chat_config()) as client:
        for text in ("help", ""):
            answer = answer_of(await slash(client, text, "dana"))
            assert answer["response_type"] == "ephemeral"
            for verb in VERBS:
                assert f"{verb} —" in answer["text"] or f"{verb} -" in answer["text"], (verb, answer["text"])


async def test_an_unknown_slack_user_is_told_how_to_get_mapped(make_harness):
    async with make_harness() as h, gateway(h, chat_config()) as client:
        incident = await h.declare("SEV2")
        answer = answer_of(await slash(client, f"ack {incident}", "U0STRANGER"))
        assert answer["response_type"] == "ephemeral"
        assert "slack_user_id" in answer["text"] and "U0STRANGER" in answer["text"]
        assert (await h.view(incident)).state.acknowledged_at is None


async def test_acting_as_someone_else_is_rejected_in_chat(make_harness):
    async with make_harness() as h, gateway(h, chat_config()) as client:
        incident = await h.declare("SEV2")
        answer = answer_of(await slash(client, f"ack {incident} --as bob", "dana"))
        assert answer["response_type"] == "ephemeral"
        assert "--as" in answer["text"]
        state = (await h.view(incident)).state
        assert (
            state.acknowledged_at is None
            and not events_by(state, "bob")
            and not events_by(state, "dana", "acknowledged")
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sev INC-XXXXX SEV9", ["SEV9", "SEV1"]),
        ("update {id} --impact 'half the checkouts'", ["--theory"]),
        ("frobnicate {id}", ["frobnicate", "help"]),
        ("ack", ["incident"]),
        ("note {id} 'unbalanced", ["cannot read"]),
        ("status {id} sideways", ["status", "mitigating"]),
        ("role {id} ic nobody-here", ["nobody-here"]),
        ("declare sev1", ["service"]),
    ],
)
async def test_a_usage_error_is_answered_ephemerally_with_a_clear_message(make_harness, text, expected):
    async with make_harness() as h, gateway(h, chat_config()) as client:
        incident = await h.declare("SEV2")
        answer = answer_of(await slash(client, text.format(id=incident), "bob"))
        assert answer["response_type"] == "ephemeral", answer
        for word in expected:
            assert word in answer["text"], (word, answer["text"])
        assert "Traceback" not in answer["text"]
        state = (await h.view(incident)).state
        assert not events_by(state, "bob") and state.acknowledged_at is None


async def test_in_an_incident_channel_the_incident_is_implied(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            await in_channel(h, client, hook)


async def in_channel(h: Harness, client: httpx.AsyncClient, hook: ResponseUrl) -> None:
    incident = await h.declare("SEV1")
    other = await h.declare("SEV2", title="Refunds slow")
    answer = await ask(client, hook, "ack", "bob", channel_name=channel_of(incident))
    assert answer["response_type"] == "in_channel" and incident in answer["text"]
    assert (await h.view(incident)).state.acknowledged_by == "bob"
    answer = await ask(client, hook, 'note "pool exhausted"', "judy", channel_name=channel_of(incident))
    assert events_by((await h.view(incident)).state, "judy", "note")[-1].text == "pool exhausted"
    # an explicit id still wins, and the other incident is untouched by the channel's commands
    await ask(client, hook, f"ack {other}", "carol", channel_name=channel_of(incident))
    assert (await h.view(other)).state.acknowledged_by == "carol"
    assert (await h.view(incident)).state.acknowledged_by == "bob"


async def test_a_quick_command_is_answered_inline_and_nothing_goes_to_response_url(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            incident = await h.declare("SEV2")
            url = hook.url()
            answer = answer_of(await slash(client, f"ack {incident}", "bob", response_url=url))
            assert answer["response_type"] == "in_channel"
            assert f"*{incident}*" in answer["text"] and "acknowledged by bob" in answer["text"]
            await asyncio.sleep(0.5)  # a late duplicate would have been posted by now
            assert hook.messages(url) == []


async def test_a_slow_command_answers_working_on_it_then_posts_the_result_to_response_url(make_harness, tmp_path):
    """An incident whose task queue has no worker: its Update cannot complete in Slack's 3 seconds."""
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            stalled = new_settings(tmp_path / "stalled", h.client)
            declared = await remote.declare(
                h.client,
                h.policy,
                Declare(actor="dana", title="Checkout failing", service="payments", severity="SEV2"),
                stalled.task_queue,
            )
            incident = declared.incident_id
            url = hook.url()
            answer = answer_of(await slash(client, f"ack {incident}", "bob", response_url=url))
            assert answer["response_type"] == "ephemeral", answer
            assert answer["text"].startswith("Working on") and "ack" in answer["text"], answer
            assert hook.messages(url) == []
            (stalled.data_dir).mkdir(parents=True, exist_ok=True)
            async with build_worker(h.client, stalled):  # now the Update can run
                [late] = await hook.wait(url)
                assert late["response_type"] == "in_channel", late
                assert f"*{incident}*" in late["text"] and "acknowledged by bob" in late["text"], late
                state = (await h.view(incident)).state
                assert state.acknowledged_by == "bob"
                await asyncio.sleep(0.5)
                assert len(hook.messages(url)) == 1  # the result once
                await h.client.get_workflow_handle(incident).terminate("test done")


async def test_a_slow_refusal_reaches_response_url_ephemerally(make_harness, tmp_path):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            stalled = new_settings(tmp_path / "stalled", h.client)
            declared = await remote.declare(
                h.client,
                h.policy,
                Declare(actor="dana", title="Checkout failing", service="payments", severity="SEV2"),
                stalled.task_queue,
            )
            incident = declared.incident_id
            url = hook.url()
            answer = answer_of(await slash(client, f"resolve {incident}", "kim", response_url=url))
            assert answer["response_type"] == "ephemeral" and answer["text"].startswith("Working on")
            stalled.data_dir.mkdir(parents=True, exist_ok=True)
            async with build_worker(h.client, stalled):
                [late] = await hook.wait(url)
                assert late["response_type"] == "ephemeral", late
                assert "Refused" in late["text"] and "R-ROLE-4" in late["text"], late
                assert (await h.view(incident)).state.resolved_at is None
                await h.client.get_workflow_handle(incident).terminate("test done")


async def test_show_answers_only_the_person_who_asked(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            incident = await h.declare("SEV1")
            await h.send(incident, AssignRole(actor="bob", role="ic", handle="bob"))
            answer = await ask(client, hook, f"show {incident}", "carol")
            assert answer["response_type"] == "ephemeral", answer
            assert incident in answer["text"] and "Checkout failing" in answer["text"] and "IC bob" in answer["text"]
            assert not events_by((await h.view(incident)).state, "carol")  # a read writes nothing


def unreachable_gateway(h: Harness, tmp_path) -> httpx.AsyncClient:
    """The gateway app with Temporal at a port nothing listens on; a 500 stays a 500 (as a real
    server would answer) instead of being raised into the test."""
    from warroom.config import Settings
    from warroom.gateway.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(
        temporal_address=f"127.0.0.1:{port}", data_dir=tmp_path / "unreachable", task_queue=h.settings.task_queue
    )
    app = create_app(settings, client=None, policy=h.policy, config=chat_config())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


async def test_with_temporal_unreachable_a_slash_command_is_told_to_try_again(make_harness, tmp_path):
    """Slack shows a 5xx as a bare failure: the person is told, inline or through response_url,
    that Temporal cannot be reached and to try again."""
    with ResponseUrl() as hook:
        async with make_harness() as h:
            async with unreachable_gateway(h, tmp_path) as client:
                url = hook.url()
                response = await asyncio.wait_for(slash(client, "ack INC-7K2QD", "bob", response_url=url), timeout=60)
                answer = answer_of(response)
                assert answer["response_type"] == "ephemeral", answer
                if answer["text"].startswith("Working on"):
                    [answer] = await hook.wait(url, timeout=60)
                    assert answer["response_type"] == "ephemeral", answer
                assert "cannot reach Temporal" in answer["text"] and "try again" in answer["text"], answer


async def test_with_temporal_unreachable_a_button_press_is_told_to_try_again(make_harness, tmp_path):
    from tests.chat.support import press

    with ResponseUrl() as hook:
        async with make_harness() as h:
            async with unreachable_gateway(h, tmp_path) as client:
                url = hook.url("actions")
                response = await asyncio.wait_for(press(client, "ack", "INC-7K2QD", "bob", url), timeout=60)
                assert response.status_code == 200, response.text
                [answer] = await hook.wait(url, timeout=30)
                assert answer["response_type"] == "ephemeral", answer
                assert "cannot reach Temporal" in answer["text"] and "try again" in answer["text"], answer
