"""One turn of the incident loop, shared by `IncidentWorkflow.run` and `warroom policy simulate`.

    advance(state, policy, now) -> Turn(state, deliveries, decision)

`decide` says what is due; the actions warroom carries out on the incident itself (a quiet SEV4
resolving, an overdue message sent from its template) are applied here as commands by
`system:warroom`, through the same checks as everyone's, and a refused one is recorded, never
raised. What must leave the process (pages, mail, chat, tickets, the status page, the incident's
channel) is returned as `deliveries`; the caller delivers them and records each with
`delivered` at the time it went out. The workflow's clock is Temporal's, the simulation's a
virtual one: the same function decides for both, so the simulation prints what the workflow does.
"""

from __future__ import annotations

from datetime import datetime

from warroom.actions import Action, ActionKind, Channel, Decision, Publishing
from warroom.brain import carried_out, decide
from warroom.commands.base import Refused, execute
from warroom.commands.verbs import Publish, Resolve
from warroom.comms import automatic_fields
from warroom.model import Model
from warroom.policy import Policy
from warroom.state import IncidentState

ACTOR = "system:warroom"


class Turn(Model):
    state: IncidentState
    deliveries: tuple[Action, ...]  # due now, to be delivered by the caller, in this order
    decision: Decision

    @property
    def acted(self) -> bool:
        """Did anything fall due? Then time passed and the caller decides again before waiting."""
        return bool(self.decision.actions)

    @property
    def applied(self) -> bool:
        """Did warroom change the incident itself (an internal action)? Then decide again at once."""
        return len(self.decision.actions) > len(self.deliveries)


def advance(state: IncidentState, policy: Policy, now: datetime) -> Turn:
    decision = decide(state, policy, now)
    deliveries = []
    for action in decision.actions:
        if action.spec.channel is Channel.internal:
            state = carried_out(_carry_out_internal(action, state, policy, now), action, now)
        else:
            deliveries.append(action)
    return Turn(state=state, deliveries=tuple(deliveries), decision=decision)


def delivered(
    state: IncidentState, action: Action, at: datetime, failure: str | None = None, channel: str | None = None
) -> IncidentState:
    """Record a delivery: a failure on the timeline (the escalation chain goes on regardless, and
    from v8 a failed page moves it on at once), the incident's channel once opened, and the
    action's key as done, at the time it went out."""
    if failure is not None:
        state = state.record(at, "warroom", "delivery-failed", failure)
    if channel is not None:
        state = state.model_copy(update={"channel": channel})
    return carried_out(state, action, at, failed=failure is not None)


def _carry_out_internal(action: Action, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
    try:
        if action.kind is ActionKind.resolve:
            return execute(Resolve(actor=ACTOR, reason=action.reason), state, policy, now)
        assert isinstance(action.payload, Publishing), action
        kind = action.payload.message
        publish = Publish(actor=ACTOR, kind=kind, fields=automatic_fields(kind, state, policy), automatic=True,
                          next_update_at=action.payload.next_update_at)
        return execute(publish, state, policy, now)
    except Refused as exc:  # e.g. a template missing a field: say so, never fail the incident
        return state.record(now, "warroom", "action-refused", f"{action.key}: {exc}")
