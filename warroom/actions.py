"""The action vocabulary: what the brain asks for, how each kind is carried out, and its keys.

An action's `kind` decides everything about how it goes out, in one table (`SPEC`): its order
among actions due together, the channel that delivers it (pager, e-mail, chat, ticket, status
page, the incident's channel) or that it is carried out inside the workflow as a command, and
the word its message opens with. What an action carries besides its people is a typed
`payload`, never a string in `targets`. Keys are built, and the few that are read back are
parsed, only by the functions of `Keys`: a key is the idempotency key handed to providers, so
its spelling is part of every recorded history and must never change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime

from warroom.model import CommsKind, Model


class ActionKind(StrEnum):
    page = "page"
    escalate = "escalate"
    notify = "notify"
    remind = "remind"
    ticket = "ticket"
    resolve = "resolve"
    publish = "publish"
    status = "status"
    channel = "channel"
    items = "items"  # start the review's action items, each its own chased workflow


class Channel(StrEnum):
    """Where an action is delivered; `internal` ones are commands the workflow applies itself."""

    pager = "pager"
    email = "email"
    chat = "chat"
    ticket = "ticket"
    status = "status"
    incident_channel = "incident_channel"
    action_items = "action_items"
    internal = "internal"


@dataclass(frozen=True)
class KindSpec:
    order: int  # among actions due at the same instant: pages first
    channel: Channel
    opening: str  # the first word of the message it sends


SPEC: dict[ActionKind, KindSpec] = {
    ActionKind.page: KindSpec(0, Channel.pager, "PAGE"),
    ActionKind.escalate: KindSpec(1, Channel.pager, "ESCALATION"),
    ActionKind.notify: KindSpec(2, Channel.email, "FOR YOUR INFORMATION"),
    ActionKind.remind: KindSpec(3, Channel.chat, "REMINDER"),
    ActionKind.ticket: KindSpec(4, Channel.ticket, "TICKET"),
    ActionKind.resolve: KindSpec(5, Channel.internal, "RESOLVED"),
    ActionKind.publish: KindSpec(6, Channel.internal, "PUBLISHED"),
    ActionKind.status: KindSpec(7, Channel.status, "STATUS"),
    ActionKind.channel: KindSpec(8, Channel.incident_channel, "CHANNEL"),
    ActionKind.items: KindSpec(9, Channel.action_items, "ACTION ITEMS"),
}


class ChannelStep(StrEnum):
    open = "open"
    sync = "sync"
    archive = "archive"


class ForTeam(Model):
    """A ticket for, or a resolution on behalf of, the service team's queue."""

    type: Literal["team"] = "team"
    team: str


class Publishing(Model):
    """An overdue message warroom sends itself from its template (marked automatic)."""

    type: Literal["publishing"] = "publishing"
    message: CommsKind
    next_update_at: AwareDatetime | None = None  # the promise it makes, when not the severity's cadence


class StatusPost(Model):
    """Customer update #number to the status page; None: the resolution."""

    type: Literal["status"] = "status"
    number: int | None


class ChannelWork(Model):
    type: Literal["channel"] = "channel"
    step: ChannelStep
    channel: str | None = None  # the incident's channel, once open
    team: str = ""  # whose channel it is: named when nobody is invited yet


class ItemsToStart(Model):
    """The review's action items (IncidentState.review.items) to start as their own workflows."""

    type: Literal["items"] = "items"
    count: int


Payload = ForTeam | Publishing | StatusPost | ChannelWork | ItemsToStart


class Action(Model):
    key: str  # stable; also the idempotency key handed to providers (see Keys)
    kind: ActionKind
    rule: str  # the PROCESS.md rule it enforces, e.g. R-ESC-16
    at: AwareDatetime  # when it falls due
    targets: tuple[str, ...] = ()  # roster handles it reaches
    reason: str
    body: str = ""  # a published message's own text, delivered as written
    payload: Payload | None = None

    @property
    def spec(self) -> KindSpec:
        return SPEC[self.kind]

    @property
    def addressed(self) -> bool:
        """Has it somewhere to go? One with nobody to reach waits until someone holds the role."""
        return bool(self.targets) or self.payload is not None

    @property
    def audience(self) -> tuple[str, ...]:
        """Who or what it reaches, as people read it on the timeline and the board."""
        payload = self.payload
        if isinstance(payload, ForTeam):
            return (f"team:{payload.team}",)
        if isinstance(payload, Publishing):
            return (payload.message,)
        if isinstance(payload, StatusPost):
            return ("statuspage",)
        if isinstance(payload, ItemsToStart):
            return (f"{payload.count} action item(s)",)
        if isinstance(payload, ChannelWork):
            if payload.step is ChannelStep.archive or not self.targets:
                return (f"team:{payload.team}",) if payload.step is ChannelStep.open else (payload.channel or "",)
        return self.targets


class Decision(Model):
    actions: tuple[Action, ...]  # due now and not done yet, in the order they go out
    upcoming: tuple[Action, ...]  # later obligations, soonest first
    wake_at: AwareDatetime | None  # when the next one falls due; None: nothing left to time


def order(action: Action) -> tuple[object, int, str]:
    return action.at, action.spec.order, action.key


class Keys:
    """Every action key, built here and nowhere else; recorded histories hold these spellings."""

    @staticmethod
    def page(severity: str) -> str:
        return f"page:{severity}"

    @staticmethod
    def page_confirmed(severity: str) -> str:
        """The rest of a severity's pages, held until a person confirms an alert's severity."""
        return f"page:{severity}:confirmed"

    @staticmethod
    def notify(severity: str) -> str:
        return f"notify:{severity}"

    @staticmethod
    def chase(key: str, number: int) -> str:
        """The n-th repeat of a reminder nobody answered (chase until done)."""
        return f"{key}:chase:{number}"

    @staticmethod
    def ack_repeat(round_: int) -> str:
        return f"ack:repeat:{round_}"

    @staticmethod
    def sme_page(handle: str) -> str:
        return f"sme:page:{handle}"

    STAKEHOLDER_FINAL = "comms:stakeholder:final"

    TICKET = "ticket:open"
    REPAGE = "ack:repage"

    @staticmethod
    def ack_escalation(layer: str) -> str:
        return f"ack:escalate:{layer}"

    @staticmethod
    def first_fifteen(expectation: str, step: Literal["remind", "escalate"]) -> str:
        return f"f15:{expectation}:{step}"

    @staticmethod
    def update_due(number: int, who: Literal["comms", "ic"]) -> str:
        return f"update-due:{number}:{who}"

    @staticmethod
    def comms_deadline(kind: str, number: int, step: Literal["remind", "auto", "escalate"]) -> str:
        return f"comms:{kind}:{number}:{step}"

    @staticmethod
    def deliver(kind: str, number: int) -> str:
        return f"deliver:{kind}:{number}"

    DELIVER_RESOLUTION = "deliver:customer:resolved"
    CHANNEL_OPEN = "channel:open"
    CHANNEL_ARCHIVE = "channel:archive"
    _CHANNEL_SYNC = "channel:sync:"

    @staticmethod
    def channel_sync(posted: int) -> str:
        return f"{Keys._CHANNEL_SYNC}{posted}"

    @staticmethod
    def channel_synced(done: Iterable[str]) -> int:
        """How many timeline events the channel has had posted: the highest sync key done."""
        return max((int(k[len(Keys._CHANNEL_SYNC):]) for k in done if k.startswith(Keys._CHANNEL_SYNC)), default=0)

    @staticmethod
    def sme_report(handle: str, reports: int, number: int) -> str:
        return f"sme-report:{handle}:{reports}:{number}"

    SEV1_NOT_MITIGATED = "escalate:sev1-not-mitigated"
    OPEN_LONGER_THAN = "escalate:open-longer-than"

    @staticmethod
    def auto_resolve(spell: int) -> str:
        return f"alerts:auto-resolve:{spell}"

    @staticmethod
    def all_resolved(spell: int) -> str:
        return f"alerts:all-resolved:{spell}"

    @staticmethod
    def flag(flag: str) -> str:
        return f"escalate:{flag}"

    @staticmethod
    def manual_escalation(number: int) -> str:
        return f"escalate:manual:{number}"

    @staticmethod
    def review_reminder(before: str) -> str:
        return f"review:remind:{before}"

    @staticmethod
    def review_escalation(number: int) -> str:
        return f"review:escalate:{number}"

    REVIEW_ITEMS = "review:items"

    @staticmethod
    def item_reminder(due: str, before: str) -> str:
        return f"item:{due}:remind:{before}"

    @staticmethod
    def item_due_today(due: str) -> str:
        return f"item:{due}:due-today"

    @staticmethod
    def item_overdue(due: str, number: int) -> str:
        return f"item:{due}:overdue:{number}"
