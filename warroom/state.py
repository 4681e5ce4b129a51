"""The incident as the workflow holds it: facts with their times, and a timeline of who did what.

Immutable: every command returns a new state (warroom.commands), which keeps the brain a pure
function of (state, policy, now) and makes every change explicit.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime

from warroom.actions import ActionKind
from warroom.model import CommsKind, Model
from warroom.severity import Severity


class Status(StrEnum):
    """Response status, in the order it moves forward (R-COMM-12)."""

    detected = "detected"
    investigating = "investigating"
    identified = "identified"
    mitigating = "mitigating"  # a mitigation is applied; R-ESC-16 counts the incident as mitigated
    resolved = "resolved"

    @property
    def rank(self) -> int:
        return list(Status).index(self)


class Stage(StrEnum):
    """The whole lifecycle: the response statuses, then the review window, then closed."""

    detected = "detected"
    investigating = "investigating"
    identified = "identified"
    mitigating = "mitigating"
    resolved = "resolved"
    in_review = "in_review"
    closed = "closed"




class TimelineEvent(Model):
    at: AwareDatetime
    actor: str
    kind: str
    text: str
    channel: str | None = None  # where it came from (warroom.model.Origin); None: warroom itself
    via: str | None = None


class SeverityChange(Model):
    at: AwareDatetime
    severity: Severity
    actor: str


class SmeTrack(Model):
    handle: str
    track: str | None = None
    since: AwareDatetime


class CheckedStep(Model):
    """A runbook checklist step a person ticked (R-F15-11); steps with done_when tick themselves."""

    number: int  # 1-based, as `warroom show` lists the steps
    step: str
    at: AwareDatetime
    actor: str


class SmeReports(Model):
    """How often an SME has reported, for the R-ROLE-3 cadence."""

    count: int = 0
    last_at: AwareDatetime


class InternalUpdate(Model):
    """R-COMM-12: the fields of an internal status update."""

    at: AwareDatetime
    actor: str
    severity: Severity
    status: Status
    impact: str
    theory: str
    next_steps: str
    next_update_at: AwareDatetime
    text: str = ""  # rendered from the internal_update template


class Communication(Model):
    """An outward message the comms lead published (R-ROLE-2), or warroom sent at its deadline."""

    kind: CommsKind
    at: AwareDatetime
    actor: str
    automatic: bool = False
    fields: dict[str, str]
    text: str
    next_update_at: AwareDatetime | None = None
    components: tuple[str, ...] = ()  # customer updates: the status-page components affected
    status: Status | None = None  # the incident's, when it was published
    severity: Severity | None = None


class FlagRaised(Model):
    at: AwareDatetime
    actor: str
    note: str = ""


class ManualEscalation(Model):
    at: AwareDatetime
    actor: str
    to: str  # a policy Target name
    reason: str


class Done(Model):
    """An action carried out: its key is never emitted again."""

    at: AwareDatetime
    kind: ActionKind
    targets: tuple[str, ...]
    rule: str = ""  # the rule it was carried out under (a game day's debrief scores by it)
    failed: bool = False  # v8: the provider refused it, or it kept failing for hours (workflows/attempts.py)


class AlertOrigin(Model):
    """The alert group an incident was opened by (warroom.alerts)."""

    group_id: str
    source: str
    firing: int
    seen: int
    links: tuple[str, ...] = ()
    all_resolved_at: AwareDatetime | None = None  # every alert of the group resolved, and since when
    quiet_spells: int = 0  # how often the group went all-resolved: keys its reminders


class ReviewItem(Model):
    """An action item the review names (R-PIR-23): one owner, one due date."""

    title: str
    owner: str
    due: date
    line: int  # where the review document says it


class ReviewRecord(Model):
    at: AwareDatetime
    actor: str
    document: str
    items: tuple[ReviewItem, ...] = ()  # started as chased action items (brain version 5)


BRAIN_VERSION = 8
"""Rules an incident runs under. A rule added later applies to incidents declared after it, so a
running incident's history replays exactly (DESIGN.md: replay tests guard running incidents).
1: the foundation. 2: communication deadlines (stakeholder notice, customer, executive updates).
3: the incident's chat channel. 4: the memo carries the report's facts (response times).
5: the review's action items are started by the incident itself (R-PIR-23).
6: only a responder's first command is the acknowledgement (R-F15-7, policy.yaml permissions).
7: chase until done (reminders repeat and climb, the chain repeats), SMEs paged and reporting,
   clocks from the right start, alert severities held until confirmed, stakeholder follow-ups.
8: nothing given up silently: deliveries run beside the loop and are retried through any worker
   outage, the timeline says how late one went out, a failed page moves the escalation chain on,
   and the incident's clock starts when it was declared, not when a worker first ran it."""


class IncidentState(Model):
    version: int = 1  # BRAIN_VERSION at declaration; absent in incidents declared before versions
    id: str
    title: str
    service: str
    detected_at: AwareDatetime
    declared_by: str
    game_day: bool = False
    speed: int = 1  # a game day run faster (its policy snapshot is compressed by this); 1 for real incidents
    severities: tuple[SeverityChange, ...]
    severity_confirmed: bool  # a human set it (R-F15-8); alert-derived severities are provisional
    confirmed_at: AwareDatetime | None = None  # when a person first did
    status: Status = Status.detected
    acknowledged_at: AwareDatetime | None = None
    acknowledged_by: str | None = None
    ic: str | None = None
    comms: str | None = None
    smes: tuple[SmeTrack, ...] = ()
    released_smes: tuple[str, ...] = ()  # released by the IC: no longer owing reports
    reports: dict[str, SmeReports] = {}
    checked: tuple[CheckedStep, ...] = ()
    updates: tuple[InternalUpdate, ...] = ()
    communications: tuple[Communication, ...] = ()
    flags: dict[str, FlagRaised] = {}
    escalations: tuple[ManualEscalation, ...] = ()
    mitigated_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    resolved_by: str | None = None
    review: ReviewRecord | None = None
    closed_at: AwareDatetime | None = None
    alerts: AlertOrigin | None = None
    previous_incident: str | None = None  # the alert group's earlier incident, ended before this one
    channel: str | None = None  # its chat channel, once opened
    done: dict[str, Done] = {}
    timeline: tuple[TimelineEvent, ...] = ()

    @property
    def severity(self) -> Severity:
        return self.severities[-1].severity

    @property
    def highest_severity(self) -> Severity:
        return Severity.highest([c.severity for c in self.severities])

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def stage(self) -> Stage:
        if self.closed_at is not None:
            return Stage.closed
        if self.resolved:
            return Stage.in_review
        return Stage(self.status.value)

    @property
    def summary(self) -> str:
        """The Temporal UI's static summary: `SEV1 · payments · Checkout failing`."""
        return f"{self.severity} · {self.service} · {self.title}"

    @property
    def touched(self) -> bool:
        """Has any person acted on it (besides declaring)?"""
        return any(not e.actor.startswith("system:") and e.actor != "warroom" for e in self.timeline[1:])

    def sent(self, kind: str) -> tuple[Communication, ...]:
        return tuple(c for c in self.communications if c.kind == kind)

    def reached(self, kinds: tuple[ActionKind, ...]) -> set[str]:
        """Everyone already reached by actions of these kinds."""
        return {t for d in self.done.values() if d.kind in kinds for t in d.targets}

    def record(self, at: datetime, actor: str, kind: str, text: str, **changes: Any) -> IncidentState:
        """A new state with `changes` applied and one timeline event appended."""
        event = TimelineEvent(at=at, actor=actor, kind=kind, text=text)
        return self.model_copy(update={**changes, "timeline": self.timeline + (event,)})


# Incident ids: INC- plus 5 Crockford base32 characters (no I, L, O, U).
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID = re.compile(r"^(?:INC-?)?([0-9A-HJKMNP-TV-Z]{5})$")
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_incident_id(choice: Callable[[str], str] = secrets.choice) -> str:
    """A fresh id; a workflow passes `workflow.random().choice` so replay draws the same one."""
    return "INC-" + "".join(choice(CROCKFORD) for _ in range(5))


def normalize_incident_id(text: str) -> str:
    """`inc-7k2qd`, `7K2QD`, `INC7K2QD` -> `INC-7K2QD`; ValueError for anything else."""
    compact = text.strip().upper()
    code = compact.removeprefix("INC-").removeprefix("INC")
    normalised = "INC-" + code.translate(_CROCKFORD_ALIASES)
    if not _ID.match(normalised):
        raise ValueError(f"{text!r} is not an incident id like INC-7K2QD")
    return normalised
