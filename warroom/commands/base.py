"""What every command shares: an actor, a check that refuses with a reason, and an apply that
returns the next state. Pure: the workflow's update validator calls `check`, its handler `apply`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from warroom.commands.authority import authorize, may_acknowledge
from warroom.commands.refused import Refused
from warroom.model import Origin
from warroom.policy import Policy
from warroom.state import IncidentState, Model, Status

__all__ = [
    "SYSTEM_PREFIX", "Command", "Refused", "acknowledged", "apply", "check_actor", "check_person", "execute",
    "validate",
]

SYSTEM_PREFIX = "system:"


class Command(Model):
    verb: str
    actor: str
    through: Origin | None = None  # set by the front-end that authenticated the actor, never by a body
    acknowledges: ClassVar[bool] = True  # R-F15-7: a human's first response acknowledges
    allowed_when_resolved: ClassVar[bool] = False
    when_closed: ClassVar[str] = "{id} is closed; declare a new incident"  # the refusal once it is

    def closed(self, incident_id: str) -> str:
        return self.when_closed.format(id=incident_id)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        """Raise Refused when the command may not run against this state."""

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        raise NotImplementedError

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        """The permissions (policy.yaml → permissions) this command needs of a person."""
        return ()

    def notes(self, state: IncidentState, policy: Policy) -> tuple[str, ...]:
        """Warnings for whoever sent it, beside the result (a review's blameless wording)."""
        return ()

    @property
    def human(self) -> bool:
        return not self.actor.startswith(SYSTEM_PREFIX)


def check_actor(actor: str, policy: Policy) -> None:
    if actor.startswith(SYSTEM_PREFIX) and len(actor) > len(SYSTEM_PREFIX):
        return
    if policy.roster.person(actor) is None:
        raise Refused(
            f"unknown person {actor!r}: act as a handle from oncall.yaml (--as HANDLE or WARROOM_USER)"
        )


def check_person(handle: str, policy: Policy, field: str) -> None:
    if policy.roster.person(handle) is None:
        raise Refused(f"{field}: {handle!r} is not a person in oncall.yaml")


def validate(command: Command, state: IncidentState, policy: Policy, now: datetime) -> None:
    """Every rule a command must pass before it may touch the incident (the update validator)."""
    check_actor(command.actor, policy)
    if state.closed_at is not None:
        raise Refused(command.closed(state.id))
    if state.resolved and not command.allowed_when_resolved:
        raise Refused(f"{state.id} is resolved; `{command.verb}` applies to open incidents only")
    authorize(command, state, policy)
    command.check(state, policy, now)


def execute(command: Command, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
    """Validate then apply: the one path every front-end's command takes."""
    validate(command, state, policy, now)
    return apply(command, state, policy, now)


def stamped(state: IncidentState, since: int, origin: Origin | None) -> IncidentState:
    """The timeline events from index `since` on, marked with where their command came from."""
    if origin is None or len(state.timeline) <= since:
        return state
    marked = tuple(e.model_copy(update={"channel": origin.channel, "via": origin.via}) for e in state.timeline[since:])
    return state.model_copy(update={"timeline": state.timeline[:since] + marked})


def apply(command: Command, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
    """Apply a command already validated. The workflow's update handler calls only this: its
    validator ran at admission, and a replay must not re-judge what history says was accepted."""
    since = len(state.timeline)
    return stamped(_applied(command, state, policy, now), since, command.through)


def _applied(command: Command, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
    if command.human and command.acknowledges and state.acknowledged_at is None and _responds(command, state, policy):
        state = acknowledged(state, command.actor, now, f"acknowledged by {command.actor} (first response)")
    return command.apply(state, policy, now)


def acknowledged(state: IncidentState, actor: str, now: datetime, text: str) -> IncidentState:
    """R-F15-7: the first response. From brain version 7 a person answering an alert's page also
    confirms its severity (R-F15-8: they have assessed it; a `sev` changes it if not)."""
    changes: dict[str, object] = {
        "acknowledged_at": now, "acknowledged_by": actor,
        "status": Status.investigating if state.status is Status.detected else state.status,
    }
    if state.version >= 7 and not state.severity_confirmed:
        changes.update(severity_confirmed=True, confirmed_at=now)
        text += f"; {state.severity} confirmed"
    return state.record(now, actor, "acknowledged", text, **changes)


def _responds(command: Command, state: IncidentState, policy: Policy) -> bool:
    """From brain version 6 only a responder's first command is the acknowledgement (R-F15-7): a
    stakeholder's note must not stop the re-pages. Older incidents keep the rule they began with."""
    return state.version < 6 or may_acknowledge(command.actor, state, policy)
