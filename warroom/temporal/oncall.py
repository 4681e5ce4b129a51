"""On-call overrides in Temporal: each team's are its OnCallOverridesWorkflow
(`oncall-overrides-<task queue>-<team>`: one per deployment, as its roster is), recorded by
update-with-start and read from the workflow's memo.

Reading the memo (a describe) needs no worker, so declaring an incident while the workers are
down still pages whoever the overrides say; a team that never had an override has no workflow."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.client import WorkflowExecutionStatus as Status
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from warroom.commands.base import Refused
from warroom.policy import Policy
from warroom.schedule import Override
from warroom.temporal.alerts import SIGNAL_TIMEOUT
from warroom.temporal.connection import unavailable
from workflows.oncall_overrides import OnCallOverridesWorkflow, OverridesInput, memo


def workflow_id(team: str, task_queue: str) -> str:
    return f"oncall-overrides-{task_queue}-{team}"


async def record(client: Client, team: str, override: Override, task_queue: str) -> Override:
    """Record one override in the team's store, starting the store on its first."""
    start = WithStartWorkflowOperation(
        OnCallOverridesWorkflow.run, OverridesInput(team=team), id=workflow_id(team, task_queue), task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, memo=memo(()),
        static_summary=f"on-call overrides · {team}",
    )
    try:
        return await client.execute_update_with_start_workflow(
            OnCallOverridesWorkflow.record, override, start_workflow_operation=start)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        raise Refused(cause.message if isinstance(cause, ApplicationError) else str(cause or exc)) from None
    except RPCError as exc:
        raise unavailable(exc) from None


async def recorded(client: Client, team: str, task_queue: str) -> tuple[Override, ...]:
    """The team's recorded overrides (none when it never had one)."""
    try:
        handle = client.get_workflow_handle(workflow_id(team, task_queue))
        described = await handle.describe(rpc_timeout=SIGNAL_TIMEOUT)
        if described.status != Status.RUNNING:  # only an operator ends it: then it holds nothing
            return ()
        kept = (await described.memo()).get("overrides") or []
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return ()
        raise unavailable(exc) from None
    return tuple(Override.model_validate(o) for o in kept)


async def with_overrides(client: Client, policy: Policy, task_queue: str,
                         teams: Iterable[str] | None = None) -> Policy:
    """`policy` with each team's recorded overrides after its own (oncall.yaml's): what an
    incident snapshots, so the brain pages whoever the schedule says, overrides included."""
    names = [t for t in (policy.roster.teams if teams is None else teams) if t in policy.roster.teams]
    found = await asyncio.gather(*(recorded(client, t, task_queue) for t in names))
    if not any(found):
        return policy
    teams_ = {**policy.roster.teams,
              **{t: policy.roster.teams[t].with_overrides(o) for t, o in zip(names, found, strict=True)}}
    return policy.model_copy(update={"roster": policy.roster.model_copy(update={"teams": teams_})})
