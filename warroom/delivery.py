"""What a workflow hands to a channel activity: one message, its recipients and its idempotency key."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from warroom.actions import Action, ActionKind
from warroom.policy import Policy
from warroom.roster import Roster
from warroom.state import IncidentState

Channel = Literal["pager", "email", "chat", "ticket"]


class Recipient(BaseModel):
    model_config = ConfigDict(frozen=True)
    handle: str  # a roster handle, or `team:<name>` for a ticket queue
    name: str
    contacts: dict[str, str] = {}
    slack_user_id: str | None = None

    @classmethod
    def of(cls, handle: str, roster: Roster) -> Recipient:
        person = roster.person(handle)
        if person is None:
            return cls(handle=handle, name=handle)
        return cls(handle=handle, name=person.name, contacts=person.contacts, slack_user_id=person.slack_user_id)


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    action_key: str
    channel: Channel
    recipients: tuple[Recipient, ...]
    subject: str
    text: str
    game_day: bool = False
    due_at: AwareDatetime | None = None  # when the rule wanted it out; the outbox keeps both times

    @property
    def idempotency_key(self) -> str:
        """Workflow id + action key (DESIGN.md): the same on every retry and every replay."""
        return f"{self.incident_id}:{self.action_key}"


def exercise_mark(state: IncidentState) -> str:
    """What every message of a game day starts with (R-GAME-25), its speed said when compressed."""
    if not state.game_day:
        return ""
    return "[GAME DAY] " if state.speed == 1 else f"[GAME DAY, {state.speed}x speed] "


def delivery_for(state: IncidentState, policy: Policy, action: Action) -> Delivery:
    """The message an action sends: pure, so the workflow builds it and the outbox stores exactly it."""
    recipients = [Recipient.of(handle, policy.roster) for handle in action.audience]
    exercise = exercise_mark(state)
    lines = [
        f"{exercise}{action.spec.opening} {state.id} · {state.summary}",
        f"{action.reason} ({action.rule}).",
    ]
    if action.body:  # a published message goes out as its author (or template) wrote it
        lines += ["", action.body]
    else:
        lines.append(
            f"Status: {state.stage.value}; IC: {state.ic or 'nobody yet'}; "
            f"detected {state.detected_at:%Y-%m-%d %H:%M} UTC."
        )
    if action.kind in (ActionKind.page, ActionKind.escalate) and state.acknowledged_at is None:
        lines.append(f"Acknowledge: warroom ack {state.id}")
    return Delivery(
        incident_id=state.id,
        action_key=action.key,
        channel=action.spec.channel.value,
        recipients=tuple(recipients),
        subject=f"{exercise}[{state.id}] {state.summary}",
        text="\n".join(lines),
        game_day=state.game_day,
        due_at=action.at,
    )
