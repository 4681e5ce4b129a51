"""`warroom policy simulate`: the timeline a policy produces, on a virtual clock.

It turns the workflow's own loop (warroom.loop.advance) on a virtual clock: apply the scenario's
commands when they fall due, advance, deliver at once, jump to the next wake-up. So 72 hours of an
unanswered SEV1 take milliseconds, and what it prints is what the workflow does and when it does
it: the instant each action went out, which is not always the instant it fell due (a notice due
at detection goes out when the severity that needs it is reached).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from warroom.actions import Action, Keys
from warroom.brain import channel_name
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
from warroom.durations import Duration
from warroom.loop import advance, delivered
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
        raise ScenarioError(f"{path}: {' '.join(str(exc).split())}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start})") from None
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
        turn = advance(state, snapshot, now)
        state = turn.state
        fired += [_fired(action, start, now) for action in turn.decision.actions]
        for action in turn.deliveries:  # delivered at once: the virtual clock does not move meanwhile
            opened = f"#{channel_name(state)}" if action.key == Keys.CHANNEL_OPEN else None  # as the outbox names it
            state = delivered(state, action, now, channel=opened)
        if turn.acted:
            continue  # as the workflow does: what they changed may be due at once
        wakes = [t for t in (turn.decision.wake_at, start + pending[0][0].at if pending else None) if t is not None]
        if not wakes or min(wakes) > end or state.closed_at is not None and not pending:
            return fired, state
        now = min(wakes)


def _fired(action: Action, start: datetime, now: datetime) -> Fired:
    return Fired(
        at_seconds=int((now - start).total_seconds()),
        kind=action.kind,
        key=action.key,
        targets=action.audience,
        rule=action.rule,
        reason=action.reason,
    )
