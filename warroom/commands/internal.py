"""Actions the brain takes on the incident itself rather than through a channel: a quiet SEV4
resolving, an overdue message sent from its template. They run as commands by `system:warroom`,
through the same checks as everyone's; the workflow and `policy simulate` both use this."""

from __future__ import annotations

from datetime import datetime

from warroom.brain import Action
from warroom.commands.base import execute
from warroom.commands.verbs import Publish, Resolve
from warroom.comms import automatic_fields
from warroom.policy import Policy
from warroom.state import IncidentState

ACTOR = "system:warroom"


def is_internal(action: Action) -> bool:
    return action.kind in ("resolve", "publish")


def carry_out_internal(action: Action, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
    if action.kind == "resolve":
        return execute(Resolve(actor=ACTOR, reason=action.reason), state, policy, now)
    kind = action.targets[0]
    publish = Publish(actor=ACTOR, kind=kind, fields=automatic_fields(kind, state, policy), automatic=True)
    return execute(publish, state, policy, now)
