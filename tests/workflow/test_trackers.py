"""Action items and SEV4 tickets in Jira Cloud and Linear, on the real dev server: a worker whose
warroom.yaml names a local stand-in of the tracker (tests/providers/fake_trackers.py, which checks
the documented requests), and the real gateway receiving the tracker's documented, signed
webhooks. An item closed in the tracker is done here and stops being chased; one done here is
closed there; the tracker's echo of warroom's own move changes nothing."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from temporalio.client import WorkflowExecutionStatus

from tests.providers.fake_trackers import (
    JIRA_EMAIL,
    JIRA_PROJECT,
    JIRA_SECRET,
    JIRA_TOKEN,
    LINEAR_KEY,
    LINEAR_SECRET,
    LINEAR_TEAM,
    FakeJira,
    FakeLinear,
    Webhook,
)
from tests.providers.fakes import FakeService
from tests.workflow.harness import Harness, gateway, new_settings, scaled
from warroom.action_items import AddItem, CompleteItem, ItemState, ReopenItem
from warroom.config_file import load_config
from warroom.temporal import items as remote_items
from workers.main import build_worker
from workflows.action_item import ActionItemWorkflow

CHASED = scaled(1, action_items={"due_in": timedelta(days=14), "remind_before": [],
                                 "escalate_every": timedelta(seconds=1)})
ENV = {"WARROOM_TEST_JIRA_TOKEN": JIRA_TOKEN, "WARROOM_TEST_JIRA_SECRET": JIRA_SECRET,
       "WARROOM_TEST_LINEAR_KEY": LINEAR_KEY, "WARROOM_TEST_LINEAR_SECRET": LINEAR_SECRET}


def jira_config(url: str) -> dict:
    return {"type": "jira", "base_url": url, "email": JIRA_EMAIL, "api_token": {"env": "WARROOM_TEST_JIRA_TOKEN"},
            "project": JIRA_PROJECT, "webhook_secret": {"env": "WARROOM_TEST_JIRA_SECRET"}}


def linear_config(url: str) -> dict:
    return {"type": "linear", "base_url": url, "api_key": {"env": "WARROOM_TEST_LINEAR_KEY"}, "team_id": LINEAR_TEAM,
            "webhook_secret": {"env": "WARROOM_TEST_LINEAR_SECRET"}}


@dataclass
class Tracked:
    h: Harness
    web: httpx.AsyncClient

    async def add(self, title: str = "Alert on pool saturation", **fields: Any) -> ItemState:
        incident = "INC-" + "".join(random.choices("0123456789ABCDEFGHJKMNPQRSTVWXYZ", k=5))  # its own, per test
        return await remote_items.add_item(self.h.client, self.h.policy, AddItem(
            actor="carol", incident_id=incident, title=title, owner="bob", **fields), self.h.settings.task_queue)

    async def item(self, item_id: str) -> ItemState:
        handle = self.h.client.get_workflow_handle_for(ActionItemWorkflow.run, item_id)
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            return await handle.query(ActionItemWorkflow.current)
        return await handle.result()

    async def until(self, item_id: str, holds: Callable[[ItemState], bool], timeout: float = 30) -> ItemState:
        """A liveness bound, not a timing goal."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            item = await self.item(item_id)
            if holds(item):
                return item
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{item_id} never got there: {[e.text for e in item.history]}")
            await asyncio.sleep(0.1)

    async def status(self, item_id: str) -> WorkflowExecutionStatus:
        return (await self.h.client.get_workflow_handle(item_id).describe()).status

    async def deliver(self, path: str, hook: Webhook, **headers: str) -> httpx.Response:
        return await self.web.post(path, content=hook.body, headers={**hook.headers, **headers})


@pytest.fixture
def tracked(temporal_env, tmp_path: Path, monkeypatch) -> Callable[..., Any]:
    """`async with tracked(tracker_config) as t:` a worker and the gateway with that tracker."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)

    @asynccontextmanager
    async def start(tracker: dict, ticket: dict | None = None, policy: Any = CHASED) -> AsyncIterator[Tracked]:
        path = tmp_path / "warroom.yaml"
        providers = {"tracker": tracker, **({"ticket": ticket} if ticket else {})}
        path.write_text(yaml.safe_dump({"providers": providers}))
        settings = new_settings(tmp_path, temporal_env.client).model_copy(update={"config_file": path})
        h = Harness(client=temporal_env.client, settings=settings, policy=policy)
        async with build_worker(temporal_env.client, settings), gateway(h, load_config(path)) as web:
            yield Tracked(h, web)

    return start


def moves(item: ItemState) -> int:
    """How often warroom moved the item's issue to done (its history says so once it went out)."""
    return sum(e.kind == "tracker" and e.text.endswith("moved to done") for e in item.history)


def serve_jira() -> tuple[FakeJira, FakeService]:
    jira = FakeJira()
    jira.ids = itertools.count(random.randint(10**6, 10**9))  # ids unique on the session's dev server
    service = FakeService(jira)
    jira.base_url = service.url
    return jira, service


async def test_an_item_closed_in_jira_is_done_here_and_chased_no_more(tracked):
    jira, service = serve_jira()
    with service:
        async with tracked(jira_config(service.url)) as t:
            added = await t.add(due=datetime.now(UTC).date() - timedelta(days=2))  # overdue: chased every second
            item = await t.until(added.id, lambda i: i.tracker is not None)
            (issue,) = jira.issues.values()
            assert issue["fields"]["labels"] == ["warroom", f"warroom-{added.id}"]
            assert f"tracked as Jira OPS-1: {service.url}/browse/OPS-1" in [e.text for e in item.history]
            chased = await t.until(added.id, lambda i: sum(k.startswith("item:") for k in i.done) >= 2)
            assert chased.status == "open"

            answer = await t.deliver("/v1/tracker/jira", jira.person_moves("OPS-1", "Done", by="Bob Builder"))
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"status": "accepted", "issue": "OPS-1", "item": added.id, "item_status": "done"}

            final = await t.until(added.id, lambda i: i.status == "done")
            assert (await t.status(added.id)) == WorkflowExecutionStatus.COMPLETED  # no timer left: no reminder
            assert final.history[-1].text.endswith("late: closed in Jira OPS-1 by Bob Builder")
            assert final.history[-1].actor == "system:jira"
            sent = [r.action_key for r in t.h.outbox.read(added.id)]
            assert sent and set(sent) == {k for k in final.done}  # every reminder sent was before the done
            assert jira.moved_by_api == 0  # already done there: warroom moved nothing

            again = await t.deliver("/v1/tracker/jira", jira.webhooks[-1])  # Jira retries the delivery
            assert again.json() == answer.json()  # the same update id: applied once, answered alike
            assert (await t.item(added.id)).history == final.history


async def test_done_here_closes_the_jira_issue_its_echo_is_ignored_and_a_reopen_there_chases_again(tracked):
    jira, service = serve_jira()
    with service:
        async with tracked(jira_config(service.url)) as t:
            added = await t.add(due=datetime.now(UTC).date() + timedelta(days=30))
            await t.until(added.id, lambda i: i.tracker is not None)
            await remote_items.change_item(t.h.client, added.id, CompleteItem(actor="bob", note="alert added"))
            await t.until(added.id, lambda i: moves(i) == 1)
            assert jira.by_key("OPS-1")["fields"]["status"]["name"] == "Done" and jira.moved_by_api == 1

            echo = await t.deliver("/v1/tracker/jira", jira.webhooks[-1])  # Jira's webhook of warroom's own move
            assert echo.status_code == 200 and echo.json()["status"] == "ignored", echo.text
            await t.until(added.id, lambda i: i.status == "done")
            assert (await t.status(added.id)) == WorkflowExecutionStatus.COMPLETED

            reopened = await t.deliver("/v1/tracker/jira", jira.person_moves("OPS-1", "In Progress"))
            assert reopened.json()["item_status"] == "open", reopened.text
            item = await t.until(added.id, lambda i: i.status == "open")
            assert (await t.status(added.id)) == WorkflowExecutionStatus.RUNNING  # chased again, a new run
            assert item.history[-1].text == "reopened in Jira OPS-1 by Alice Example"

            await remote_items.change_item(t.h.client, added.id, CompleteItem(actor="bob"))
            await t.until(added.id, lambda i: moves(i) == 2)  # the new run carries the item's whole history
            assert jira.by_key("OPS-1")["fields"]["status"]["name"] == "Done" and jira.moved_by_api == 2
            assert len(jira.issues) == 1  # the new run found its issue; it opened none


async def test_a_sev4_ticket_is_a_jira_issue_linked_from_the_timeline(tracked):
    jira, service = serve_jira()
    with service:
        async with tracked(jira_config(service.url), ticket={"type": "tracker"}, policy=scaled()) as t:
            incident = await t.h.declare("SEV4", title="Receipts print the wrong VAT")
            view = await t.h.wait_view(incident, lambda v: any(e.kind == "ticket" for e in v.state.timeline))
    (issue,) = jira.issues.values()
    assert issue["fields"]["labels"] == ["warroom", f"warroom-{incident}-ticket-open"]
    assert f"ticket opened as Jira {issue['key']}: {service.url}/browse/{issue['key']}" in [
        e.text for e in view.state.timeline]


async def test_an_item_closed_in_linear_is_done_here_and_done_here_closes_it_there(tracked):
    linear = FakeLinear()
    with FakeService(linear) as service:
        async with tracked(linear_config(service.url)) as t:
            first = await t.add(due=datetime.now(UTC).date() - timedelta(days=2))
            item = await t.until(first.id, lambda i: i.tracker is not None)
            identifier = item.tracker.key
            answer = await t.deliver("/v1/tracker/linear", linear.person_moves(identifier, "Done"))
            assert answer.json() == {"status": "accepted", "issue": identifier, "item": first.id,
                                     "item_status": "done"}, answer.text
            await t.until(first.id, lambda i: i.status == "done")
            assert (await t.status(first.id)) == WorkflowExecutionStatus.COMPLETED
            assert "issueUpdate" not in " ".join(linear.operations)

            second = await t.add(title="Document the pool limits", due=datetime.now(UTC).date() + timedelta(days=9))
            item = await t.until(second.id, lambda i: i.tracker is not None)
            await remote_items.change_item(t.h.client, second.id, CompleteItem(actor="bob"))
            await t.until(second.id, lambda i: moves(i) == 1)
            assert linear.by_identifier(item.tracker.key)["state"]["type"] == "completed"
            echo = await t.deliver("/v1/tracker/linear", linear.webhooks[-1])
            assert echo.json()["status"] == "ignored", echo.text

            await t.until(second.id, lambda i: i.status == "done")
            reopened = await remote_items.change_item(t.h.client, second.id, ReopenItem(
                actor="bob", reason="the alert fires on the wrong pool"), policy=t.h.policy)  # `action reopen`
            assert reopened.status == "open"
            await t.until(second.id, lambda i: i.history[-1].text == f"Linear {item.tracker.key} moved to open")
            assert linear.by_identifier(item.tracker.key)["state"]["name"] == "Todo"


def _jira_body(**fields: Any) -> bytes:
    body = {"timestamp": int(datetime.now(UTC).timestamp() * 1000), "webhookEvent": "jira:issue_updated",
            "issue": {"id": "99", "key": "OPS-99", "fields": {"status": {"name": "Done",
                                                                           "statusCategory": {"key": "done"}}}},
            "changelog": {"items": [{"field": "status", "fromString": "To Do", "toString": "Done"}]}}
    return json.dumps({**body, **fields}).encode()


def _signed(secret: str, body: bytes) -> str:
    import hashlib
    import hmac

    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_the_webhooks_refuse_what_is_not_signed_fresh_and_well_formed(tracked):
    jira, service = serve_jira()
    with service:
        async with tracked(jira_config(service.url)) as t:
            body, json_type = _jira_body(), {"content-type": "application/json"}

            async def post(content: bytes, **headers: str) -> httpx.Response:
                return await t.web.post("/v1/tracker/jira", content=content, headers={**json_type, **headers})

            missing = await post(body)
            wrong = await post(body, **{"x-hub-signature": "sha256=" + _signed("not-the-secret", body)})
            old = _jira_body(timestamp=int((datetime.now(UTC) - timedelta(hours=2)).timestamp() * 1000))
            replayed = await post(old, **{"x-hub-signature": "sha256=" + _signed(JIRA_SECRET, old)})
            bad = json.dumps({"timestamp": 1, "webhookEvent": "jira:issue_updated"}).encode()
            shapeless = await post(bad, **{"x-hub-signature": "sha256=" + _signed(JIRA_SECRET, bad)})
            unknown = await post(body, **{"x-hub-signature": "sha256=" + _signed(JIRA_SECRET, body)})
            other = json.dumps({"timestamp": 1, "webhookEvent": "comment_created"}).encode()
            linear = await t.web.post("/v1/tracker/linear", content=other,
                                      headers={**json_type, "linear-signature": _signed(LINEAR_SECRET, other)})
    assert (missing.status_code, missing.json()["error"]) == (401, "X-Hub-Signature header required")
    assert (wrong.status_code, wrong.json()["error"]) == (403, "signature does not match")
    assert (replayed.status_code, replayed.json()["error"]) == (403, "timestamp is more than 1h away from now")
    assert (shapeless.status_code, shapeless.json()["errors"]) == (
        422, ["body: issue: required in a jira:issue_updated event"])
    assert unknown.status_code == 200 and unknown.json() == {
        "status": "ignored", "issue": "OPS-99", "reason": "Jira OPS-99 is no action item's issue"}
    assert linear.status_code == 401 and "no webhook secret is configured" in linear.json()["error"]


async def test_a_linear_delivery_outside_its_minute_is_a_replay(tracked):
    linear = FakeLinear()
    with FakeService(linear) as service:
        async with tracked(linear_config(service.url)) as t:
            issue = {"id": LINEAR_TEAM, "identifier": "ENG-7", "state": {"name": "Done", "type": "completed"}}
            stale = json.dumps({"action": "update", "type": "Issue", "data": issue, "updatedFrom": {"stateId": "y"},
                                "webhookTimestamp": int((datetime.now(UTC) - timedelta(minutes=2)).timestamp() * 1000),
                                }).encode()
            headers = {"content-type": "application/json; charset=utf-8"}
            replayed = await t.web.post("/v1/tracker/linear", content=stale,
                                        headers={**headers, "linear-signature": _signed(LINEAR_SECRET, stale)})
            unsigned = await t.web.post("/v1/tracker/linear", content=stale, headers=headers)
            fresh = json.dumps({"action": "update", "type": "Issue", "data": {"id": "x"},
                                "updatedFrom": {"stateId": "y"},
                                "webhookTimestamp": int(datetime.now(UTC).timestamp() * 1000)}).encode()
            shapeless = await t.web.post("/v1/tracker/linear", content=fresh,
                                         headers={**headers, "linear-signature": _signed(LINEAR_SECRET, fresh)})
    assert (replayed.status_code, replayed.json()["error"]) == (403, "webhookTimestamp is more than 1m away from now")
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "Linear-Signature header required")
    errors = shapeless.json()["errors"]
    assert shapeless.status_code == 422 and "issue.id: String should match pattern" in errors[0], errors
    assert any(e.startswith("issue.identifier") for e in errors) and any(e.startswith("issue.state") for e in errors)

