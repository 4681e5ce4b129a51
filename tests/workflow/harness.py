"""A worker on its own task queue with its own outbox, per test, against the session's dev server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio.client import Client, WorkflowHandle

from warroom.commands import Command, Declare
from warroom.config import Settings
from warroom.outbox import Outbox, OutboxRow
from warroom.policy import Policy, load_policy
from warroom.rules import Rules
from warroom.temporal import incidents as remote
from warroom.views import CommandResult, IncidentView
from workflows.incident import IncidentWorkflow

if TYPE_CHECKING:
    import httpx

    from warroom.config_file import WarroomConfig

ROOT = Path(__file__).resolve().parents[2]

def review_document(today: date) -> str:
    """A review with every required section, and one action item due a month after `today` (a
    fixed date would fall in the past one day and change what the test sees)."""
    due = today + timedelta(days=30)
    return f"""# Post-incident review
## Timeline
02:14 paged; 02:16 acknowledged; 02:40 mitigated.
## Root causes and contributing factors
The connection pool was sized for last year's traffic, and no alert watched its saturation.
## What went well
The on-call was paged at once and the comms lead kept customers informed.
## What to improve
Capacity reviews do not cover connection pools.
## Action items
- Alert on connection-pool saturation (@judy, due {due.isoformat()})
"""


REVIEW_DOCUMENT = review_document(date.today())


def _pinned(policy: Policy) -> Policy:
    """The shipped policy with a rotation that does not turn during the next ten years: bob is
    primary, carol secondary, whatever week the tests run in."""
    team = policy.roster.teams["payments"]
    rotation = team.rotation.model_copy(update={"members": ("bob", "carol", "alice"), "every": timedelta(days=3650)})
    teams = {**policy.roster.teams, "payments": team.model_copy(update={"rotation": rotation})}
    return policy.model_copy(update={"roster": policy.roster.model_copy(update={"teams": teams})})


SHIPPED = _pinned(load_policy(ROOT / "runbooks"))


def scaled(factor: float = 1 / 60, base: Policy = SHIPPED, **rules: Any) -> Policy:
    """The shipped policy with every rule duration multiplied (1/60: a minute becomes a second),
    then `rules` overrides merged into the top-level sections (already scaled values)."""
    data = base.scaled(factor).rules.model_dump()
    for section, values in rules.items():
        data[section] = {**data[section], **values} if isinstance(values, dict) else values
    return base.model_copy(update={"rules": Rules.model_validate(data)})


@dataclass
class Harness:
    client: Client
    settings: Settings
    policy: Policy

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.settings.outbox_path)

    async def declare(
        self, severity: str = "SEV1", actor: str = "dana", title: str = "Checkout failing", **fields: Any
    ) -> str:
        command = Declare(actor=actor, title=title, service="payments", severity=severity, **fields)
        result = await remote.declare(self.client, self.policy, command, self.settings.task_queue)
        return result.incident_id

    async def send(self, incident: str, command: Command) -> CommandResult:
        return await remote.send(self.client, incident, command)

    async def view(self, incident: str) -> IncidentView:
        return await remote.view(self.client, incident)

    def handle(self, incident: str) -> WorkflowHandle:
        return self.client.get_workflow_handle_for(IncidentWorkflow.run, incident)

    def rows(self, incident: str) -> list[OutboxRow]:
        return self.outbox.read(incident)

    async def wait_rows(
        self, incident: str, until: Callable[[list[OutboxRow]], bool], timeout: float = 30
    ) -> list[OutboxRow]:
        """Poll the outbox until `until(rows)` holds; a liveness bound, not a timing goal."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            rows = self.rows(incident)
            if until(rows):
                return rows
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"outbox never satisfied the condition; it holds {[(r.action_key, r.recipient) for r in rows]}"
                )
            await asyncio.sleep(0.1)

    async def wait_view(
        self, incident: str, until: Callable[[IncidentView], bool], timeout: float = 30
    ) -> IncidentView:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            view = await self.view(incident)
            if until(view):
                return view
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"incident never reached the condition; stage {view.state.stage}")
            await asyncio.sleep(0.1)


def keys(rows: list[OutboxRow]) -> list[tuple[str, str]]:
    return [(r.action_key, r.recipient) for r in rows]


def new_settings(tmp_path: Path, client: Client) -> Settings:
    return Settings(
        temporal_address=client.service_client.config.target_host,
        data_dir=tmp_path,
        task_queue=f"test-{uuid.uuid4().hex[:12]}",
    )


def gateway(h: Harness, config: WarroomConfig) -> httpx.AsyncClient:
    """The real gateway app in-process (ASGI), wired to the harness's Temporal, policy and queue."""
    import httpx

    from warroom.gateway.app import create_app

    app = create_app(h.settings, h.client, h.policy, config)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


async def incidents_of(h: Harness, expected: int = 1, timeout: float = 30) -> list[str]:
    """Ids of the incidents on the harness's task queue, once there are `expected` of them."""
    deadline = asyncio.get_running_loop().time() + timeout
    query = f'TaskQueue="{h.settings.task_queue}" AND WorkflowType="IncidentWorkflow"'
    while True:
        found = sorted({w.id async for w in h.client.list_workflows(query)})
        if len(found) >= expected or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.1)
