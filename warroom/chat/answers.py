"""Doing what a chat request asks, through the desk, and saying what happened in a line or a few."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from warroom.action_items import ItemState
from warroom.chat.grammar import ChatRequest
from warroom.commands import Refused
from warroom.gateway.desk import Desk
from warroom.requests import Invalid
from warroom.temporal.connection import Unavailable
from warroom.temporal.incidents import IncidentPage, IncidentRow
from warroom.views import CommandResult, IncidentView, SubmittedReview

UNREACHABLE = "warroom cannot reach Temporal right now; try again."


async def carry_out(request: ChatRequest, desk: Desk) -> tuple[bool, str]:
    """(succeeded, text): a refusal is an answer too, not an error."""
    try:
        if request.verb.read:
            result = await desk.read(request.verb, request.subject, request.query)
        elif request.preview:
            result = await desk.preview_command(request.command, request.subject)
        else:
            result = await desk.carry_out(request.command, request.subject, request.request_id)
    except Invalid as exc:
        return False, str(exc)
    except Refused as exc:
        return False, f"Refused: {exc}"
    except Unavailable as exc:
        return False, f"{UNREACHABLE} ({exc})"
    return True, describe(result)


def describe(result: Any) -> str:
    if isinstance(result, CommandResult):
        return f"*{result.incident_id}*: {result.message}"
    if isinstance(result, IncidentView):
        state = result.state
        roles = f"IC {state.ic or '—'} · comms {state.comms or '—'}"
        return f"*{state.id}* · {state.summary}\nstage {state.stage.value} · {roles}"
    if isinstance(result, ItemState):
        return f"*{result.id}* ({result.owner}, due {result.due.isoformat()}): {result.history[-1].text}"
    if isinstance(result, IncidentPage):
        return describe(list(result.rows))
    if isinstance(result, list):
        if not result:
            return "nothing found"
        return "\n".join(describe(row) for row in result[:20])
    if isinstance(result, IncidentRow):
        return f"*{result.id}* {result.severity} {result.stage} · {result.service} · {result.title}"
    if isinstance(result, SubmittedReview):
        return (f"*{result.incident_id}*: review submitted by {result.actor} at {result.at:%Y-%m-%d %H:%M} UTC, "
                f"{len(result.items)} action item(s); `warroom review show {result.incident_id}` prints it")
    if isinstance(result, str):
        return result
    if isinstance(result, BaseModel):
        return result.model_dump_json()
    return str(result)
