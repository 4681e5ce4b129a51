"""The report's facts from Temporal visibility: incidents' memos, items' search attributes and
results, kept between reports by the process that answers them (the gateway)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowExecution
from temporalio.client import WorkflowExecutionStatus as Status
from temporalio.service import RPCError

from warroom.report import IncidentFacts, ItemFacts
from warroom.temporal import board
from warroom.temporal.connection import of_type, unavailable
from warroom.temporal.incidents import view
from workflows.action_item import ActionItemWorkflow
from workflows.incident import IncidentWorkflow

# How far before the previous listing a closed execution is looked for again: visibility may show
# a close a little after it happened (SQL at once, Elasticsearch about a second later).
VISIBILITY_LAG = timedelta(minutes=5)


class ReportFacts:
    """What a report needs of every incident and item of its period. A closed execution never
    changes (its memo, its result), so each is read from visibility once and kept; each report then
    lists only the running executions and those closed since the previous listing. Reading them
    all took about 1 ms an incident: 3 s at 3 000, 50 s at 50 000 (bench/scale.py); a gateway
    keeps ~1 KB per closed incident instead. Game days (R-GAME-25) are counted apart, and neither
    they nor their items are in the figures."""

    def __init__(self) -> None:
        self._incidents: dict[str, tuple[datetime, IncidentFacts | None]] = {}  # closed; None: a game day
        self._items: dict[str, ItemFacts | None] = {}  # closed; None: not counted (cancelled, failed)
        self._covered: datetime | None = None  # every closed incident detected since then is held
        self._listed: datetime | None = None  # when the previous listing began
        self._lock = asyncio.Lock()

    async def read(self, client: Client, since: datetime) -> tuple[list[IncidentFacts], list[ItemFacts], int]:
        """The incidents detected since `since`, every action item, and how many game days there were."""
        async with self._lock:
            began = datetime.now(UTC)
            changed = self._changed_clause(since)
            try:
                running, exercises = await self._read_incidents(client, since, changed)
                items = await self._read_items(client, changed, exercises)
            except RPCError as exc:
                raise unavailable(exc) from None
            if self._covered is None or since < self._covered:
                self._covered = since
            self._listed = began
        closed = [(at, facts) for at, facts in self._incidents.values() if at >= since]
        incidents = [facts for _, facts in closed if facts is not None] + running
        return incidents, items, sum(1 for _, facts in closed if facts is None) + len(exercises)

    def _changed_clause(self, since: datetime) -> str:
        """'' when everything must be listed (the first report, or one further back than any before)."""
        if self._listed is None or self._covered is None or since < self._covered:
            return ""
        return f' AND (ExecutionStatus="Running" OR CloseTime>="{(self._listed - VISIBILITY_LAG).isoformat()}")'

    async def _read_incidents(self, client: Client, since: datetime, changed: str
                              ) -> tuple[list[IncidentFacts], set[str]]:
        """The running incidents' facts and running game days; closed ones go to the kept set."""
        running: dict[str, IncidentFacts] = {}
        exercises: set[str] = set()
        query = f'{of_type(IncidentWorkflow)} AND {board.DETECTED_AT.name}>="{since.isoformat()}"{changed}'
        async for execution in client.list_workflows(query):
            if execution.status == Status.CONTINUED_AS_NEW or execution.id in running:
                continue
            game_day = bool(execution.typed_search_attributes.get(board.GAME_DAY))
            facts = None if game_day else await _incident_facts(client, execution)
            if execution.status != Status.RUNNING:
                detected = execution.typed_search_attributes.get(board.DETECTED_AT) or since
                self._incidents[execution.id] = (detected, facts)
            elif facts is None:
                exercises.add(execution.id)
            else:
                running[execution.id] = facts
        return list(running.values()), exercises

    async def _read_items(self, client: Client, changed: str, exercises: set[str]) -> list[ItemFacts]:
        games = exercises | {id_ for id_, (_, facts) in self._incidents.items() if facts is None}
        running: list[ItemFacts] = []
        async for execution in client.list_workflows(of_type(ActionItemWorkflow) + changed):
            attrs = execution.typed_search_attributes
            if attrs.get(board.ITEM_INCIDENT) in games:
                continue
            if execution.status == Status.RUNNING:
                memo = await execution.memo()
                running.append(ItemFacts(
                    id=execution.id, title=str(memo.get("title", "")), owner=attrs.get(board.ITEM_OWNER) or "?",
                    status=attrs.get(board.ITEM_STATUS) or "open", due_at=attrs.get(board.ITEM_DUE),
                ))
            elif execution.status == Status.COMPLETED and execution.id not in self._items:
                handle = client.get_workflow_handle_for(ActionItemWorkflow.run, execution.id, run_id=execution.run_id)
                item = await handle.result()
                self._items[execution.id] = None if item.incident_id in games else ItemFacts.of(item)
        return [item for item in self._items.values() if item is not None] + running


async def _incident_facts(client: Client, execution: WorkflowExecution) -> IncidentFacts:
    """The facts in the incident's memo; an incident older than the memo's facts is asked by query."""
    memo = await execution.memo()
    if "facts" in memo:
        return IncidentFacts.model_validate(memo["facts"])
    return IncidentFacts.of((await view(client, execution.id)).state)
