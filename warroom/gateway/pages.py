"""What the web pages show, worked out from the incidents' views: the board's cards in the order a
responder reads them, and an incident page's sections with exactly the forms its viewer may use
(the permission model decides, warroom.commands.authority)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from warroom.actions import Action
from warroom.commands.authority import allowed
from warroom.durations import format_duration
from warroom.policy import Policy
from warroom.severity import Severity
from warroom.state import IncidentState, Stage, Status
from warroom.temporal.incidents import IncidentRow
from warroom.views import DOES, IncidentView, in_words


@dataclass(frozen=True)
class Deadline:
    title: str  # "escalate to erin"
    why: str  # "SEV1 not mitigated after 30m"
    rule: str
    at: datetime
    countdown: str  # "in 4 min" when the page was drawn; the script keeps it running

    @classmethod
    def of(cls, action: Action, now: datetime) -> Deadline:
        title = f"{DOES[action.kind]} {', '.join(action.audience) or 'nobody yet'}"
        return cls(title=title, why=action.reason, rule=action.rule, at=action.at,
                   countdown=in_words((action.at - now).total_seconds()))


@dataclass(frozen=True)
class Card:
    id: str
    severity: str
    title: str
    service: str
    stage: str
    ic: str | None
    age: str
    acknowledged: bool
    game_day: bool
    next: Deadline | None
    mine: bool
    detected_at: datetime


def age(state: IncidentState, now: datetime) -> str:
    """How long it has been open, to the minute: `1h12m`."""
    return _minutes(max(int(((state.resolved_at or now) - state.detected_at).total_seconds()), 0))


def _minutes(seconds: int) -> str:
    return format_duration(timedelta(minutes=seconds // 60)) if seconds >= 60 else f"{seconds}s"


def involved(state: IncidentState, handle: str) -> bool:
    """The viewer's incidents: theirs to command, speak for, work on, or paged for."""
    roles = {state.ic, state.comms, state.acknowledged_by, *(s.handle for s in state.smes)}
    return handle in roles or handle in state.reached(("page", "escalate"))


def card(view: IncidentView, handle: str, now: datetime) -> Card:
    state = view.state
    upcoming = next(iter(view.upcoming), None)
    return Card(
        id=state.id, severity=state.severity.value, title=state.title, service=state.service, stage=state.stage.value,
        ic=state.ic, age=age(state, now), acknowledged=state.acknowledged_at is not None, game_day=state.game_day,
        next=Deadline.of(upcoming, now) if upcoming else None, mine=involved(state, handle),
        detected_at=state.detected_at,
    )


def card_of_row(row: IncidentRow) -> Card:
    """A card from visibility alone, when the incident's live view cannot be had."""
    detected = row.detected_at or datetime.now(UTC)
    seconds = max(int(((row.resolved_at or datetime.now(UTC)) - detected).total_seconds()), 0)
    return Card(
        id=row.id,
        severity=row.severity,
        title=row.title,
        service=row.service,
        stage=row.stage,
        ic=row.commander,
        age=_minutes(seconds),
        acknowledged=row.status != Status.detected.value,
        game_day=row.game_day,
        next=None,
        mine=False,
        detected_at=detected,
    )


def board_order(cards: list[Card]) -> list[Card]:
    """Most severe first, then the oldest: what needs a commander most stands at the top."""
    rank = {s.value: n for n, s in enumerate(Severity)}
    return sorted(cards, key=lambda c: (c.stage == Stage.closed.value, rank.get(c.severity, 9), c.detected_at))


@dataclass
class Form:
    """One verb the viewer may use: its table name and whether a reason is required."""

    verb: str
    reason_required: bool = False
    choices: tuple[str, ...] = ()


@dataclass
class IncidentPage:
    view: IncidentView
    deadlines: list[Deadline]
    forms: dict[str, Form] = field(default_factory=dict)
    folded: int = 0


def incident_page(view: IncidentView, policy: Policy, actor: str, now: datetime) -> IncidentPage:
    state = view.state
    page = IncidentPage(view=view, deadlines=[Deadline.of(a, now) for a in view.upcoming[:8]],
                        folded=sum(1 for e in state.timeline if e.kind == "channel"))
    if state.closed_at is not None:
        return page

    def offer(verb: str, permission: str, **extra: object) -> None:
        answer = allowed(permission, actor, state, policy)
        if answer is not None:
            page.forms[verb] = Form(verb=verb, reason_required=answer == "with_reason", **extra)  # type: ignore[arg-type]

    if not state.resolved:
        if state.acknowledged_at is None:
            offer("ack", "acknowledge")
        higher = tuple(s.value for s in Severity if s.above(state.severity))
        if allowed("downgrade", actor, state, policy):
            offer("sev", "downgrade", choices=tuple(s.value for s in Severity))
        elif higher:
            offer("sev", "upgrade", choices=higher)
        forward = tuple(s.value for s in Status if s not in (Status.detected, Status.resolved, state.status))
        offer("status", "status", choices=forward)
        offer("role", "command" if allowed("command", actor, state, policy) else "roles")
        offer("update", "update")
        offer("resolve", "resolve")
        offer("check", "checklist")
    offer("note", "note")
    offer("escalate", "escalate")
    offer("flag", "flag", choices=tuple(f for f in ("data-loss", "regulatory") if f not in state.flags))
    offer("comms", "publish")
    if state.resolved:
        offer("review submit", "review")
    return page
