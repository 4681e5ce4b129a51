"""The report's facts from Temporal visibility: incidents' memos, items' search attributes."""

from __future__ import annotations

from datetime import datetime

from temporalio.client import Client
from temporalio.client import WorkflowExecutionStatus as Status
from temporalio.service import RPCError

from warroom.report import IncidentFacts, ItemFacts
from warroom.temporal import board
from warroom.temporal.connection import of_type, unavailable
from warroom.temporal.incidents import view
from workflows.action_item import ActionItemWorkflow
from workflows.incident import IncidentWorkflow


async def report_facts(client: Client, since: datetime) -> tuple[list[IncidentFacts], list[ItemFacts], int]:
    """The report's facts from visibility: incidents' memos, open items' search attributes and
    memos, and the results of items that ended. Only incidents older than the facts in their memo
    are asked by query. Game days (R-GAME-25) are counted apart, and neither they nor their
    items are in the figures: the third value is how many there were."""
    incidents: dict[str, IncidentFacts] = {}
    exercises: set[str] = set()
    items: list[ItemFacts] = []
    query = f'{of_type(IncidentWorkflow)} AND {board.DETECTED_AT.name}>="{since.isoformat()}"'
    try:
        async for execution in client.list_workflows(query):
            if execution.status == Status.CONTINUED_AS_NEW or execution.id in incidents:
                continue
            if execution.typed_search_attributes.get(board.GAME_DAY):
                exercises.add(execution.id)
                continue
            memo = await execution.memo()
            if "facts" in memo:
                incidents[execution.id] = IncidentFacts.model_validate(memo["facts"])
            else:
                incidents[execution.id] = IncidentFacts.of((await view(client, execution.id)).state)
        async for execution in client.list_workflows(of_type(ActionItemWorkflow)):
            attrs = execution.typed_search_attributes
            if attrs.get(board.ITEM_INCIDENT) in exercises:
                continue
            if execution.status == Status.RUNNING:
                memo = await execution.memo()
                items.append(ItemFacts(
                    id=execution.id, title=str(memo.get("title", "")), owner=attrs.get(board.ITEM_OWNER) or "?",
                    status=attrs.get(board.ITEM_STATUS) or "open", due_at=attrs.get(board.ITEM_DUE),
                ))
            elif execution.status == Status.COMPLETED:
                handle = client.get_workflow_handle_for(ActionItemWorkflow.run, execution.id, run_id=execution.run_id)
                item = await handle.result()
                if item.incident_id not in exercises:
                    items.append(ItemFacts.of(item))
    except RPCError as exc:
        raise unavailable(exc) from None
    return list(incidents.values()), items, len(exercises)
