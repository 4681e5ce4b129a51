"""The verbs, once (DESIGN.md: one command layer, three front-ends). Shape errors are pydantic's,
raised when a front-end builds the command; rule errors are `Refused`, raised by `check`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from warroom.brain import auto_resolvable
from warroom.commands.base import Command, Refused, acknowledged, check_person, stamped
from warroom.comms import compose
from warroom.durations import Duration, format_duration
from warroom.policy import Policy
from warroom.review import action_items, blame_warnings, missing_sections
from warroom.rules import Target
from warroom.severity import Severity, SeverityField
from warroom.state import (
    BRAIN_VERSION,
    AlertOrigin,
    CheckedStep,
    Communication,
    FlagRaised,
    IncidentState,
    InternalUpdate,
    ManualEscalation,
    ReviewRecord,
    SeverityChange,
    SmeReports,
    SmeTrack,
    Status,
)
from warroom.templates import MissingField


def _nonblank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_nonblank), Field(max_length=4000)]
Title = Annotated[str, AfterValidator(_nonblank), Field(max_length=200)]
Handle = Annotated[str, AfterValidator(lambda v: _nonblank(v).lower())]

_SKEW = timedelta(minutes=5)  # a client clock this far ahead still counts as "now"


class Declare(Command):
    """Start an incident. R-SEV-5: give several severities when unsure; the highest is taken."""

    verb: Literal["declare"] = "declare"
    title: Title
    service: str
    severity: SeverityField
    unclear: tuple[SeverityField, ...] = ()  # the other severities considered
    detected_at: AwareDatetime | None = None
    game_day: bool = False
    speed: int = Field(1, ge=1, le=60)  # a game day's time compression (R-GAME-24): the policy runs this much faster
    origin: AlertOrigin | None = None  # opened by an alert group
    previous: str | None = None  # that group's earlier incident, which had ended

    @model_validator(mode="before")
    @classmethod
    def _take_the_higher(cls, data: object) -> object:
        if not isinstance(data, dict) or not data.get("unclear") or "severity" not in data:
            return data
        try:
            given = [Severity.parse(s) for s in (data["severity"], *data["unclear"])]
        except (ValueError, TypeError):
            return data  # the field validators name the bad value
        highest = Severity.highest(given)
        others = tuple(dict.fromkeys(s for s in given if s is not highest))
        return {**data, "severity": highest, "unclear": others}

    def check_new(self, policy: Policy, now: datetime) -> None:
        if self.service not in policy.runbooks:
            known = ", ".join(sorted(policy.runbooks))
            raise Refused(f"service: {self.service!r} has no runbook (known: {known})")
        if self.detected_at is not None and self.detected_at > now + _SKEW:
            raise Refused(f"detected_at: {self.detected_at.isoformat()} is in the future")

    def start(self, incident_id: str, now: datetime, policy: Policy, version: int = BRAIN_VERSION) -> IncidentState:
        """The new incident. The on-call declaring it themselves has acknowledged (R-F15-7:
        whoever detects acknowledges); anyone else's declaration still needs the on-call's ack."""
        now = now.astimezone(UTC)
        detected = min((self.detected_at or now).astimezone(UTC), now)
        text = f"declared {self.severity} on {self.service}: {self.title}"
        if now - detected >= timedelta(minutes=1):
            text += f" (detected {format_duration(now - detected)} earlier, {detected:%H:%M} UTC)"
        if self.unclear:
            others = ", ".join(s.value for s in self.unclear)
            text += f" (unclear between {self.severity} and {others}: took the higher, R-SEV-5)"
        state = IncidentState(
            version=version,
            id=incident_id,
            title=self.title,
            service=self.service,
            detected_at=detected,
            declared_by=self.actor,
            game_day=self.game_day,
            speed=self.speed,
            # the response starts now, when warroom knows: an alert that began hours ago must not
            # fire every first-15-minute deadline at once (R-ESC-18 still counts from detection)
            severities=(SeverityChange(at=now, severity=self.severity, actor=self.actor),),
            severity_confirmed=self.human,
            confirmed_at=now if self.human else None,
            alerts=self.origin,
            previous_incident=self.previous,
        )
        if self.previous:
            text += f"; the alert group's previous incident {self.previous} had ended"
        state = state.record(now, self.actor, "declared", text)
        chain = policy.team(self.service).chain(now)
        if self.human and chain and chain[0][1] == self.actor:
            state = state.record(
                now, self.actor, "acknowledged", f"acknowledged by {self.actor} (the on-call declared it)",
                acknowledged_at=now, acknowledged_by=self.actor, status=Status.investigating,
            )
        return stamped(state, 0, self.through)


class Ack(Command):
    verb: Literal["ack"] = "ack"
    acknowledges: ClassVar[bool] = False

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("acknowledge",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if state.acknowledged_at is not None:
            raise Refused(
                f"{state.id} was already acknowledged by {state.acknowledged_by} "
                f"at {state.acknowledged_at:%H:%M:%S} UTC"
            )

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        return acknowledged(state, self.actor, now, f"acknowledged by {self.actor}")


class SetSeverity(Command):
    """R-SEV-6: the brain re-plans from the new severity; an upgrade pages whoever it adds."""

    verb: Literal["severity"] = "severity"
    severity: SeverityField
    reason: str = ""

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("upgrade",) if self.severity.above(state.severity) else ("downgrade",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if self.severity is state.severity and (state.severity_confirmed or not self.human):
            raise Refused(f"{state.id} is already {self.severity}")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        confirmed = state.severity_confirmed or self.human
        at = state.confirmed_at or (now if self.human else None)
        if self.severity is state.severity:
            return state.record(now, self.actor, "severity", f"{self.severity} confirmed", severity_confirmed=confirmed,
                                confirmed_at=at)
        word = "upgraded" if self.severity.above(state.severity) else "downgraded"
        reason = f": {self.reason}" if self.reason else ""
        change = SeverityChange(at=now, severity=self.severity, actor=self.actor)
        return state.record(
            now, self.actor, "severity", f"{word} {state.severity} → {self.severity}{reason}",
            severities=state.severities + (change,), severity_confirmed=confirmed, confirmed_at=at,
        )


class AssignRole(Command):
    """R-ROLE-1..4: one IC at a time, handed over explicitly; a comms lead; SMEs with tracks."""

    verb: Literal["role"] = "role"
    role: Literal["ic", "comms", "sme"]
    handle: Handle
    track: str | None = None
    release: bool = False  # sme only: the IC releases an SME
    reason: str = ""

    @model_validator(mode="after")
    def _shape(self) -> AssignRole:
        if self.release and self.role != "sme":
            raise ValueError("release: only an SME is released; hand the IC or comms role to someone else instead")
        if self.track is not None and self.role != "sme":
            raise ValueError("track: only SMEs work a track")
        return self

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("command",) if self.role == "ic" else ("roles",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        check_person(self.handle, policy, "handle")
        if self.role == "ic":
            if state.ic == self.handle:
                raise Refused(f"{self.handle} is already the IC of {state.id}")
            sme = next((s for s in state.smes if s.handle == self.handle), None)
            if sme is not None:
                raise Refused(f"{self.handle} is an SME on {sme.track or 'no track'}: release them first, "
                              "the IC does not debug (R-ROLE-1)")
        elif self.role == "sme" and not self.release and self.handle == state.ic:
            raise Refused(f"{self.handle} is the IC: the IC does not debug (R-ROLE-1); hand over command first")
        elif self.role == "comms" and state.comms == self.handle:
            raise Refused(f"{self.handle} is already the comms lead of {state.id}")
        elif self.role == "sme":
            current = next((s for s in state.smes if s.handle == self.handle), None)
            runbook_sme = state.version >= 7 and policy.runbook(state.service).has_sme(self.handle)
            if self.release and current is None and (not runbook_sme or self.handle in state.released_smes):
                raise Refused(f"{self.handle} is not an SME on {state.id}")
            if not self.release and current is not None and current.track == self.track:
                raise Refused(f"{self.handle} already works {self.track or 'no track'} on {state.id}")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        if self.role == "ic":
            text = f"{self.handle} is IC" + (f" (took over from {state.ic})" if state.ic else "")
            return state.record(now, self.actor, "role", text + _because(self.reason), ic=self.handle)
        if self.role == "comms":
            return state.record(now, self.actor, "role", f"{self.handle} is comms lead", comms=self.handle)
        others = tuple(s for s in state.smes if s.handle != self.handle)
        if self.release:
            return state.record(now, self.actor, "role", f"{self.handle} released as SME", smes=others,
                                released_smes=tuple(dict.fromkeys((*state.released_smes, self.handle))))
        previous = next((s for s in state.smes if s.handle == self.handle), None)
        track = SmeTrack(handle=self.handle, track=self.track, since=previous.since if previous else now)
        reports = state.reports
        if previous is None:  # joining starts the report clock afresh (R-ROLE-3)
            count = reports[self.handle].count + 1 if self.handle in reports else 0
            reports = {**reports, self.handle: SmeReports(count=count, last_at=now)}
        text = f"{self.handle} is SME" + (f" on track {self.track!r}" if self.track else "")
        return state.record(now, self.actor, "role", text, smes=others + (track,), reports=reports)


class SetStatus(Command):
    """R-COMM-12 statuses move forward; going back needs a reason. Resolution is `resolve`."""

    verb: Literal["status"] = "status"
    status: Status
    reason: str = ""

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("status",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        _check_status(state, self.status, self.reason)

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        return _set_status(state, self.status, self.reason, self.actor, now)


def _check_status(state: IncidentState, status: Status, reason: str) -> None:
    if status is Status.resolved:
        raise Refused("status: use `resolve` to resolve an incident (only the IC may, R-ROLE-4)")
    if status is Status.detected:
        raise Refused("status: `detected` is where incidents start; choose investigating, identified or mitigating")
    if status is state.status:
        raise Refused(f"{state.id} is already {status.value}")
    if status.rank < state.status.rank and not reason.strip():
        raise Refused(f"status: {state.status.value} → {status.value} goes backwards; give a reason")


def _set_status(state: IncidentState, status: Status, reason: str, actor: str, now: datetime) -> IncidentState:
    mitigated = state.mitigated_at or (now if status is Status.mitigating else None)
    text = f"status {state.status.value} → {status.value}" + _because(reason)
    return state.record(now, actor, "status", text, status=status, mitigated_at=mitigated)


class PostUpdate(Command):
    """R-COMM-12: an internal status update, whose `next update at` the brain tracks (R-COMM-15)."""

    verb: Literal["update"] = "update"
    impact: Text
    theory: Text
    next_steps: Text
    status: Status | None = None
    next_update_in: Duration | None = None
    next_update_at: AwareDatetime | None = None

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        moves = self.status is not None and self.status is not state.status
        return ("update", "status") if moves else ("update",)

    @model_validator(mode="after")
    def _one_next(self) -> PostUpdate:
        if self.next_update_in is not None and self.next_update_at is not None:
            raise ValueError("next_update: give a time or a duration, not both")
        return self

    def next_at(self, state: IncidentState, policy: Policy, now: datetime) -> datetime:
        every = policy.rules.of(state.severity).internal_update_every
        if self.next_update_at is not None:
            return self.next_update_at
        if self.next_update_in is not None:
            return now + self.next_update_in
        if every is None:
            raise Refused(f"next_update: {state.severity} has no update cadence; say when the next update comes")
        return now + every

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if self.status is not None and self.status is not state.status:
            _check_status(state, self.status, "")
        self.render(state, policy, now)
        at = self.next_at(state, policy, now)
        if at <= now:
            raise Refused("next_update: the next update must be in the future")
        every = policy.rules.of(state.severity).internal_update_every
        if every is not None and at > now + every:
            raise Refused(
                f"next_update: {state.severity} updates are due every {format_duration(every)}; "
                f"promise one by {(now + every):%H:%M} UTC at the latest (R-COMM-15)"
            )

    def render(self, state: IncidentState, policy: Policy, now: datetime) -> str:
        if self.status is not None and self.status is not state.status:
            state = state.model_copy(update={"status": self.status})
        fields = {"impact": self.impact, "theory": self.theory, "next_steps": self.next_steps}
        return _composed("internal", state, policy, fields, self.next_at(state, policy, now))

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        if self.status is not None and self.status is not state.status:
            state = _set_status(state, self.status, "", self.actor, now)
        update = InternalUpdate(
            at=now, actor=self.actor, severity=state.severity, status=state.status, impact=self.impact,
            theory=self.theory, next_steps=self.next_steps, next_update_at=self.next_at(state, policy, now),
            text=self.render(state, policy, now),
        )
        state = _reported(state, policy, self.actor, now)
        return state.record(
            now, self.actor, "update",
            f"update #{len(state.updates) + 1}: {self.impact} — next update by {update.next_update_at:%H:%M} UTC",
            updates=state.updates + (update,),
        )


class Publish(Command):
    """The comms lead publishes a customer update (to the status page), an executive update or the
    stakeholder notice (R-ROLE-2, R-COMM-13/14); warroom itself does at a deadline when the policy
    says auto_send, marked automatic. Rendered first: a missing field refuses, nothing half-sent."""

    verb: Literal["comms"] = "comms"
    allowed_when_resolved: ClassVar[bool] = True  # a last word to customers after the fix
    kind: Literal["customer", "executive", "stakeholder"]
    fields: dict[str, str] = {}
    next_update_in: Duration | None = None
    next_update_at: AwareDatetime | None = None
    components: tuple[str, ...] = ()  # customer: status-page components; default the runbook's
    automatic: bool = False

    def next_at(self, state: IncidentState, policy: Policy, now: datetime) -> datetime | None:
        if self.next_update_at is not None:
            return self.next_update_at
        if self.next_update_in is not None:
            return now + self.next_update_in
        every = _cadence(self.kind, state, policy)
        return None if every is None or state.resolved else now + every

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("publish",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if not self.human and not self.automatic:
            raise Refused("only people publish; warroom's own messages are automatic")
        known = policy.runbook(state.service).components
        unknown = [c for c in self.components if c not in known]
        if unknown:
            raise Refused(f"components: {', '.join(unknown)} not on the status page (known: {', '.join(known)})")
        if self.kind == "customer" and not (self.components or known) :
            raise Refused(f"components: the {state.service} runbook names no status-page components")
        at = self.next_at(state, policy, now)
        every = _cadence(self.kind, state, policy)
        if at is not None and at <= now:
            raise Refused("next_update: the next update must be in the future")
        if at is not None and every is not None and at > now + every and not self.automatic:
            # warroom's own notice before a business-hours response promises the response's start
            raise Refused(
                f"next_update: {state.severity} {self.kind} updates are due every {format_duration(every)}; "
                f"promise one by {(now + every):%H:%M} UTC at the latest (R-COMM-15)"
            )
        self.render(state, policy, now)

    def render(self, state: IncidentState, policy: Policy, now: datetime) -> str:
        return _composed(self.kind, state, policy, self.fields, self.next_at(state, policy, now))

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        components = self.components or (policy.runbook(state.service).components if self.kind == "customer" else ())
        message = Communication(
            kind=self.kind, at=now, actor=self.actor, automatic=self.automatic, fields=dict(self.fields),
            text=self.render(state, policy, now), next_update_at=self.next_at(state, policy, now),
            components=tuple(components), status=state.status, severity=state.severity,
        )
        number = len(state.sent(self.kind)) + 1
        name = {"customer": "customer update", "executive": "executive update", "stakeholder": "stakeholder notice"}
        how = "sent automatically at its deadline" if self.automatic else "published"
        then = f"; next by {message.next_update_at:%H:%M} UTC" if message.next_update_at else ""
        return state.record(
            now, self.actor, "comms", f"{name[self.kind]} #{number} {how}{then}",
            communications=state.communications + (message,),
        )


def _cadence(kind: str, state: IncidentState, policy: Policy) -> timedelta | None:
    rules = policy.rules.of(state.severity)
    return {
        "customer": rules.customer_update_every,
        "executive": rules.executive_update_every,
        "stakeholder": rules.internal_update_every,  # its "next update" is the next internal one
    }[kind]


def _composed(kind: str, state: IncidentState, policy: Policy, fields: dict[str, str], next_at: datetime | None) -> str:
    try:
        return compose(kind, state, policy, fields, next_at)
    except MissingField as exc:
        raise Refused(f"fields: the {exc.template} template needs {exc.field!r}; nothing was sent") from None


class AddNote(Command):
    """Anything worth the timeline; a note by an SME is that SME's report (R-ROLE-3)."""

    verb: Literal["note"] = "note"
    allowed_when_resolved: ClassVar[bool] = True
    text: Text

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("note",)

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        return _reported(state, policy, self.actor, now).record(now, self.actor, "note", self.text)


class TickStep(Command):
    """R-F15-11: a runbook step done, ticked by a responder, so nobody at 2 AM wonders whether the
    processor's status page was checked. Steps with `done_when` tick themselves from the facts."""

    verb: Literal["check"] = "check"
    step: int = Field(ge=1, le=1000)
    undo: bool = False

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("checklist",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        steps = policy.runbook(state.service).steps
        if self.step > len(steps):
            raise Refused(f"step: the {state.service} runbook's checklist has {len(steps)} step(s)")
        ticked = next((c for c in state.checked if c.number == self.step), None)
        if self.undo and ticked is None:
            raise Refused(f"step: step {self.step} is not ticked")
        if not self.undo and ticked is not None:
            raise Refused(f"step: step {self.step} was ticked by {ticked.actor} at {ticked.at:%H:%M} UTC")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        text = policy.runbook(state.service).steps[self.step - 1].step
        if self.undo:
            return state.record(now, self.actor, "checklist", f"checklist step {self.step} unticked: {text}",
                                checked=tuple(c for c in state.checked if c.number != self.step))
        done = CheckedStep(number=self.step, step=text, at=now, actor=self.actor)
        return state.record(now, self.actor, "checklist", f"checklist step {self.step} done: {text}",
                            checked=(*state.checked, done))


def _reported(state: IncidentState, policy: Policy, actor: str, now: datetime) -> IncidentState:
    """An SME's word is their report (R-ROLE-3); from brain v7 the runbook's SMEs report too."""
    runbook_sme = state.version >= 7 and policy.runbook(state.service).has_sme(actor)
    if not (runbook_sme or any(s.handle == actor for s in state.smes)):
        return state
    previous = state.reports.get(actor)
    count = previous.count + 1 if previous else 1
    return state.model_copy(update={"reports": {**state.reports, actor: SmeReports(count=count, last_at=now)}})


class SetFlag(Command):
    """R-ESC-17/19. Confirmed data loss makes the incident SEV1 (R-SEV table)."""

    verb: Literal["flag"] = "flag"
    allowed_when_resolved: ClassVar[bool] = True  # implications are often found after the fix
    flag: Literal["data-loss", "regulatory"]
    note: str = ""

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("flag",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if self.flag in state.flags:
            raised = state.flags[self.flag]
            raise Refused(f"{state.id} is already flagged {self.flag} (by {raised.actor} at {raised.at:%H:%M} UTC)")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        raised = FlagRaised(at=now, actor=self.actor, note=self.note.strip())
        state = state.record(
            now, self.actor, "flag", f"flagged {self.flag}" + _because(self.note),
            flags={**state.flags, self.flag: raised},
        )
        if self.flag == "data-loss" and state.severity is not Severity.SEV1 and not state.resolved:
            change = SeverityChange(at=now, severity=Severity.SEV1, actor=self.actor)
            state = state.record(
                now, self.actor, "severity", f"upgraded {state.severity} → SEV1: confirmed data loss is SEV1",
                severities=state.severities + (change,),
            )
        return state


class Escalate(Command):
    """R-ESC-20: anyone may escalate early, at any time; it is never blocked."""

    verb: Literal["escalate"] = "escalate"
    allowed_when_resolved: ClassVar[bool] = True
    to: Target
    reason: Text

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("escalate",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        allowed = policy.rules.escalation.manual_targets
        if self.to not in allowed:
            raise Refused(f"to: escalate to one of {', '.join(t.value for t in allowed)}")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        escalation = ManualEscalation(at=now, actor=self.actor, to=self.to.value, reason=self.reason)
        return state.record(
            now, self.actor, "escalation", f"escalated to {self.to.value}: {self.reason}",
            escalations=state.escalations + (escalation,),
        )


GAME_DAY_ACTOR = "system:gameday"  # a game day's own notes, injects and time limit (workflows/game_day.py)


class Resolve(Command):
    """R-ROLE-4: only the IC resolves, or someone the policy names, with a reason."""

    verb: Literal["resolve"] = "resolve"
    reason: str = ""

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("resolve",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if self.actor == GAME_DAY_ACTOR and state.game_day:
            return  # an exercise ends at its time limit (R-GAME-24)
        if not self.human and not auto_resolvable(state, policy):
            raise Refused(f"{state.id}: only a SEV4 opened by an alert nobody touched resolves itself")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        review = policy.rules.review
        needed = state.highest_severity in review.required_for
        text = "resolved" + _because(self.reason)
        text += (
            f"; post-incident review due within {format_duration(review.within)} (R-PIR-21)"
            if needed
            else f"; no review required for {state.highest_severity}: closed"
        )
        return state.record(
            now, self.actor, "resolved", text, status=Status.resolved, resolved_at=now, resolved_by=self.actor,
            mitigated_at=state.mitigated_at or now, closed_at=None if needed else now,
        )


class RecordAlerts(Command):
    """An alert group's news folded into its incident: counts, links, what changed. A resolved
    incident refuses it, and the group opens a new incident on its next firing instead."""

    verb: Literal["alerts"] = "alerts"
    acknowledges: ClassVar[bool] = False
    group_id: str
    source: str
    firing: int = Field(ge=0)
    seen: int = Field(ge=0)
    changes: tuple[str, ...]
    links: tuple[str, ...] = ()
    severity: Severity | None = None  # what the group's firing alerts map to now

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if self.human:
            raise Refused("alerts are recorded by the alert ingestion, not by people")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        before = state.alerts
        quiet = self.firing == 0
        origin = AlertOrigin(
            group_id=self.group_id,
            source=self.source,
            firing=self.firing,
            seen=self.seen,
            links=tuple(dict.fromkeys((before.links if before else ()) + self.links))[-20:],
            all_resolved_at=(before.all_resolved_at if before and before.all_resolved_at else now) if quiet else None,
            quiet_spells=(before.quiet_spells if before else 0)
            + (1 if quiet and not (before and before.all_resolved_at) else 0),
        )
        text = f"alerts: {'; '.join(self.changes)} — {self.firing} firing of {self.seen}"
        state = state.record(now, self.actor, "alerts", text, alerts=origin)
        if self.severity is not None and self.severity.above(state.severity) and not state.severity_confirmed:
            change = SeverityChange(at=now, severity=self.severity, actor=self.actor)
            state = state.record(
                now, self.actor, "severity", f"upgraded {state.severity} → {self.severity}: a firing alert maps to it",
                severities=state.severities + (change,),
            )
        return state


class SubmitReview(Command):
    """R-PIR-21: the review document closes the incident."""

    verb: Literal["review"] = "review"
    acknowledges: ClassVar[bool] = False
    allowed_when_resolved: ClassVar[bool] = True
    when_closed: ClassVar[str] = ("{id} is closed: its review is already in and stays as submitted "
                                  "(`warroom review show {id}` prints it); add what came later as action items "
                                  "(`warroom action add {id} …`)")
    document: Annotated[str, AfterValidator(_nonblank), Field(max_length=200_000)]
    reason: str = ""  # when someone other than the IC submits it (R-ROLE-4)

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("review",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if not state.resolved:
            raise Refused(f"{state.id} is not resolved yet; the review follows the resolution")
        missing = missing_sections(self.document)
        if missing:
            raise Refused(f"document: fill in the section(s) {', '.join(repr(m) for m in missing)} (R-PIR-21)")
        if state.version >= 5:
            items, problems = action_items(self.document, now.date())
            for item in items:
                if policy.roster.person(item.owner) is None:
                    problems.append(f"line {item.line}: @{item.owner} is not a person in oncall.yaml")
            if problems:
                raise Refused(f"document: {problems[0]}; every action item has one owner and a due date (R-PIR-23)")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        assert state.resolved_at is not None
        took = format_duration(timedelta(seconds=round((now - state.resolved_at).total_seconds())))
        warnings = blame_warnings(self.document, policy)
        heed = f" ({len(warnings)} blamelessness warning(s))" if warnings else ""
        items = tuple(action_items(self.document, now.date())[0]) if state.version >= 5 else ()
        chased = f"; {len(items)} action item(s) to start" if items else ""
        return state.record(
            now, self.actor, "review", f"post-incident review submitted {took} after resolution{heed}; closed{chased}",
            review=ReviewRecord(at=now, actor=self.actor, document=self.document, items=items), closed_at=now,
        )

    def notes(self, state: IncidentState, policy: Policy) -> tuple[str, ...]:
        return tuple(f"line {w.line}: {w.text}" for w in blame_warnings(self.document, policy))


class ReloadPolicy(Command):
    """Swap the incident's policy snapshot for the files as they are now (DESIGN.md)."""

    verb: Literal["policy-reload"] = "policy-reload"
    acknowledges: ClassVar[bool] = False
    allowed_when_resolved: ClassVar[bool] = True
    policy: Policy

    def permissions(self, state: IncidentState) -> tuple[str, ...]:
        return ("reload",)

    def check(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        if state.service not in self.policy.runbooks:
            raise Refused(f"policy: the new policy has no runbook for {state.service!r}")

    def apply(self, state: IncidentState, policy: Policy, now: datetime) -> IncidentState:
        return state.record(now, self.actor, "policy", "policy reloaded from the runbooks")


def _because(reason: str) -> str:
    return f": {reason.strip()}" if reason.strip() else ""
