"""Action items on Temporal (R-PIR-23): each its own ActionItemWorkflow, `INC-XXXXX-A<n>`, started
on its own so that it outlives its incident."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.client import WorkflowExecutionStatus as Status
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from warroom.action_items import AddItem, ItemCommand, ItemState, ItemUpdate, normalize_item_id, reopens, team_of
from warroom.commands.base import Refused
from warroom.policy import Policy
from warroom.state import normalize_incident_id
from warroom.temporal import board
from warroom.temporal.connection import Unavailable, UnknownIncident, ask, of_type, unavailable
from warroom.tracker import TrackerKind, tracker_search_value
from workflows.action_item import ActionItemWorkflow, ItemInput


async def add_item(
    client: Client, policy: Policy, command: AddItem, task_queue: str, origin: str | None = None
) -> ItemState:
    """Start the item's own workflow as `<incident>-A<n>`, n the next free number (Temporal's id
    uniqueness settles races between two people adding at once). With `origin` (a review line),
    a retry finds the item it already started instead of starting a second one."""
    incident_id = normalize_incident_id(command.incident_id)
    command = command.model_copy(update={"incident_id": incident_id})
    try:
        existing = [
            w
            async for w in client.list_workflows(
                f'{of_type(ActionItemWorkflow)} AND {board.ITEM_INCIDENT.name}="{incident_id}"'
            )
        ]
    except RPCError as exc:
        raise unavailable(exc) from None
    number = len(existing) + 1
    for _ in range(20):
        item = command.start(number, policy, datetime.now(UTC))
        try:
            await _start(client, item, policy, task_queue,
                         {"title": item.title, "team": team_of(item.owner, policy), "origin": origin or ""},
                         WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            if origin and await _started_from(client, item.id, origin):
                return await _current(client, item.id)
            number += 1
            continue
        except RPCError as exc:
            raise unavailable(exc) from None
        return item
    raise Unavailable("could not number the action item; try again")


async def _start(
    client: Client, item: ItemState, policy: Policy, task_queue: str, memo: dict, reuse: WorkflowIDReusePolicy
) -> None:
    await client.start_workflow(
        ActionItemWorkflow.run,
        ItemInput(policy=policy, item=item),
        id=item.id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=reuse,
        search_attributes=board.item_search_attributes(item),
        static_summary=f"action item · {item.owner} · {item.title}"[:200],
        memo=memo,
    )


async def _started_from(client: Client, item_id: str, origin: str) -> bool:
    try:
        described = await client.get_workflow_handle(item_id).describe()
        return (await described.memo()).get("origin") == origin
    except RPCError as exc:
        raise unavailable(exc) from None


async def _current(client: Client, item_id: str) -> ItemState:
    handle = client.get_workflow_handle_for(ActionItemWorkflow.run, item_id)
    try:
        description = await handle.describe()
        if description.status == Status.RUNNING:
            return await ask(handle, ActionItemWorkflow.current)
        return await handle.result()
    except RPCError as exc:
        raise unavailable(exc) from None


async def change_item(
    client: Client, item: str, command: ItemUpdate, update_id: str | None = None, policy: Policy | None = None
) -> ItemState:
    """Send the command to the item's run. A closed item's run has ended: a command that reopens
    it (`action reopen`, its tracker issue reopened) starts the next run, given `policy`."""
    item_id = normalize_item_id(item)
    for _ in range(3):  # a reopen racing another reopen finds the other's run the second time
        try:
            return await _update(client, item_id, command, update_id)
        except UnknownIncident:
            if policy is None or not reopens(command):
                raise
        try:
            return await _reopen(client, item_id, command, policy)
        except WorkflowAlreadyStartedError:
            continue
    raise Unavailable(f"{item_id} was reopened and closed meanwhile; try again")


async def _update(client: Client, item_id: str, command: ItemUpdate, update_id: str | None) -> ItemState:
    handle = client.get_workflow_handle_for(ActionItemWorkflow.run, item_id)
    try:
        return await handle.execute_update(ActionItemWorkflow.change, command, id=update_id)
    except WorkflowUpdateFailedError as exc:
        raise Refused(exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc.cause or exc)) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownIncident(f"no open action item {item_id}") from None
        raise unavailable(exc) from None


async def _reopen(client: Client, item_id: str, command: ItemCommand, policy: Policy) -> ItemState:
    """The ended run's item with the command applied, as the first state of a new run of the same
    id, on the same task queue, under the gateway's policy (today's rules chase it from now on)."""
    handle = client.get_workflow_handle_for(ActionItemWorkflow.run, item_id)
    try:
        described = await handle.describe()
        if described.status != Status.COMPLETED:
            raise UnknownIncident(f"no action item {item_id} to reopen ({described.status.name.lower()})")
        ended, memo = await handle.result(), await described.memo()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownIncident(f"no action item {item_id}") from None
        raise unavailable(exc) from None
    now = datetime.now(UTC)
    command.check(ended, policy, now)  # Refused: nothing started
    item = command.apply(ended, policy, now)
    try:
        await _start(client, item, policy, described.task_queue, memo, WorkflowIDReusePolicy.ALLOW_DUPLICATE)
    except RPCError as exc:
        raise unavailable(exc) from None
    return item


async def tracked_item(client: Client, kind: TrackerKind, issue_id: str) -> str | None:
    """The action item whose tracker issue this is, or None. `issue_id` validated by the caller."""
    query = f'{of_type(ActionItemWorkflow)} AND {board.ITEM_TRACKER.name}="{tracker_search_value(kind, issue_id)}"'
    try:
        async for execution in client.list_workflows(query, limit=1):
            return execution.id
    except RPCError as exc:
        raise unavailable(exc) from None
    return None


def item_query(owner: str | None = None, incident: str | None = None, everything: bool = False) -> str:
    """A visibility query for `warroom action list`; `owner` and `incident` validated by the caller."""
    clauses = [of_type(ActionItemWorkflow)]
    if not everything:
        clauses.append(f'{board.ITEM_STATUS.name}="open"')
    if owner:
        clauses.append(f'{board.ITEM_OWNER.name}="{owner}"')
    if incident:
        clauses.append(f'{board.ITEM_INCIDENT.name}="{incident}"')
    return " AND ".join(clauses)


async def items(client: Client, query: str | None = None) -> list[ItemState]:
    """Every action item the query finds, each as its workflow holds it now (or ended with)."""
    found: list[ItemState] = []
    try:
        async for execution in client.list_workflows(query or item_query(everything=True)):
            handle = client.get_workflow_handle_for(ActionItemWorkflow.run, execution.id, run_id=execution.run_id)
            if execution.status == Status.RUNNING:
                found.append(await ask(handle, ActionItemWorkflow.current))
            elif execution.status == Status.COMPLETED:
                found.append(await handle.result())
    except RPCError as exc:
        raise unavailable(exc) from None
    return found
