"""The built-in public status page on Temporal: the StatusPageWorkflow singleton holds it."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from warroom.publicpage import PublicIncident, PublicUpdate
from warroom.temporal.connection import Unavailable
from workflows.status_page import STATUS_PAGE_ID, StatusPageState, StatusPageWorkflow


async def publish(client: Client, update: PublicUpdate, task_queue: str) -> None:
    """Signal-with-start the page with one update (idempotent by the update's key)."""
    await client.start_workflow(
        StatusPageWorkflow.run,
        StatusPageState(),
        id=STATUS_PAGE_ID,
        task_queue=task_queue,
        start_signal=StatusPageWorkflow.publish.__name__,  # the signal is named by its method
        start_signal_args=[update],
        static_summary="public status page",
    )


async def incidents(client: Client) -> dict[str, PublicIncident]:
    """What the page shows now; nothing before anything was ever posted."""
    try:
        handle = client.get_workflow_handle_for(StatusPageWorkflow.run, STATUS_PAGE_ID)
        state: StatusPageState = await handle.query(StatusPageWorkflow.current)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise Unavailable(exc.message) from None
        return {}
    return state.incidents
