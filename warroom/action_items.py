"""Action items (R-PIR-23): one owner, one deadline, chased until done, long after the incident.

Each item is its own ActionItemWorkflow (`INC-XXXXX-A<n>`). As for incidents, the rules are a
pure function: `decide_item(item, policy, now)` derives the reminders before and on the due date
and the escalations to the owner's manager once it is overdue, repeated on the policy's cadence.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, Field

from warroom.actions import Action, ActionKind, Decision, Keys
from warroom.brain import series
from warroom.commands.base import Refused, check_actor, check_person
from warroom.delivery import Delivery, Recipient
from warroom.durations import format_duration
from warroom.limits import sane_due
from warroom.policy import Policy
from warroom.state import Done, Model, TimelineEvent, normalize_incident_id
from warroom.tracker import TrackerIssue, TrackerRef, TrackerState

ItemStatus = Literal["open", "done", "cancelled"]
_ITEM_ID = re.compile(r"^(INC-[0-9A-HJKMNP-TV-Z]{5})-A([1-9][0-9]*)$")


def item_id(incident_id: str, number: int) -> str:
    return f"{incident_id}-A{number}"


def normalize_item_id(text: str) -> str:
    """`inc-7k2qd-a1` -> `INC-7K2QD-A1`; ValueError for anything else."""
    head, _, number = text.strip().upper().rpartition("-A")
    candidate = f"{normalize_incident_id(head)}-A{number}" if head else ""
    if not _ITEM_ID.match(candidate):
        raise ValueError(f"{text!r} is not an action item id like INC-7K2QD-A1")
    return candidate


def due_moment(day: date, policy: Policy) -> datetime:
    """A due date ends with the business day, in the policy's business-hours zone."""
    hours = policy.rules.business_hours
    return datetime.combine(day, hours.end, ZoneInfo(hours.timezone)).astimezone(ZoneInfo("UTC"))


def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


class ItemState(Model):
    id: str
    incident_id: str
    title: str
    owner: str
    due: date
    due_at: AwareDatetime
    status: ItemStatus = "open"
    created_at: AwareDatetime
    created_by: str
    completed_at: AwareDatetime | None = None
    done: dict[str, Done] = {}
    history: tuple[TimelineEvent, ...] = ()
    tracker: TrackerRef | None = None  # its issue in Jira or Linear, when the worker has a tracker

    def record(self, at: datetime, actor: str, kind: str, text: str, **changes: object) -> ItemState:
        event = TimelineEvent(at=at, actor=actor, kind=kind, text=text)
        return self.model_copy(update={**changes, "history": self.history + (event,)})

    @property
    def closed(self) -> bool:
        return self.status != "open"

    def overdue(self, now: datetime) -> bool:
        return self.status == "open" and now > self.due_at

    def on_time(self) -> bool:
        return self.status == "done" and self.completed_at is not None and self.completed_at <= self.due_at

    @property
    def tracker_state(self) -> TrackerState:
        """What its tracker issue should be: done once the item is closed here (done or cancelled:
        either way nobody is to work on it), open while it is chased."""
        return TrackerState.done if self.closed else TrackerState.open


class ItemCommand(Model):
    verb: str
    actor: str

    def check(self, item: ItemState, policy: Policy, now: datetime) -> None:
        check_actor(self.actor, policy)
        if item.closed:
            raise Refused(f"{item.id} is {item.status}")

    def apply(self, item: ItemState, policy: Policy, now: datetime) -> ItemState:
        raise NotImplementedError


class AddItem(Model):
    """Create an action item; the due date defaults to the policy's `action_items.due_in`."""

    actor: str
    incident_id: str
    title: Annotated[str, AfterValidator(_nonblank), Field(max_length=300)]
    owner: str
    due: Annotated[date, AfterValidator(sane_due)] | None = None

    def start(self, number: int, policy: Policy, now: datetime) -> ItemState:
        check_actor(self.actor, policy)
        check_person(self.owner, policy, "owner")
        due = self.due or (now + policy.rules.action_items.due_in).date()
        item = ItemState(
            id=item_id(self.incident_id, number), incident_id=self.incident_id, title=self.title, owner=self.owner,
            due=due, due_at=due_moment(due, policy), created_at=now, created_by=self.actor,
        )
        late = " (already past: escalated at once)" if item.due_at < now else ""
        return item.record(now, self.actor, "added", f"added for {self.owner}, due {due.isoformat()}{late}")


class CompleteItem(ItemCommand):
    verb: Literal["done"] = "done"
    note: str = ""

    def apply(self, item: ItemState, policy: Policy, now: datetime) -> ItemState:
        when = "on time" if now <= item.due_at else f"{format_duration(now - item.due_at)} late"
        return item.record(now, self.actor, "done", f"done {when}" + (f": {self.note}" if self.note else ""),
                           status="done", completed_at=now)


class CancelItem(ItemCommand):
    verb: Literal["cancel"] = "cancel"
    reason: Annotated[str, AfterValidator(_nonblank)]

    def apply(self, item: ItemState, policy: Policy, now: datetime) -> ItemState:
        return item.record(
            now, self.actor, "cancelled", f"cancelled: {self.reason}", status="cancelled", completed_at=now
        )


class ReassignItem(ItemCommand):
    verb: Literal["reassign"] = "reassign"
    owner: str

    def check(self, item: ItemState, policy: Policy, now: datetime) -> None:
        super().check(item, policy, now)
        check_person(self.owner, policy, "owner")
        if self.owner == item.owner:
            raise Refused(f"{item.id} is already owned by {self.owner}")

    def apply(self, item: ItemState, policy: Policy, now: datetime) -> ItemState:
        return item.record(now, self.actor, "reassigned", f"owner {item.owner} → {self.owner}", owner=self.owner)


class SnoozeItem(ItemCommand):
    """Move the due date later, with a reason; it counts against on-time completion honestly."""

    verb: Literal["snooze"] = "snooze"
    until: Annotated[date, AfterValidator(sane_due)]
    reason: Annotated[str, AfterValidator(_nonblank)]

    def check(self, item: ItemState, policy: Policy, now: datetime) -> None:
        super().check(item, policy, now)
        if self.until <= item.due:
            raise Refused(f"until: {self.until.isoformat()} is not after the due date {item.due.isoformat()}")

    def apply(self, item: ItemState, policy: Policy, now: datetime) -> ItemState:
        return item.record(
            now, self.actor, "snoozed", f"due {item.due.isoformat()} → {self.until.isoformat()}: {self.reason}",
            due=self.until, due_at=due_moment(self.until, policy),
        )


class ReopenItem(ItemCommand):
    """A done or cancelled item is work again: chased from where it was (its due date stands, so one
    already past escalates at once), and its tracker issue reopened."""

    verb: Literal["reopen"] = "reopen"
    reason: Annotated[str, AfterValidator(_nonblank)]

    def check(self, item: ItemState, policy: Policy, now: datetime) -> None:
        check_actor(self.actor, policy)
        if not item.closed:
            raise Refused(f"{item.id} is open")

    def apply(self, item: ItemState, policy: Policy, now: datetime) -> ItemState:
        return item.record(now, self.actor, "reopened", f"reopened: {self.reason}", status="open", completed_at=None)


class TrackerReport(ItemCommand):
    """The item's tracker issue was closed or reopened there (its signed webhook, actor
    `system:jira` or `system:linear`). Refused, so nothing is written, when it reports the state
    warroom already knows the issue to have (the echo of warroom's own change, or a repeat), or
    when it is older than the last change applied from there (webhooks arrive out of order)."""

    verb: Literal["tracker"] = "tracker"
    state: TrackerState
    at: AwareDatetime
    by: str = Field(max_length=200)

    def check(self, item: ItemState, policy: Policy, now: datetime) -> None:
        check_actor(self.actor, policy)
        ref = item.tracker
        if ref is None:
            raise Refused(f"{item.id} has no tracker issue")
        if ref.reported_at is not None and self.at <= ref.reported_at:
            raise Refused(f"{ref.name}: a later change ({ref.reported_at.isoformat()}) was already applied")
        if ref.state is self.state:
            raise Refused(f"{ref.name} is {self.state.value} as warroom knows it: nothing to do")

    def apply(self, item: ItemState, policy: Policy, now: datetime) -> ItemState:
        assert item.tracker is not None
        ref = item.tracker.model_copy(update={"state": self.state, "reported_at": self.at})
        by = f" by {self.by}" if self.by else ""
        if self.state is TrackerState.open:
            if not item.closed:  # moved between open states there: nothing changes here
                return item.record(now, self.actor, "tracker", f"{ref.name} reopened{by}", tracker=ref)
            return item.record(now, self.actor, "reopened", f"reopened in {ref.name}{by}", tracker=ref,
                               status="open", completed_at=None)
        if item.closed:  # cancelled here, closed there before warroom's own move arrived
            return item.record(now, self.actor, "tracker", f"{ref.name} closed{by}", tracker=ref)
        when = "on time" if now <= item.due_at else f"{format_duration(now - item.due_at)} late"
        return item.record(now, self.actor, "done", f"done {when}: closed in {ref.name}{by}", tracker=ref,
                           status="done", completed_at=now)


ItemUpdate = Annotated[
    CompleteItem | CancelItem | ReassignItem | SnoozeItem | ReopenItem | TrackerReport, Field(discriminator="verb")
]


def reopens(command: ItemCommand) -> bool:
    """Would this command make a closed item open again (a run that ended must then start anew)?"""
    return isinstance(command, ReopenItem) or (
        isinstance(command, TrackerReport) and command.state is TrackerState.open
    )


def manager_of(handle: str, policy: Policy) -> str | None:
    """The owner's manager: their team's manager (by rotation membership), else leadership."""
    for team in policy.roster.teams.values():
        if handle in team.members and team.manager and team.manager != handle:
            return team.manager
    return next(iter(policy.roster.leadership), None)


def team_of(handle: str, policy: Policy) -> str:
    return next(iter(policy.roster.team_of(handle)), "(no team)")


def decide_item(item: ItemState, policy: Policy, now: datetime) -> Decision:
    """Reminders before and on the due date; once overdue, the manager, every `escalate_every`."""
    if item.closed:
        return Decision(actions=(), upcoming=(), wake_at=None)
    rules = policy.rules.action_items
    hours = policy.rules.business_hours
    candidates: list[Action] = []

    def action(key: str, kind: ActionKind, at: datetime, targets: tuple[str, ...], reason: str) -> None:
        candidates.append(Action(key=key, kind=kind, rule="R-PIR-23", at=at, targets=targets, reason=reason))

    title = f"{item.id} “{item.title}”"
    for before in sorted(rules.remind_before, reverse=True):
        at = item.due_at - before
        if at >= item.created_at:
            action(
                Keys.item_reminder(item.due.isoformat(), format_duration(before)),
                ActionKind.remind,
                at,
                (item.owner,),
                f"{title} is due in {format_duration(before)} ({item.due.isoformat()})",
            )
    morning = datetime.combine(item.due, hours.start, ZoneInfo(hours.timezone)).astimezone(item.due_at.tzinfo)
    if item.created_at <= morning:
        action(
            Keys.item_due_today(item.due.isoformat()),
            ActionKind.remind,
            morning,
            (item.owner,),
            f"{title} is due today",
        )
    manager = manager_of(item.owner, policy)
    for number, at in series(item.due_at, rules.escalate_every, now):
        action(Keys.item_overdue(item.due.isoformat(), number), ActionKind.notify, at, (manager,) if manager else (),
               f"{title}, owned by {item.owner}, is overdue since {item.due.isoformat()}")
    due = sorted((a for a in candidates if a.key not in item.done and a.at <= now and a.addressed), key=lambda a: a.at)
    later = sorted((a for a in candidates if a.key not in item.done and a.at > now), key=lambda a: a.at)
    return Decision(actions=tuple(due), upcoming=tuple(later), wake_at=later[0].at if later else None)


def item_carried_out(item: ItemState, action: Action, at: datetime) -> ItemState:
    done = Done(at=at, kind=action.kind, targets=action.targets)
    return item.record(at, "warroom", action.kind, f"{action.kind} {', '.join(action.targets)}: {action.reason}",
                       done={**item.done, action.key: done})



def item_issue(item: ItemState) -> TrackerIssue:
    """The item as an issue in the team's tracker; its id is the idempotency key."""
    return TrackerIssue(
        key=item.id,
        title=f"{item.title} ({item.id})",
        text="\n".join([
            f"Action item {item.id} from incident {item.incident_id} (R-PIR-23).",
            f"Owner: {item.owner}; due {item.due.isoformat()}.",
            "warroom chases it until it is done: closing this issue marks it done there, and "
            f"`warroom action done {item.id}` closes this issue.",
        ]),
    )


def item_delivery(item: ItemState, policy: Policy, action: Action) -> Delivery:
    recipients = tuple(Recipient.of(handle, policy.roster) for handle in action.targets)
    return Delivery(
        incident_id=item.id,
        action_key=action.key,
        channel=action.spec.channel.value,
        recipients=recipients,
        subject=f"[{item.id}] action item: {item.title}",
        due_at=action.at,
        text="\n".join([
            f"{'REMINDER' if action.kind is ActionKind.remind else 'OVERDUE'} {item.id} · {item.title}",
            f"{action.reason} ({action.rule}).",
            f"Owner: {item.owner}; due {item.due.isoformat()}; from incident {item.incident_id}.",
            f"Done? warroom action done {item.id}",
        ]),
    )
