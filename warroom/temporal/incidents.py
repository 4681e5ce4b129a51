"""Incidents on Temporal: declare starts an IncidentWorkflow; every other verb is the workflow's
`command` Update, whose validator refuses a bad command before anything is written to history.
Reads are queries on the live workflow, or its result once it has closed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.client import (
    WorkflowExecutionStatus as Status,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from warroom.commands.base import Command, Refused
from warroom.commands.verbs import Declare, PostUpdate, Publish
from warroom.delivery import exercise_mark
from warroom.policy import Policy
from warroom.severity import Severity
from warroom.state import BRAIN_VERSION, IncidentState, Stage, new_incident_id, normalize_incident_id
from warroom.temporal import board, oncall
from warroom.temporal.connection import Unavailable, UnknownIncident, answered, ask, of_type, unavailable
from warroom.views import CommandResult, IncidentView
from workflows.incident import TASK_TIMEOUT, IncidentInput, IncidentWorkflow


async def declare(
    client: Client, policy: Policy, command: Declare, task_queue: str, incident_id: str | None = None,
    request_id: str | None = None,
) -> CommandResult:
    """Start an incident. With `incident_id` (an alert group draws it deterministically) a retry
    finds the incident it already started instead of starting a second one. With `request_id` (a
    signed chat request's own) a replay of the request finds the incident the first one declared:
    its id is drawn from the request id, and the incident's memo names the request."""
    now = datetime.now(UTC)
    command.check_new(policy, now)
    # the overrides recorded until now join the snapshot: the brain pages whoever they say
    snapshot = await oncall.with_overrides(client, policy.for_service(command.service), task_queue,
                                           [policy.runbook(command.service).team])
    for attempt in range(5):  # 32^5 ids: a collision is rare, and then we draw again
        chosen = incident_id or (_drawn_from(request_id) if request_id and attempt == 0 else new_incident_id())
        provisional = command.start(chosen, now, snapshot)
        try:
            await client.start_workflow(
                IncidentWorkflow.run,
                IncidentInput(policy=snapshot, declare=command, version=BRAIN_VERSION),
                id=chosen,
                task_queue=task_queue,
                task_timeout=TASK_TIMEOUT,  # continue-as-new keeps it
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
                if incident_id
                else WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=board.search_attributes(provisional),
                memo={**board.memo(provisional), "request": request_id or ""},
                static_summary=exercise_mark(provisional) + provisional.summary,  # R-GAME-25: marked
                static_details=_checklist(snapshot, command.service),
            )
        except WorkflowAlreadyStartedError:
            if incident_id:
                raise Refused(f"{incident_id} already belongs to an ended incident") from None
            if request_id and await _declared_by(client, chosen, request_id):
                return CommandResult(incident_id=chosen, message="already declared by this very request",
                                     stage=Stage.detected)
            continue
        except RPCError as exc:
            raise unavailable(exc) from None
        return CommandResult(incident_id=chosen, message=provisional.timeline[-1].text, stage=Stage.detected)
    raise Unavailable("could not draw a free incident id; try again")


def _drawn_from(request_id: str) -> str:
    """An incident id drawn from the request id: the same request, the same id."""
    digest = iter(hashlib.sha256(request_id.encode()).digest())
    return new_incident_id(lambda alphabet: alphabet[next(digest) % len(alphabet)])


async def _declared_by(client: Client, incident_id: str, request_id: str) -> bool:
    try:
        described = await client.get_workflow_handle(incident_id).describe()
        return (await described.memo()).get("request") == request_id
    except RPCError as exc:
        raise unavailable(exc) from None


def _checklist(policy: Policy, service: str) -> str:
    runbook = policy.runbook(service)
    steps = "\n".join(f"{n}. {step.step}" for n, step in enumerate(runbook.steps, start=1))
    return f"**Runbook: {runbook.title}**\n\n{steps}" if steps else f"**Runbook: {runbook.title}**"


async def send(client: Client, incident: str, command: Command, update_id: str | None = None) -> CommandResult:
    """Run a command as the incident's Update. `update_id` makes a retried send the same Update:
    Temporal applies it once (an activity passes its own identity)."""
    incident_id = normalize_incident_id(incident)
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    try:
        return await handle.execute_update(IncidentWorkflow.command, command, id=update_id)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            raise Refused(cause.message) from None
        raise Refused(str(cause or exc)) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            if "completed" in exc.message.lower():
                raise Refused(command.closed(incident_id)) from None
            raise UnknownIncident(f"no incident {incident_id}") from None
        raise unavailable(exc) from None


async def preview(client: Client, incident: str, command: Publish | PostUpdate) -> str:
    """Render what `command` would send, through the live incident, without sending anything."""
    incident_id = normalize_incident_id(incident)
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    try:
        with answered(incident_id):
            return await ask(handle, IncidentWorkflow.preview, command)
    except WorkflowQueryFailedError as exc:
        raise Refused(str(exc.message if hasattr(exc, "message") else exc).removeprefix("Refused: ")) from None


async def review_draft(client: Client, incident: str) -> str:
    incident_id = normalize_incident_id(incident)
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    with answered(incident_id):
        description = await handle.describe()
        if description.status == Status.RUNNING:
            return await ask(handle, IncidentWorkflow.review_draft)
    final = (await view(client, incident_id)).state
    if final.review is not None:
        return final.review.document
    raise Refused(f"{incident_id} is closed without a review (none was required)")


async def view(client: Client, incident: str) -> IncidentView:
    """The live view from the workflow; for a closed incident, its final state from history."""
    incident_id = normalize_incident_id(incident)
    handle = client.get_workflow_handle_for(IncidentWorkflow.run, incident_id)
    with answered(incident_id):
        description = await handle.describe()
        if description.status == Status.RUNNING:
            return await ask(handle, IncidentWorkflow.view)
        if description.status == Status.CONTINUED_AS_NEW:  # raced a continue-as-new: ask the new run
            return await view(client, incident_id)
        state: IncidentState = await handle.result()
        return IncidentView(state=state, upcoming=())


class IncidentRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    severity: str
    status: str
    stage: str
    service: str
    commander: str | None
    title: str
    detected_at: datetime | None
    resolved_at: datetime | None
    running: bool
    game_day: bool = False


class IncidentPage(BaseModel):
    """One page of `warroom list`: its rows, and the token for the page after it (None: the last).
    Paged because visibility holds every incident ever closed: the first page answers as fast
    with 50 000 of them as with 50 (bench/scale.py)."""

    model_config = ConfigDict(frozen=True)
    rows: tuple[IncidentRow, ...]
    next_page_token: str | None = None


class BadPageToken(Refused):
    """A page token Temporal does not recognise (not one a previous page gave, or a different query's)."""


async def list_incidents(client: Client, query: str, limit: int, page_token: str | None = None) -> IncidentPage:
    """One page of at most `limit` rows; `page_token` (a previous page's, url-safe base64) the
    page after it."""
    pages = client.list_workflows(query, page_size=limit, next_page_token=_token_bytes(page_token))
    try:
        await pages.fetch_next_page()
    except RPCError as exc:
        if page_token and exc.status in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.UNKNOWN):
            # the token is Temporal's own, opaque: one it cannot read fails as UNKNOWN on SQL visibility
            raise BadPageToken(f"not a page token of this list (Temporal: {exc.message})") from None
        if exc.status == RPCStatusCode.INVALID_ARGUMENT:
            raise Refused(f"query: {exc.message}") from None
        raise unavailable(exc) from None
    rows = [await _row(execution) for execution in pages.current_page or ()]
    following = pages.next_page_token
    return IncidentPage(rows=tuple(rows), next_page_token=base64.urlsafe_b64encode(following).decode()
                        if following and rows else None)


def _token_bytes(page_token: str | None) -> bytes | None:
    if not page_token:
        return None
    try:
        decoded = base64.b64decode(page_token.encode("ascii"), altchars=b"-_", validate=True)
    except (ValueError, UnicodeEncodeError):
        decoded = b""
    if decoded:
        return decoded
    raise BadPageToken("not a page token: a previous page's X-Next-Page-Token, as it was given") from None


async def _row(execution: WorkflowExecution) -> IncidentRow:
    attrs = execution.typed_search_attributes
    memo = await execution.memo()
    return IncidentRow(
        id=execution.id,
        severity=attrs.get(board.SEVERITY) or "?",
        status=attrs.get(board.STATUS) or "?",
        stage=str(memo.get("stage", "?")),
        service=attrs.get(board.SERVICE) or "?",
        commander=attrs.get(board.COMMANDER),
        title=str(memo.get("title", "")),
        detected_at=attrs.get(board.DETECTED_AT),
        resolved_at=attrs.get(board.RESOLVED_AT),
        running=execution.status == Status.RUNNING,
        game_day=bool(attrs.get(board.GAME_DAY)),
    )


async def open_by_severity(client: Client) -> dict[str, int]:
    """How many real incidents stand open (running, not resolved) at each severity: one visibility
    count per severity, as the board's own query would list them."""
    async def count(severity: Severity) -> int:
        query = incident_query(severity.value, None, None, False, game_day=False)
        try:
            return (await client.count_workflows(f'{query} AND {board.STATUS.name}!="resolved"')).count
        except RPCError as exc:
            raise unavailable(exc) from None

    severities = list(Severity)
    return dict(zip([s.value for s in severities], await asyncio.gather(*map(count, severities)), strict=True))


def incident_query(
    severity: str | None, status: str | None, service: str | None, everything: bool, game_day: bool | None = None
) -> str:
    """A visibility query for `warroom list`; values are validated by the caller. `game_day`:
    True for exercises only, False for real incidents only (older incidents carry no flag: real)."""
    clauses = [of_type(IncidentWorkflow)]
    if not everything:
        clauses.append('ExecutionStatus="Running"')
    for key, value in ((board.SEVERITY, severity), (board.STATUS, status), (board.SERVICE, service)):
        if value:
            clauses.append(f'{key.name}="{value}"')
    if game_day is True:
        clauses.append(f"{board.GAME_DAY.name}=true")
    elif game_day is False:
        clauses.append(f"({board.GAME_DAY.name}=false OR {board.GAME_DAY.name} IS NULL)")
    return " AND ".join(clauses)
