"""Doing what a chat command asked, and saying what happened in a line or a few."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio.client import Client

from warroom.action_items import ItemState
from warroom.chat.grammar import Parsed
from warroom.commands import Refused
from warroom.temporal.incidents import IncidentRow
from warroom.temporal.connection import Unavailable
from warroom.views import CommandResult, IncidentView


async def carry_out(parsed: Parsed, client: Client) -> tuple[bool, str]:
    """(succeeded, text): a refusal is an answer too, not an error."""
    try:
        return True, describe(await parsed.work(client))
    except Refused as exc:
        return False, f"Refused: {exc}"
    except Unavailable as exc:
        return False, f"warroom cannot reach Temporal right now; try again. ({exc})"
    except ValueError as exc:
        return False, str(exc)


def describe(result: Any) -> str:
    if isinstance(result, CommandResult):
        return f"*{result.incident_id}*: {result.message}"
    if isinstance(result, IncidentView):
        state = result.state
        roles = f"IC {state.ic or '—'} · comms {state.comms or '—'}"
        return f"*{state.id}* · {state.summary}\nstage {state.stage.value} · {roles}"
    if isinstance(result, ItemState):
        return f"*{result.id}* ({result.owner}, due {result.due.isoformat()}): {result.history[-1].text}"
    if isinstance(result, list):
        if not result:
            return "nothing found"
        return "\n".join(describe(row) for row in result[:20])
    if isinstance(result, IncidentRow):
        return f"*{result.id}* {result.severity} {result.stage} · {result.service} · {result.title}"
    if isinstance(result, str):
        return result
    if isinstance(result, BaseModel):
        return result.model_dump_json()
    return str(result)
