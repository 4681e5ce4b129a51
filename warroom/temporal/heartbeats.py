"""Heartbeats into Temporal: every beat is one signal-with-start to its monitor's HeartbeatWorkflow
(`heartbeat-<name>`), which keeps the deadline as a durable timer; the gateway keeps no state."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError

from warroom.config_file import Heartbeat
from warroom.policy import Policy
from warroom.temporal.alerts import SIGNAL_TIMEOUT
from warroom.temporal.connection import Unavailable
from workflows.heartbeat import BEATS_PER_RUN, Beat, HeartbeatInput, HeartbeatStatus, HeartbeatWorkflow


def workflow_id(name: str) -> str:
    return f"heartbeat-{name}"


async def beat(
    client: Client, monitor: Heartbeat, policy: Policy, task_queue: str, beats_per_run: int = BEATS_PER_RUN
) -> None:
    """Signal-with-start the monitor; Unavailable when Temporal does not take it. The beat carries
    the monitor as configured now, so an edited interval applies from the next beat on; the
    policy (narrowed to the monitor's service) is read only when the monitor's workflow starts,
    as an alert group's is."""
    try:
        await client.start_workflow(
            HeartbeatWorkflow.run,
            HeartbeatInput(monitor=monitor, policy=policy.for_service(monitor.service), beats_per_run=beats_per_run),
            id=workflow_id(monitor.name),
            task_queue=task_queue,
            start_signal=HeartbeatWorkflow.beat.__name__,  # the signal is named by its method
            start_signal_args=[Beat(monitor=monitor)],
            static_summary=f"heartbeat · {monitor.name} · {monitor.service}",
            rpc_timeout=SIGNAL_TIMEOUT,
        )
    except RPCError as exc:
        raise Unavailable(f"Temporal did not take the beat: {exc.message}") from None


async def status(client: Client, name: str) -> HeartbeatStatus:
    """What a monitor knows: beats seen, when the last came, whether its alert is firing."""
    try:
        return await client.get_workflow_handle(workflow_id(name)).query(HeartbeatWorkflow.status)
    except RPCError as exc:
        raise Unavailable(f"Temporal did not answer: {exc.message}") from None
