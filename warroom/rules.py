"""`policy.yaml`: what each severity demands and when each PROCESS.md deadline falls.

Every field carries the rule id it implements. The brain (warroom.brain) reads these numbers and
nothing else, so a team changes its process here, not in code.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warroom.durations import Duration
from warroom.permissions import Permissions
from warroom.severity import Severity


class Frozen(BaseModel):
    """Base for policy models: immutable, and a typo in a key is an error, not a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Target(StrEnum):
    """Who an action reaches, resolved against oncall.yaml and the incident's roles."""

    oncall = "oncall"  # first layer of the service team's escalation chain with someone on it
    secondary = "secondary"
    manager = "manager"
    smes = "smes"  # the service runbook's subject matter experts
    ic = "ic"  # the incident commander; the responder while nobody holds the role
    comms = "comms"  # the communications lead, if one is assigned
    comms_pool = "comms_pool"
    responder = "responder"  # whoever acknowledged; the on-call primary before that
    leadership = "leadership"
    executives = "executives"
    legal = "legal"
    stakeholders = "stakeholders"  # told by the stakeholder notice (support, account managers…)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(Frozen):
    """When SEV3 pages may go out (R-SEV table: on-call during business hours only)."""

    timezone: str
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time
    end: time

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        if not self.days:
            raise ValueError("days must name at least one weekday")
        return self

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when business hours are open then, else the next opening instant."""
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            if _WEEKDAYS[day.weekday()] not in self.days:
                continue
            opens = datetime.combine(day, self.start, zone)
            closes = datetime.combine(day, self.end, zone)
            if offset == 0 and opens <= local < closes:
                return at
            if local < opens:
                return opens.astimezone(at.tzinfo)
        raise AssertionError("unreachable: some weekday is always open")


class SeverityRules(Frozen):
    """What one severity demands (PROCESS.md R-SEV table, R-COMM, R-ROLE-3)."""

    meaning: str
    response: Literal["page", "ticket"]  # SEV4: a ticket in the normal workflow, no page
    page: tuple[Target, ...] = ()  # paged the moment the incident reaches this severity
    notify: tuple[Target, ...] = ()  # told at once, not paged (SEV1: executives)
    business_hours_only: bool = False  # SEV3: pages wait for business hours
    stakeholder_notice_within: Duration | None = None  # SEV1 0m, SEV2 30m, SEV3 2h
    internal_update_every: Duration | None = None  # R-COMM-12/15 cadence
    customer_update_every: Duration | None = None  # R-COMM-13
    executive_update_every: Duration | None = None  # R-COMM-14
    sme_report_every: Duration | None = None  # R-ROLE-3 (SEV1: 15m)

    @model_validator(mode="after")
    def _consistent(self) -> SeverityRules:
        if self.response == "ticket" and self.page:
            raise ValueError("a severity answered by a ticket pages nobody; empty `page`")
        if self.response == "page" and not self.page:
            raise ValueError("response `page` needs at least one target in `page`")
        for name in ("internal_update_every", "sme_report_every", "customer_update_every"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                raise ValueError(f"{name} must be longer than 0s")
        return self


class Acknowledge(Frozen):
    """R-F15-7: acknowledge within `within`; else page again, then walk the escalation chain."""

    within: Duration
    repage_after: Duration
    escalate_every: Duration
    repeat: int = Field(default=3, ge=0, le=20)  # then the whole chain again, this often (brain version 7)

    @model_validator(mode="after")
    def _ordered(self) -> Acknowledge:
        if not timedelta(0) < self.repage_after <= self.within:
            raise ValueError("repage_after must be after 0s and no later than `within`")
        if self.escalate_every <= timedelta(0):
            raise ValueError("escalate_every must be longer than 0s")
        return self


class Expectation(Frozen):
    """R-F15-8..10: met by `within` after the response starts, else remind, then escalate."""

    within: Duration
    remind: tuple[Target, ...]
    escalate_after: Duration | None = None
    escalate_to: tuple[Target, ...] = ()

    @model_validator(mode="after")
    def _escalation_complete(self) -> Expectation:
        if (self.escalate_after is None) != (not self.escalate_to):
            raise ValueError("give both escalate_after and escalate_to, or neither")
        return self


class FirstFifteen(Frozen):
    acknowledge: Acknowledge  # R-F15-7
    severity_and_ic: Expectation  # R-F15-8
    smes_and_comms: Expectation  # R-F15-9
    investigation_plan: Expectation  # R-F15-10


class Chase(Frozen):
    """Chase until done (brain version 7): a reminder nobody answered repeats every `every` until
    its obligation is met or the incident resolves, one rung up its ladder (comms lead → IC →
    manager) after `escalate_after` unanswered repeats. After an outage only the latest fires."""

    every: Duration = timedelta(minutes=10)
    escalate_after: int = Field(default=2, ge=1, le=50)
    up_to: int = Field(default=18, ge=1, le=1000)  # repeats at most (18 × 10m: three hours), as pagers bound theirs


class Updates(Frozen):
    """R-COMM-15: a promised update that does not come reminds the comms lead, then the IC."""

    remind_ic_after: Duration


class Trigger(Frozen):
    after: Duration
    notify: tuple[Target, ...] = Field(min_length=1)


class Immediate(Frozen):
    notify: tuple[Target, ...] = Field(min_length=1)


class Escalation(Frozen):
    sev1_not_mitigated: Trigger  # R-ESC-16
    data_loss: Immediate  # R-ESC-17
    open_longer_than: Trigger  # R-ESC-18
    regulatory: Immediate  # R-ESC-19
    manual_targets: tuple[Target, ...] = Field(min_length=1)  # R-ESC-20: whom `escalate` may reach


class Resolution(Frozen):
    """Superseded by `permissions.resolve`; kept so incidents snapshotted before it still load."""

    also_allowed_with_reason: tuple[Target, ...] = (Target.leadership,)


class Review(Frozen):
    """R-PIR-21: the post-incident review window."""

    required_for: tuple[Severity, ...]  # judged by the highest severity the incident reached
    within: Duration
    owner: Target = Target.ic
    remind_before: tuple[Duration, ...] = ()
    escalate_to: tuple[Target, ...] = Field(min_length=1)
    escalate_every: Duration

    @model_validator(mode="after")
    def _reminders_inside_window(self) -> Review:
        for offset in self.remind_before:
            if not timedelta(0) < offset < self.within:
                raise ValueError(f"remind_before {offset} must lie inside the {self.within} window")
        if self.escalate_every <= timedelta(0):
            raise ValueError("escalate_every must be longer than 0s")
        return self


class ActionItems(Frozen):
    """R-PIR-23 defaults for action items."""

    due_in: Duration
    remind_before: tuple[Duration, ...] = ()
    escalate_every: Duration


class Deadline(Frozen):
    """At a communication's deadline: remind the IC, or send the templated message automatically."""

    on_deadline: Literal["remind", "auto_send"]


class Communications(Frozen):
    """R-SEV stakeholder notices, R-COMM-13 customer and R-COMM-14 executive updates: the comms
    lead is reminded halfway to each deadline (R-ROLE-2); the cadences are per severity."""

    stakeholder_notice: Deadline = Deadline(on_deadline="auto_send")
    customer_update: Deadline = Deadline(on_deadline="remind")
    executive_update: Deadline = Deadline(on_deadline="auto_send")


class GameDays(Frozen):
    """R-GAME-24: rehearse regularly. `warroom gameday schedule TEAM` makes a Temporal Schedule of
    this cron (quarterly by default: 10:00 on the 15th of January, April, July and October, in
    `timezone`); each run takes the team's least recently run scenario at `speed`."""

    cron: str = "0 10 15 1,4,7,10 *"
    timezone: str = "UTC"
    speed: int = Field(default=1, ge=1, le=60)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5 or not all(part.replace(",", "").replace("-", "").replace("/", "").replace("*", "")
                                               .isdigit() or part == "*" for part in value.split()):
            raise ValueError(f"{value!r} is not a five-field cron expression (minute hour day month weekday)")
        return value


class ChatRules(Frozen):
    """The incident's own chat channel (warroom.chat): opened at declaration, archived later."""

    incident_channel: bool = True
    archive_after: Duration = timedelta(days=7)  # after the incident closes
    channel_for: tuple[Severity, ...] = (Severity.SEV1, Severity.SEV2, Severity.SEV3)  # SEV4: a ticket, no channel


class AlertRules(Frozen):
    """How alerts become incidents (warroom.alerts)."""

    default_service: str | None = None  # alerts no runbook matches; None: the first runbook by name
    default_severity: Severity = Severity.SEV2  # no runbook maps its severity: R-SEV-5, the higher when unclear
    auto_resolve_after: Duration = timedelta(minutes=30)  # SEV4 nobody touched, after all its alerts resolved
    # an alert's severity is provisional: its on-call is paged at once, leadership, executives and
    # stakeholders when a person confirms it, or after this (brain version 7)
    confirm_within: Duration = timedelta(minutes=10)
    group_retention: Duration = timedelta(days=7)  # an alert group with no open incident stays this long idle


class Rules(Frozen):
    """The whole of policy.yaml."""

    business_hours: BusinessHours
    severities: dict[Severity, SeverityRules]
    first_15_minutes: FirstFifteen
    updates: Updates
    escalation: Escalation
    resolution: Resolution = Resolution()
    review: Review
    action_items: ActionItems
    alerts: AlertRules = AlertRules()  # a default: incidents snapshotted before it existed still load
    permissions: Permissions = Permissions()  # who may do what (warroom.permissions)
    chase: Chase = Chase()
    communications: Communications = Communications()
    chat: ChatRules = ChatRules()
    game_days: GameDays = GameDays()

    @field_validator("severities")
    @classmethod
    def _all_four(cls, value: dict[Severity, SeverityRules]) -> dict[Severity, SeverityRules]:
        missing = [s.value for s in Severity if s not in value]
        if missing:
            raise ValueError(f"every severity needs its rules; missing {', '.join(missing)}")
        return value

    def of(self, severity: Severity) -> SeverityRules:
        return self.severities[severity]
