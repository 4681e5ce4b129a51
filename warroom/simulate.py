"""`warroom policy simulate`: the timeline a policy produces, on a virtual clock.

It runs the workflow's own loop without Temporal: apply the scenario's commands when they fall
due, call `decide`, mark its actions done, jump to the next wake-up. So 72 hours of an unanswered
SEV1 take milliseconds, and what it prints is what the workflow would do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from warroom.brain import Action, carried_out, decide
from warroom.commands import (
    Ack,
    AddNote,
    AssignRole,
    Command,
    Declare,
    Escalate,
    PostUpdate,
    Publish,
    Refused,
    Resolve,
    SetFlag,
    SetSeverity,
    SetStatus,
    SubmitReview,
    execute,
)
from warroom.commands.internal import carry_out_internal, is_internal
from warroom.durations import Duration
from warroom.policy import Policy
from warroom.state import IncidentState

EVENTS: dict[str, type[Command]] = {
    "ack": Ack,
    "severity": SetSeverity,
    "role": AssignRole,
    "status": SetStatus,
    "update": PostUpdate,
    "note": AddNote,
    "flag": SetFlag,
    "escalate": Escalate,
    "resolve": Resolve,
    "review": SubmitReview,
    "comms": Publish,
}


class ScenarioError(Exception):
    pass


class Step(BaseModel):
    """One scenario line: `{at: 5m, event: role, actor: bob, role: ic, handle: bob}`."""

    model_config = ConfigDict(frozen=True, extra="allow")
    at: Duration
    event: str
    actor: str

    def command(self) -> Command:
        if self.event not in EVENTS:
            raise ValueError(f"event: {self.event!r} is not one of {', '.join(EVENTS)}")
        return EVENTS[self.event].model_validate({"actor": self.actor, **(self.model_extra or {})})


class Fired(BaseModel):
    model_config = ConfigDict(frozen=True)
    at_seconds: int
    kind: str
    key: str
    targets: tuple[str, ...]
    rule: str
    reason: str


def load_scenario(path: Path) -> list[tuple[Step, Command]]:
    """Parse and validate a scenario file; ScenarioError names the step and the field."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    if not isinstance(raw, list):
        raise ScenarioError(f"{path}: a scenario is a YAML list of steps like {{at: 5m, event: ack, actor: bob}}")
    steps = []
    for index, item in enumerate(raw):
        try:
            step = Step.model_validate(item)
            steps.append((step, step.command()))
        except (ValidationError, ValueError) as exc:
            raise ScenarioError(f"{path}: step {index + 1}: {_one_line(exc)}") from None
    return sorted(steps, key=lambda s: s[0].at)


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'step'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
    return str(exc)


def simulate(
    policy: Policy,
    declare: Declare,
    start: datetime,
    until: timedelta,
    scenario: list[tuple[Step, Command]] = (),  # type: ignore[assignment]
) -> tuple[list[Fired], IncidentState]:
    start = start.astimezone(UTC)
    declare.check_new(policy, start)
    snapshot = policy.for_service(declare.service)
    state = declare.start("INC-SIM00", start, snapshot)
    end = start + until
    pending = list(scenario)
    fired: list[Fired] = []
    now = start
    while True:
        while pending and start + pending[0][0].at <= now:
            step, command = pending.pop(0)
            try:
                state = execute(command, state, snapshot, now)
            except Refused as exc:
                raise ScenarioError(f"step at {step.at} ({step.event} by {step.actor}) refused: {exc}") from None
        decision = decide(state, snapshot, now)
        for action in decision.actions:
            fired.append(_fired(action, start))
            if is_internal(action):
                state = carry_out_internal(action, state, snapshot, now)
            state = carried_out(state, action, now)
        if decision.actions:
            continue  # as the workflow does: what they changed may be due at once
        wakes = [t for t in (decision.wake_at, start + pending[0][0].at if pending else None) if t is not None]
        if not wakes or min(wakes) > end or state.closed_at is not None and not pending:
            return fired, state
        now = min(wakes)


def _fired(action: Action, start: datetime) -> Fired:
    return Fired(
        at_seconds=int((action.at - start).total_seconds()),
        kind=action.kind,
        key=action.key,
        targets=action.targets,
        rule=action.rule,
        reason=action.reason,
    )
