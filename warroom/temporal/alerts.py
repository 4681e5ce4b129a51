"""Alert webhooks into Temporal: one signal-with-start per request to its AlertGroupWorkflow."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.service import RPCError

from warroom.alerts.events import AlertBatch
from warroom.policy import Policy
from warroom.temporal.connection import Unavailable
from workflows.alert_group import AlertGroupWorkflow, GroupInput

SIGNAL_TIMEOUT = timedelta(seconds=5)


async def signal_group(client: Client, batch: AlertBatch, policy: Policy, task_queue: str) -> None:
    """Signal-with-start the batch's alert group; Unavailable when Temporal does not take it."""
    try:
        await client.start_workflow(
            AlertGroupWorkflow.run,
            GroupInput(group_id=batch.group_id, source=batch.source, group_key=batch.group_key, policy=policy),
            id=batch.group_id,
            task_queue=task_queue,
            start_signal=AlertGroupWorkflow.alerts.__name__,  # the signal is named by its method
            start_signal_args=[batch],
            static_summary=f"alert group · {batch.source} · {batch.title[:120]}",
            rpc_timeout=SIGNAL_TIMEOUT,
        )
    except RPCError as exc:
        raise Unavailable(f"Temporal did not take the signal: {exc.message}") from None


async def group_incident(client: Client, group_id: str) -> str | None:
    """The incident an alert group has open, if it has one yet."""
    try:
        group = await client.get_workflow_handle(group_id).query(AlertGroupWorkflow.state)
    except RPCError as exc:
        raise Unavailable(f"Temporal did not answer: {exc.message}") from None
    return group.incident
