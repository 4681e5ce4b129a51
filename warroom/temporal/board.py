"""The Temporal Web UI as the incident board: search attributes, summary, memo and current details.

`temporal workflow list --query 'IncidentSeverity="SEV1" AND IncidentStatus!="resolved"'` lists
the open SEV1 incidents: IncidentStatus holds the response status, which stays `resolved` through
the review window and after closing; the memo's `stage` says in_review or closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from warroom.brain import Action, next_deadline_text
from warroom.report import IncidentFacts
from warroom.state import IncidentState

if TYPE_CHECKING:
    from warroom.action_items import ItemState

SEVERITY = SearchAttributeKey.for_keyword("IncidentSeverity")
STATUS = SearchAttributeKey.for_keyword("IncidentStatus")
COMMANDER = SearchAttributeKey.for_keyword("IncidentCommander")
SERVICE = SearchAttributeKey.for_keyword("IncidentService")
DETECTED_AT = SearchAttributeKey.for_datetime("IncidentDetectedAt")
RESOLVED_AT = SearchAttributeKey.for_datetime("IncidentResolvedAt")
GAME_DAY = SearchAttributeKey.for_bool("IncidentGameDay")  # an exercise (R-GAME-25): filtered, never counted

ITEM_STATUS = SearchAttributeKey.for_keyword("ActionItemStatus")
ITEM_OWNER = SearchAttributeKey.for_keyword("ActionItemOwner")
ITEM_DUE = SearchAttributeKey.for_datetime("ActionItemDue")
ITEM_INCIDENT = SearchAttributeKey.for_keyword("ActionItemIncident")
ITEM_TRACKER = SearchAttributeKey.for_keyword("ActionItemTracker")  # `jira:<issue id>`: a webhook finds its item

INCIDENT_KEYS = (SEVERITY, STATUS, COMMANDER, SERVICE, DETECTED_AT, RESOLVED_AT, GAME_DAY)
ITEM_KEYS = (ITEM_STATUS, ITEM_OWNER, ITEM_DUE, ITEM_INCIDENT, ITEM_TRACKER)


def search_attributes(state: IncidentState) -> TypedSearchAttributes:
    pairs = [
        SearchAttributePair(SEVERITY, state.severity.value),
        SearchAttributePair(STATUS, state.status.value),
        SearchAttributePair(SERVICE, state.service),
        SearchAttributePair(DETECTED_AT, state.detected_at),
        SearchAttributePair(GAME_DAY, state.game_day),
    ]
    if state.ic:
        pairs.append(SearchAttributePair(COMMANDER, state.ic))
    if state.resolved_at:
        pairs.append(SearchAttributePair(RESOLVED_AT, state.resolved_at))
    return TypedSearchAttributes(pairs)


def memo(state: IncidentState) -> dict[str, Any]:
    """What `warroom list` shows besides the search attributes; from brain version 4 also the
    response times the report reads (warroom.report.IncidentFacts), so it needs no queries."""
    shown: dict[str, Any] = {"title": state.title, "stage": state.stage.value, "summary": state.summary}
    if state.version >= 4:
        shown["facts"] = IncidentFacts.of(state).model_dump(mode="json")
    return shown


def details(state: IncidentState, upcoming: tuple[Action, ...]) -> str:
    """The UI's `current details`: the latest internal update (R-COMM-12) as Markdown, then roles
    and the next deadlines."""
    smes = ", ".join(f"{s.handle} ({s.track})" if s.track else s.handle for s in state.smes) or "none"
    lines = [
        f"**{state.severity} · {state.stage.value}** — {state.title} ({state.service})",
        "",
        f"IC: {state.ic or '—'} · Comms: {state.comms or '—'} · SMEs: {smes}",
    ]
    if state.updates:
        update = state.updates[-1]
        lines += [
            "",
            f"### Update #{len(state.updates)} — {update.at:%H:%M} UTC by {update.actor}",
            f"- **Status:** {update.status.value}",
            f"- **Impact:** {update.impact}",
            f"- **Current theory:** {update.theory}",
            f"- **Next steps:** {update.next_steps}",
            f"- **Next update:** {update.next_update_at:%H:%M} UTC",
        ]
    else:
        lines += ["", "_No internal status update yet._"]
    if upcoming:
        lines += ["", "### Next deadlines"] + [f"- {next_deadline_text(a)}" for a in upcoming[:5]]
    return "\n".join(lines)


def item_search_attributes(item: ItemState) -> TypedSearchAttributes:
    return TypedSearchAttributes([
        SearchAttributePair(ITEM_STATUS, item.status),
        SearchAttributePair(ITEM_OWNER, item.owner),
        SearchAttributePair(ITEM_DUE, item.due_at),
        SearchAttributePair(ITEM_INCIDENT, item.incident_id),
        *([SearchAttributePair(ITEM_TRACKER, item.tracker.search_value)] if item.tracker else []),
    ])
