"""`warroom worker`: registers the workflows and activities on the task queue, after making sure
the board's search attributes exist. Scale out by running more of these (DESIGN.md)."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.channels import ChannelActivities
from activities.incidents import IncidentActivities
from activities.builtin_status import BuiltinStatusPage
from activities.outbox import Outbox, OutboxProvider
from warroom.config import Settings
from warroom.temporal import connect, ensure_search_attributes
from workflows.alert_group import AlertGroupWorkflow
from workflows.incident import IncidentWorkflow
from workflows.status_page import StatusPageWorkflow

WORKFLOWS = [IncidentWorkflow, AlertGroupWorkflow, StatusPageWorkflow]

# Our models are pure and deterministic: pass them through the sandbox instead of re-importing
# pydantic for every workflow run.
RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("warroom", "pydantic", "pydantic_core", "yaml")
)


def channels(client: Client, settings: Settings) -> ChannelActivities:
    """The providers per channel; the outbox is the default for all four, the built-in page for status."""
    outbox = OutboxProvider(Outbox(settings.outbox_path))
    statuspage = BuiltinStatusPage(client, settings.task_queue)
    return ChannelActivities(pager=outbox, notifier=outbox, messenger=outbox, ticketing=outbox, statuspage=statuspage)


def build_worker(client: Client, settings: Settings) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=channels(client, settings).all() + IncidentActivities(client, settings.task_queue).all(),
        workflow_runner=RUNNER,
    )


async def run_worker(settings: Settings, stop: asyncio.Event, client: Client | None = None) -> None:
    """Run until `stop` is set, then finish in-flight tasks and return."""
    client = client or await connect(settings)
    await ensure_search_attributes(client, settings.namespace)
    worker = build_worker(client, settings)
    async with worker:
        await stop.wait()
