"""Mattermost's slash command (https://developers.mattermost.com/integrate/slash-commands/custom/):
Mattermost POSTs its form fields with `Authorization: Token <the command's token>` and shows the
JSON answer `{"response_type": "ephemeral" | "in_channel", "text": …}`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from tests.chat.support import (
    INCIDENT_ID,
    MATTERMOST_ENV,
    MATTERMOST_TOKEN,
    ResponseUrl,
    chat_config,
    events_by,
    incidents_titled,
    mattermost_body,
    unique_title,
    working_on,
)
from tests.workflow.harness import Harness, gateway, incidents_of
from warroom.severity import Severity

ENDPOINT = "/v1/chat/mattermost/commands"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv(MATTERMOST_ENV, MATTERMOST_TOKEN)


async def command(
    client: httpx.AsyncClient,
    text: str,
    user_name: str,
    token: str | None = MATTERMOST_TOKEN,
    scheme: str = "Token",
    channel_name: str = "town-square",
    response_url: str = "",
) -> httpx.Response:
    headers = dict(FORM)
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    return await client.post(
        ENDPOINT, content=mattermost_body(text, user_name, channel_name, response_url), headers=headers
    )


def answer_of(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["response_type"] in ("ephemeral", "in_channel") and body["text"], body
    return body


async def where_is(h: Harness, incident: str) -> str:
    description = await h.client.get_workflow_handle(incident).describe()
    return description.raw_description.execution_config.task_queue.name


@pytest.mark.parametrize(
    "case", ["wrong token", "missing", "bearer scheme", "empty token", "not configured", "variable unset"]
)
async def test_without_the_configured_token_nothing_is_done(make_harness, monkeypatch, case):
    async with make_harness() as h:
        incident = await h.declare("SEV2")
        config = chat_config(mattermost=case != "not configured")
        if case == "variable unset":
            monkeypatch.delenv(MATTERMOST_ENV)
        token, scheme = {
            "wrong token": ("not-the-token", "Token"),
            "missing": (None, "Token"),
            "bearer scheme": (MATTERMOST_TOKEN, "Bearer"),
            "empty token": ("", "Token"),
        }.get(case, (MATTERMOST_TOKEN, "Token"))
        title = unique_title("Checkout failing")
        started = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        async with gateway(h, config) as client:
            for text in (f"ack {incident}", f"declare sev1 payments {title}"):
                response = await command(client, text, "bob", token, scheme)
                assert response.status_code == 401, (case, response.text)
        for _ in range(10):
            assert await incidents_titled(h, title, started) == []
            await asyncio.sleep(0.1)
        assert await incidents_of(h, expected=2, timeout=0) == [incident]
        state = (await h.view(incident)).state
        assert state.acknowledged_at is None and not events_by(state, "bob")


async def final(response: httpx.Response, hook: ResponseUrl, url: str) -> dict:
    """The answer, or on a slow machine the result posted to response_url after "Working on…"."""
    answer = answer_of(response)
    if working_on(answer):
        [answer] = await hook.wait(url)
    return answer


async def test_ack_through_mattermost_acknowledges_as_the_mapped_person(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            await ack_through_mattermost(h, client, hook)


async def ack_through_mattermost(h: Harness, client: httpx.AsyncClient, hook: ResponseUrl) -> None:
    incident = await h.declare("SEV2")
    url = hook.url()
    answer = await final(await command(client, f"ack {incident}", "bob", response_url=url), hook, url)
    assert answer["response_type"] == "in_channel", answer
    assert incident in answer["text"] and "acknowledged by bob" in answer["text"]
    state = (await h.view(incident)).state
    assert state.acknowledged_by == "bob" and events_by(state, "bob", "acknowledged")


async def test_declare_through_mattermost_opens_the_incident(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            await declare_through_mattermost(h, client, hook)


async def declare_through_mattermost(h: Harness, client: httpx.AsyncClient, hook: ResponseUrl) -> None:
    url = hook.url()
    response = await command(client, "declare sev1 payments Checkout failing", "dana", response_url=url)
    answer = await final(response, hook, url)
    assert answer["response_type"] == "in_channel", answer
    [incident] = INCIDENT_ID.findall(answer["text"])
    try:
        found = await incidents_of(h, timeout=15)
        assert found == [incident], (
            f"the Mattermost declare of {incident} started it on task queue {await where_is(h, incident)!r}, "
            f"not the gateway's {h.settings.task_queue!r}"
        )
        state = (await h.view(incident)).state
        assert (state.title, state.severity, state.declared_by) == ("Checkout failing", Severity.SEV1, "dana")
    finally:
        if await where_is(h, incident) != h.settings.task_queue:
            await h.client.get_workflow_handle(incident).terminate("test cleanup: declared on the wrong queue")


async def test_mattermost_answers_refusals_usage_errors_and_unknown_people_ephemerally(make_harness):
    async with make_harness() as h, gateway(h, chat_config()) as client:
        incident = await h.declare("SEV2")
        refused = answer_of(await command(client, f"resolve {incident}", "kim"))  # support: neither paged nor IC
        assert refused["response_type"] == "ephemeral" and "R-ROLE-4" in refused["text"]
        usage = answer_of(await command(client, f"sev {incident} SEV9", "bob"))
        assert usage["response_type"] == "ephemeral" and "SEV9" in usage["text"]
        stranger = answer_of(await command(client, f"ack {incident}", "mallory"))
        assert stranger["response_type"] == "ephemeral" and "mallory" in stranger["text"]
        helped = answer_of(await command(client, "help", "bob"))
        assert helped["response_type"] == "ephemeral" and "ack" in helped["text"]
        acting = answer_of(await command(client, f"ack {incident} --as bob", "dana"))
        assert acting["response_type"] == "ephemeral" and "--as" in acting["text"]
        state = (await h.view(incident)).state
        assert state.acknowledged_at is None and state.resolved_at is None
        assert not events_by(state, "bob") and not events_by(state, "kim", "resolved")


async def test_in_a_mattermost_incident_channel_the_incident_is_implied(make_harness):
    with ResponseUrl() as hook:
        async with make_harness() as h, gateway(h, chat_config()) as client:
            incident = await h.declare("SEV1")
            channel = f"inc-{incident[4:].lower()}-checkout-failing"
            url = hook.url()
            response = await command(client, "ack", "bob", channel_name=channel, response_url=url)
            answer = await final(response, hook, url)
            assert answer["response_type"] == "in_channel"
            assert (await h.view(incident)).state.acknowledged_by == "bob"
