"""What an incident answers when asked: the result of a command, and the view of the incident
that `warroom show`, the REST API and the web board print."""

from __future__ import annotations

from pydantic import AwareDatetime

from warroom.actions import Action, ActionKind
from warroom.model import Model
from warroom.policy import Policy
from warroom.state import IncidentState, ReviewItem, Stage


class CommandResult(Model):
    incident_id: str
    message: str  # the timeline line the command wrote
    stage: Stage
    warnings: tuple[str, ...] = ()  # e.g. a review's blameless-wording warnings, line by line


class ChecklistItem(Model):
    number: int = 0  # 1-based: `warroom check N` ticks it
    step: str
    done: bool
    automatic: bool  # ticked by the timeline's facts (runbook done_when), not by hand
    ticked_by: str | None = None  # who ticked it by hand, and when
    ticked_at: AwareDatetime | None = None


class SubmittedReview(Model):
    """`review show`: the review as it closed the incident."""

    incident_id: str
    at: AwareDatetime
    actor: str
    document: str
    items: tuple[ReviewItem, ...]


class IncidentView(Model):
    """The state, the deadlines ahead and the runbook's checklist (the live incident's)."""

    state: IncidentState
    upcoming: tuple[Action, ...]
    checklist: tuple[ChecklistItem, ...] = ()

    def deadlines(self) -> list[dict[str, object]]:
        """The deadlines ahead as people read them: what happens, to whom, why, by which rule, when."""
        return [
            {"at": a.at.isoformat(), "title": f"{DOES[a.kind]} {', '.join(a.audience) or 'nobody yet'}",
             "what": a.reason, "kind": a.kind.value, "who": list(a.audience), "rule": a.rule, "key": a.key}
            for a in self.upcoming
        ]


DOES = {
    ActionKind.page: "page", ActionKind.escalate: "escalate to", ActionKind.notify: "tell",
    ActionKind.remind: "remind", ActionKind.ticket: "open a ticket for", ActionKind.resolve: "resolve for",
    ActionKind.publish: "send the", ActionKind.status: "post to the", ActionKind.channel: "post to",
    ActionKind.items: "start",
}


def checklist(state: IncidentState, policy: Policy) -> tuple[ChecklistItem, ...]:
    """R-F15-11: the runbook's steps, each ticked once the timeline shows what it asks for."""
    facts = {
        "acknowledged": state.acknowledged_at is not None,
        "severity": state.severity_confirmed,
        "ic": state.ic is not None,
        "comms": state.comms is not None,
        "smes": bool(state.smes),
        "tracks": bool(state.smes) and all(s.track for s in state.smes),
        "stakeholder_notice": bool(state.sent("stakeholder")),
        "update": bool(state.updates),
    }
    ticked = {c.number: c for c in state.checked}
    items = []
    for number, step in enumerate(policy.runbook(state.service).steps, start=1):
        by_facts = bool(step.done_when) and all(facts[f] for f in step.done_when)
        hand = ticked.get(number)
        items.append(ChecklistItem(
            number=number, step=step.step, done=by_facts or hand is not None, automatic=bool(step.done_when),
            ticked_by=hand.actor if hand else None, ticked_at=hand.at if hand else None))
    return tuple(items)


def in_words(seconds: float) -> str:
    """`in 4 min`, `in 1 h 20 min`, `now`: a countdown as people say it."""
    seconds = round(seconds)
    if seconds <= 0:
        return "now"
    if seconds < 60:
        return f"in {seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"in {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if minutes else f"in {hours} h"
