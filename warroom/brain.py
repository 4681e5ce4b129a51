"""The incident brain: every timing rule of PROCESS.md as one pure function.

    decide(state, policy, now) -> Decision(actions, wake_at)

Level-triggered, as GoAlert's engine: each call derives every obligation the incident has from its
current facts (who is paged at which severity, which deadline falls when), then returns those due
now and not yet done, and the time the next one falls due. Nothing is scheduled or cancelled: a
severity change, an acknowledgement or a resolution changes the facts and the next call re-plans.
No I/O, no clock, no Temporal: the workflow and `warroom policy simulate` call the same function.
A rule added later is gated by `state.version`, so running incidents replay exactly.

Each call costs about the same however old the incident: an obligation already met is looked up
by its key and never described, a series (a chase, an SME's reports, the review's escalations)
is its latest due occurrence and the next, and what every call re-derived is derived once: the
policy's part per policy snapshot, an action per set of facts it states, and who was paged, told
and sent what by folding in only what was appended since the last call. Every cache is a pure
function of immutable arguments, so what it holds never changes a decision (and a replay decides
as the first run did); tests/unit/test_brain_golden.py holds the brain to its recorded decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import Generic, TypeVar

from pydantic import BaseModel

from warroom.actions import (
    SPEC,
    Action,
    ActionKind,
    ChannelStep,
    ChannelWork,
    Decision,
    ForTeam,
    ItemsToStart,
    Keys,
    Payload,
    Publishing,
    StatusPost,
)
from warroom.durations import format_duration
from warroom.model import CommsKind
from warroom.policy import Policy
from warroom.roster import Roster, Team
from warroom.rules import Expectation, Rules, Target
from warroom.runbook import Runbook
from warroom.severity import Severity
from warroom.state import Communication, Done, IncidentState, Status, TimelineEvent

K = ActionKind
_Owed = Iterator[Action | None]  # what a rule yields: its obligations' actions, None for each already done
_PAGES = (K.page, K.escalate)
_NOTICES = (K.notify,)
_KIND = attrgetter("kind")
_SPEC_ORDER = {kind: spec.order for kind, spec in SPEC.items()}
_T, _R, _M = TypeVar("_T"), TypeVar("_R"), TypeVar("_M", bound=BaseModel)
_RANK = {status: status.rank for status in Status}
_MITIGATING = Status.mitigating.rank
_IC, _MANAGER, _LEADERSHIP = (Target.ic,), (Target.manager,), (Target.leadership,)
_COMMS_LEAD, _COMMS_POOL = (Target.comms,), (Target.comms_pool,)


def decide(state: IncidentState, policy: Policy, now: datetime) -> Decision:
    now = now.astimezone(UTC)  # durations add on the wall clock: a named zone would drift at DST
    due: list[Action] = []
    later: list[Action] = []
    for action in filter(None, _obligations(_Context(state, policy, now))):  # None: done, so never built
        if action.at <= now:
            if action.addressed:
                due.append(action)
        else:
            later.append(action)
    due.sort(key=_order)
    later.sort(key=_order)
    return _constructed(Decision, {"actions": tuple(due), "upcoming": tuple(later),
                                   "wake_at": later[0].at if later else None})


def _order(action: Action) -> tuple[datetime, int, str]:
    """warroom.actions.order (time, then the kind's order, then the key), without the property."""
    return action.at, _SPEC_ORDER[action.kind], action.key


@dataclass(frozen=True)
class _Entry:
    """The incident reached a severity above any it was paged for, at a time it may page."""

    severity: Severity
    at: datetime


class _Same:
    """A policy as a cache key, by identity: a frozen Policy holds dicts, so it has no hash."""

    __slots__ = ("policy",)

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def __hash__(self) -> int:
        return id(self.policy)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.policy is self.policy


@dataclass(frozen=True, eq=False)
class _Service:
    """What decide() reads of the policy for one service. An incident keeps its Policy snapshot
    (one object) for its whole run, so this is derived once per incident, not once per call;
    the caches below hold nothing but what their immutable arguments determine."""

    rules: Rules
    roster: Roster
    team: Team
    runbook: Runbook
    smes: tuple[str, ...]  # the runbook's subject matter experts


@lru_cache(maxsize=64)
def _service(policy: _Same, service: str) -> _Service:
    runbook = policy.policy.runbook(service)
    return _Service(rules=policy.policy.rules, roster=policy.policy.roster, team=policy.policy.team(service),
                    runbook=runbook, smes=tuple(s.handle for s in runbook.smes))


@lru_cache(maxsize=1024)
def _rota(service: _Service, at: datetime) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The escalation chain on duty at `at`, and its secondary."""
    return tuple(service.team.chain(at)), service.team.secondary(at)  # overrides included (warroom.schedule)


_duration = lru_cache(maxsize=512)(format_duration)


def _clock(at: datetime) -> str:
    """`14:05`: f"{at:%H:%M}" without strftime, the brain's most frequent format."""
    return f"{at.hour:02}:{at.minute:02}"


class _Context:
    """One decide() call: the facts, and what several rules derive from them, each at most once
    (the people a target names, the messages of each kind, who was paged)."""

    def __init__(self, state: IncidentState, policy: Policy, now: datetime) -> None:
        self.state = state
        self.policy = policy
        self.now = now
        self.done = state.done
        self.service = service = _service(_Same(policy), state.service)
        self.rules = service.rules
        self.team = service.team
        self.runbook = service.runbook
        changes = tuple((c.at, c.at.tzinfo, c.severity) for c in state.severities)
        self.entries = _entries(service, changes)
        self.highest_severity = _highest(changes)
        # when the response began: the first page (detection, or business hours for SEV3)
        self.response_start = self.entries[0].at if self.entries else None
        # the incident's on-call are those on duty when its response began
        self.rota_time = self.response_start or state.detected_at
        self.chain, self.secondary = _rota(service, self.rota_time)
        self.chasing = state.version >= 7  # brain v7: reminders repeat until done, clocks start where PROCESS.md says
        self.unfailing = state.version >= 8  # brain v8: nothing given up silently (a failed page escalates at once)
        self.messages = _by_kind(state.communications)
        self._resolved: dict[tuple[Target, ...], tuple[str, ...]] = {}
        self._rungs: dict[tuple[tuple[Target, ...], ...], tuple[tuple[str, ...], ...]] = {}

    @cached_property
    def paged(self) -> frozenset[str]:
        """Everyone a page or an escalation already reached: state.reached((page, escalate))."""
        return _paged(tuple(self.done.values()))

    @cached_property
    def told(self) -> frozenset[str]:
        """Everyone a notice already reached: state.reached((notify,))."""
        return _told(tuple(self.done.values()))

    def first_page(self, handle: str) -> datetime | None:
        """When a page or an escalation first reached `handle`, if one did. Done keys are recorded
        in the order they went out, each at the time it did (carried_out, once a key), so the first
        found is the earliest: the search stops there."""
        return next((d.at for d in self.done.values() if d.kind in _PAGES and handle in d.targets), None)

    def sent(self, kind: str) -> tuple[Communication, ...]:
        """state.sent(kind), the messages sorted by kind once a call."""
        return self.messages.get(kind, ())

    def held_until(self, at: datetime) -> datetime | None:
        """For a severity no person has confirmed (an alert's), when the pages and notices beyond
        the on-call may go out: at the confirmation, or `alerts.confirm_within` after `at`."""
        state = self.state
        if not self.chasing or (state.severity_confirmed and (state.confirmed_at is None or state.confirmed_at <= at)):
            return None
        if state.severity_confirmed and state.confirmed_at is not None:
            return state.confirmed_at
        return at + self.rules.alerts.confirm_within

    def chase(self, key: str, rule: str, first: datetime, ladder: tuple[tuple[Target, ...], ...],
              reason: str) -> tuple[Action | None, ...]:
        """Chase until done: the reminder repeats every `chase.every` from `first`, one rung up
        the ladder after `chase.escalate_after` unanswered repeats; only the latest fires."""
        chase = self.rules.chase
        number = _latest(first, chase.every, self.now)
        if number > chase.up_to:
            return ()  # chased as often as it may be
        rungs = self._rungs.get(ladder)
        if rungs is None:
            rungs = self._rungs[ladder] = tuple(rung for rung in map(self.resolve, ladder) if rung)
        return tuple(map(self.owed, _repeats(key, rule, first, first.tzinfo, number, rungs, reason, chase.every,
                                             chase.escalate_after, chase.up_to)))

    def resolve(self, targets: tuple[Target, ...]) -> tuple[str, ...]:
        """Target names to roster handles, in order, each once; empty when nobody holds them."""
        found = self._resolved.get(targets)
        if found is None:
            state = self.state
            found = self._resolved[targets] = _people(self.service, self.rota_time, state.acknowledged_by, state.ic,
                                                      state.comms, targets)
        return found

    def owes(self, key: str) -> bool:
        """Is this obligation still to be met? (Its key is not done.)"""
        return key not in self.done

    def action(
        self, key: str, kind: ActionKind, rule: str, at: datetime, targets: tuple[str, ...], reason: str,
        body: str = "", payload: Payload | None = None,
    ) -> Action | None:
        """The obligation's action, or None when its key is done: then it is never built."""
        if key in self.done:
            return None
        return _action(key, kind, rule, at, targets, reason, body, payload)

    def owed(self, action: Action) -> Action | None:
        """A cached action (built once for the facts it states), or None when its key is done."""
        return None if action.key in self.done else action


def _action(key: str, kind: ActionKind, rule: str, at: datetime, targets: tuple[str, ...], reason: str,
            body: str = "", payload: Payload | None = None) -> Action:
    return _constructed(Action, {"key": key, "kind": kind, "rule": rule, "at": at, "targets": targets,
                                 "reason": reason, "body": body, "payload": payload})


def _constructed(model: type[_M], fields: dict[str, object]) -> _M:
    """model.model_construct(**fields) with every field given, for facts already valid: what it sets
    and nothing else, without its loop over the fields (the brain's hot path)."""
    made = _new(model)
    _set(made, "__dict__", fields)
    _set(made, "__pydantic_fields_set__", set(fields))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


_new = object.__new__
_set = object.__setattr__
_cached = lru_cache(maxsize=4096)
"""For the builders of the actions most often upcoming: a pure function of the facts an action
states, so a call builds only what changed since the last. Each takes the time zone of the
instant it is given: equal instants in two zones are one cache key, not one action."""


@lru_cache(maxsize=4096)
def _people(service: _Service, rota_time: datetime, responded: str | None, ic: str | None, comms: str | None,
            targets: tuple[Target, ...]) -> tuple[str, ...]:
    """Who `targets` name, in order, each once, given the rota and who holds which role."""
    chain, secondary = _rota(service, rota_time)
    oncall = [chain[0][1]] if chain else []
    responder = [responded] if responded else oncall
    found: dict[str, None] = {}
    for target in targets:
        match target:
            case Target.oncall:
                handles = oncall
            case Target.secondary:
                handles = [secondary] if secondary else []
            case Target.manager:
                handles = [service.team.manager] if service.team.manager else []
            case Target.smes:
                handles = service.smes
            case Target.ic:
                handles = [ic] if ic else responder
            case Target.comms:
                handles = [comms] if comms else []
            case Target.responder:
                handles = responder
            case Target.comms_pool | Target.leadership | Target.executives | Target.legal | Target.stakeholders:
                handles = getattr(service.roster, target.value)
            case _:
                raise AssertionError(target)
        found.update(dict.fromkeys(handles))
    return tuple(found)


@_cached
def _repeats(key: str, rule: str, first: datetime, zone: tzinfo | None, number: int, rungs: tuple[tuple[str, ...], ...],
             reason: str, every: timedelta, escalate_after: int, up_to: int) -> tuple[Action, ...]:
    """A chase's latest due repeat and the next, no more than `up_to`: on the ladder's first rung a
    reminder, one rung up (an escalation) after each `escalate_after` unanswered ones."""
    repeats = []
    for number_, at in _occurrences(first, every, number) if rungs else ():
        if number_ > up_to:
            break
        rung = min((number_ - 1) // escalate_after, len(rungs) - 1)
        repeats.append(_action(Keys.chase(key, number_), K.remind if rung == 0 else K.escalate, rule, at, rungs[rung],
                               f"{reason} (still not done: reminder {number_ + 1})"))
    return tuple(repeats)


class _Folded(Generic[_T, _R]):
    """A fold over a tuple that every call of an incident sees again with items appended (its
    timeline, its done keys, its messages): the last tuple folded and the result are kept by the
    tuple's first item, and only the items past it are folded in. They are used only when that
    tuple is, item for item, the start of this one, so the result is the same whatever is kept."""

    def __init__(self, fold: Callable[[_R, tuple[_T, ...]], _R], empty: _R) -> None:
        self._fold, self._empty = fold, empty
        self._last: dict[int, tuple[tuple[_T, ...], _R]] = {}

    def __call__(self, items: tuple[_T, ...]) -> _R:
        if not items:
            return self._empty
        known = self._last.get(id(items[0]))
        if known is not None and known[0] is items:
            return known[1]
        if known is not None and len(known[0]) <= len(items) and items[:len(known[0])] == known[0]:
            result = self._fold(known[1], items[len(known[0]):])
        else:
            result = self._fold(self._empty, items)
        if len(self._last) >= 64:
            self._last.clear()  # past 64 incidents at once, start again rather than keep them all alive
        self._last[id(items[0])] = (items, result)
        return result


def _sorted_by_kind(by_kind: dict[str, tuple[Communication, ...]],
                    messages: tuple[Communication, ...]) -> dict[str, tuple[Communication, ...]]:
    grown = dict(by_kind)
    for message in messages:
        grown[message.kind] = (*grown.get(message.kind, ()), message)
    return grown


_by_kind = _Folded(_sorted_by_kind, {})  # state.sent(kind) for every kind


def _still_automatic(run: int, messages: tuple[Communication, ...]) -> int:
    for message in messages:
        run = run + 1 if message.automatic else 0
    return run


_automatic_run = _Folded(_still_automatic, 0)  # how many messages went out automatically since a person spoke
_channel_events = _Folded(lambda count, events: count + list(map(_KIND, events)).count("channel"), 0)
_paged = _Folded(lambda paged, done: paged | {t for d in done if d.kind in _PAGES for t in d.targets}, frozenset())
_told = _Folded(lambda told, done: told | {t for d in done if d.kind in _NOTICES for t in d.targets}, frozenset())


@lru_cache(maxsize=1024)
def _highest(changes: tuple[tuple[datetime, tzinfo | None, Severity], ...]) -> Severity:
    """state.highest_severity: R-SEV-5, the higher one when unclear."""
    return Severity.highest([severity for _, _, severity in changes])


@lru_cache(maxsize=1024)
def _entries(service: _Service, changes: tuple[tuple[datetime, tzinfo | None, Severity], ...]) -> tuple[_Entry, ...]:
    """R-SEV-6: a page goes out when the incident first stands at a severity above every one it
    was already paged for, at an instant that severity may page (SEV3: business hours). So an
    upgrade pages, a downgrade never does, and a SEV3 raised at night pages when the day starts.
    (`changes` are the severity changes' times, time zones and severities: equal times in two
    zones are one key for a datetime, not for what is derived from them.)"""
    rules = service.rules
    paged: Severity | None = None
    entries = []
    for index, (changed, _, severity) in enumerate(changes):
        severity_rules = rules.of(severity)
        if severity_rules.response != "page":
            continue
        if paged is not None and not severity.above(paged):
            continue
        at = changed
        if severity_rules.business_hours_only:
            at = rules.business_hours.next_open(at)
        ends = changes[index + 1][0] if index + 1 < len(changes) else None
        if ends is not None and at >= ends:
            continue  # changed again before it could page
        paged = severity
        entries.append(_Entry(severity=severity, at=at))
    return tuple(entries)


def _obligations(ctx: _Context) -> _Owed:
    yield from _severity_response(ctx)
    if not ctx.state.resolved:
        yield from _acknowledge(ctx)
        yield from _first_fifteen(ctx)
        yield from _update_promises(ctx)
        yield from _communication_deadlines(ctx)
        yield from _sme_reports(ctx)
        yield from _sme_pages(ctx)
        yield from _duration_escalations(ctx)
    yield from _alerts_quiet(ctx)
    yield from _deliveries(ctx)
    yield from _incident_channel(ctx)
    yield from _flag_escalations(ctx)
    yield from _manual_escalations(ctx)
    yield from _review(ctx)
    yield from _review_items(ctx)
    yield from _stakeholder_final(ctx)


def _severity_response(ctx: _Context) -> _Owed:
    """R-SEV table and R-SEV-6: page (and notify) whoever each new severity adds; SEV4: a ticket."""
    state, rules = ctx.state, ctx.rules
    if rules.of(state.severities[0].severity).response == "ticket" and ctx.owes(Keys.TICKET):
        yield ctx.action(
            Keys.TICKET, K.ticket, "R-SEV", state.detected_at, (),
            f"{state.severities[0].severity}: a ticket in the normal workflow, nobody paged",
            payload=ForTeam(team=ctx.runbook.team),
        )
    if state.resolved:
        return
    # a page reaches those its severity names whom no earlier entry's page names and no page
    # carried out reached (looked up only while a page is owed); a notice likewise
    paged_before: tuple[Target, ...] = ()
    told_before: tuple[Target, ...] = ()
    for entry in ctx.entries:
        severity_rules = rules.of(entry.severity)
        held = ctx.held_until(entry.at)
        if ctx.owes(Keys.page(entry.severity)) or held is not None and ctx.owes(Keys.page_confirmed(entry.severity)):
            before = ctx.resolve(paged_before)
            targets = tuple(h for h in ctx.resolve(severity_rules.page) if h not in before and h not in ctx.paged)
            names = ", ".join(t.value for t in severity_rules.page)
            if held is not None:  # R-F15-8: an alert's severity pages the responders now, leadership once confirmed
                leaders = ctx.resolve(_LEADERSHIP)  # the responders work at once, leaders wait
                first = tuple(h for h in targets if h not in leaders)
                yield ctx.action(Keys.page(entry.severity), K.page, "R-SEV-6", entry.at, first,
                                 f"{entry.severity} (from an alert, not yet confirmed): paging the responders")
                yield ctx.action(Keys.page_confirmed(entry.severity), K.page, "R-SEV-6", held,
                                 tuple(h for h in targets if h not in first),
                                 f"{entry.severity} confirmed (or unanswered for "
                                 f"{_duration(rules.alerts.confirm_within)}): paging {names}")
            else:
                yield ctx.action(
                    Keys.page(entry.severity), K.page, "R-SEV-6", entry.at, targets,
                    f"{entry.severity}: paging {names}",
                )
        paged_before += severity_rules.page
        if severity_rules.notify and ctx.owes(Keys.notify(entry.severity)):
            before = ctx.resolve(told_before)
            targets = tuple(h for h in ctx.resolve(severity_rules.notify) if h not in before and h not in ctx.told)
            yield ctx.action(
                Keys.notify(entry.severity), K.notify, "R-SEV", held or entry.at, targets,
                f"{entry.severity}: notifying {', '.join(t.value for t in severity_rules.notify)}",
            )
        told_before += severity_rules.notify


def _acknowledge(ctx: _Context) -> _Owed:
    """R-F15-7: no acknowledgement in time: page again, then each next step of the chain.
    Steps with nobody on them are skipped, not waited on (Team.chain leaves them out)."""
    start = ctx.response_start
    if start is None or ctx.state.acknowledged_at is not None:
        return
    ack = ctx.rules.first_15_minutes.acknowledge
    chain = ctx.chain
    if not chain:
        return
    if ctx.owes(Keys.REPAGE):
        yield ctx.action(
            Keys.REPAGE, K.page, "R-F15-7", start + ack.repage_after, (chain[0][1],),
            f"not acknowledged after {_duration(ack.repage_after)}: paging the on-call again",
        )
    for step, (layer, handle) in enumerate(chain[1:]):
        if not ctx.owes(Keys.ack_escalation(layer)):
            continue
        waited = ack.within + step * ack.escalate_every
        failed = _failed_page(ctx, chain[step][1])  # v8: a page that could not go out moves the chain on
        if failed is not None and failed < start + waited:
            yield ctx.action(
                Keys.ack_escalation(layer), K.escalate, "R-F15-7", failed, (handle,),
                f"the page to {chain[step][1]} could not be delivered: paging the {layer} now",
            )
        else:
            yield ctx.action(
                Keys.ack_escalation(layer), K.escalate, "R-F15-7", start + waited, (handle,),
                f"not acknowledged after {_duration(waited)}: paging the {layer}",
            )
    if not ctx.chasing:
        return
    last = ack.within + max(len(chain) - 2, 0) * ack.escalate_every
    for round_ in range(1, ack.repeat + 1):  # PagerDuty repeats a policy up to 9 times
        if not ctx.owes(Keys.ack_repeat(round_)):
            continue
        waited = last + round_ * ack.escalate_every
        yield ctx.action(
            Keys.ack_repeat(round_), K.escalate, "R-F15-7", start + waited, tuple(handle for _, handle in chain),
            f"still not acknowledged after {_duration(waited)}: paging the whole chain again "
            f"({round_} of {ack.repeat})",
        )


def _failed_page(ctx: _Context, handle: str) -> datetime | None:
    """When the last page to `handle` failed for good (v8), if it did; None while one went out."""
    if not ctx.unfailing:
        return None
    pages = [d for d in ctx.done.values() if d.kind in _PAGES and handle in d.targets]
    last = max(pages, key=lambda d: d.at, default=None)
    return last.at if last is not None and last.failed else None


def _first_fifteen(ctx: _Context) -> _Owed:
    """R-F15-8..10: each expectation unmet by its deadline reminds, then escalates."""
    start = ctx.response_start
    if start is None:
        return
    state = ctx.state
    met = (
        state.severity_confirmed and state.ic is not None,  # R-F15-8
        bool(state.smes) and state.comms is not None,  # R-F15-9
        bool(state.smes) and all(s.track for s in state.smes),  # R-F15-10
    )
    for check, done in zip(_expectations(ctx.service), met, strict=True):
        if done:
            continue
        expectation = check.expectation
        if ctx.owes(check.remind):
            yield ctx.action(check.remind, K.remind, check.rule, start + expectation.within,
                             ctx.resolve(expectation.remind), check.reminded)
        if check.late is not None:
            if ctx.owes(check.escalate):
                yield ctx.action(check.escalate, K.escalate, check.rule, start + check.late,
                                 ctx.resolve(expectation.escalate_to), check.escalated)
            if ctx.chasing:
                yield from ctx.chase(check.escalate, check.rule, start + check.late + ctx.rules.chase.every,
                                     (expectation.escalate_to, _LEADERSHIP), check.missing)


@dataclass(frozen=True)
class _Expected:
    """One first-15-minutes expectation as the policy states it, its keys and words made once."""

    rule: str
    expectation: Expectation
    remind: str
    escalate: str
    late: timedelta | None  # when it escalates, after the response began
    reminded: str
    escalated: str
    missing: str


@lru_cache(maxsize=64)
def _expectations(service: _Service) -> tuple[_Expected, ...]:
    f15 = service.rules.first_15_minutes
    found = []
    for name, rule, expectation, what in (
        ("severity-ic", "R-F15-8", f15.severity_and_ic, "severity declared and an IC assigned"),
        ("smes-comms", "R-F15-9", f15.smes_and_comms, "SMEs paged and a comms lead drafting the first notice"),
        ("plan", "R-F15-10", f15.investigation_plan, "an investigation plan: tracks, each with an SME"),
    ):
        late = expectation.within + expectation.escalate_after if expectation.escalate_after is not None else None
        found.append(_Expected(
            rule=rule, expectation=expectation, remind=Keys.first_fifteen(name, "remind"),
            escalate=Keys.first_fifteen(name, "escalate"), late=late,
            reminded=f"expected within {_duration(expectation.within)}: {what}",
            escalated=f"still missing after {_duration(late)}: {what}" if late is not None else "",
            missing=f"missing: {what}",
        ))
    return tuple(found)


def _update_promises(ctx: _Context) -> _Owed:
    """R-COMM-15: the promised next update; late, the comms lead is reminded, then the IC."""
    start, state = ctx.response_start, ctx.state
    if start is None:
        return
    every = ctx.rules.of(state.severity).internal_update_every
    if state.updates:
        due = state.updates[-1].next_update_at
    elif every is not None:
        due = start + every
    else:
        return
    n = len(state.updates)
    ic_after = ctx.rules.updates.remind_ic_after
    promised, reminders = _update_due(n, due, due.tzinfo, state.comms, ctx.resolve(_IC), ic_after)
    for reminder in reminders:
        yield ctx.owed(reminder)
    if ctx.chasing:
        last = due + ic_after if state.comms else due
        yield from ctx.chase(Keys.update_due(n, "ic"), "R-COMM-15", last + ctx.rules.chase.every, (_IC, _MANAGER),
                             promised)


@_cached
def _update_due(n: int, due: datetime, zone: tzinfo | None, comms: str | None, ic: tuple[str, ...],
                ic_after: timedelta) -> tuple[str, tuple[Action, ...]]:
    """The promise, and its reminders: the comms lead's, then the IC's `ic_after` later (the IC's
    alone while there is no comms lead)."""
    promised = f"update #{n + 1} was due at {_clock(due)} UTC"
    if not comms:
        return promised, (_action(Keys.update_due(n, "ic"), K.remind, "R-COMM-15", due, ic, promised),)
    return promised, (
        _action(Keys.update_due(n, "comms"), K.remind, "R-COMM-15", due, (comms,), promised),
        _action(Keys.update_due(n, "ic"), K.remind, "R-COMM-15", due + ic_after, ic,
                promised + f"; the comms lead was reminded {_duration(ic_after)} ago"),
    )


_COMMS = {
    "stakeholder": ("stakeholder notice", "R-SEV"),
    "customer": ("customer update", "R-COMM-13"),
    "executive": ("executive update", "R-COMM-14"),
}


def _communication_deadlines(ctx: _Context) -> _Owed:
    """R-ROLE-2: each outward message falls due per severity; the comms lead (the pool while there
    is none) is reminded halfway, and at the deadline the IC is reminded or warroom sends the
    templated message itself, per policy. The stakeholder notice is due once; the others recur."""
    start, state = ctx.response_start, ctx.state
    if start is None or state.version < 2:
        return
    severity = ctx.rules.of(state.severity)
    policy = ctx.rules.communications
    declared = state.severities[0].at
    held = ctx.held_until(declared)
    for kind, every, deadline in (
        ("stakeholder", severity.stakeholder_notice_within, policy.stakeholder_notice),
        ("customer", severity.customer_update_every, policy.customer_update),
        ("executive", severity.executive_update_every, policy.executive_update),
    ):
        sent = ctx.sent(kind)
        if kind == "stakeholder" and sent:
            if not ctx.chasing:
                continue
            every = severity.internal_update_every  # R-COMM-15: its "next update" is kept too
        if every is None:
            continue
        # v7: the stakeholder notice counts from the declaration, whatever the business hours
        begun = declared if ctx.chasing and kind == "stakeholder" else start
        base = sent[-1].at if sent else begun
        due = sent[-1].next_update_at if sent and sent[-1].next_update_at else base + every
        if held is not None and not sent and kind != "customer":
            due = max(due, held)  # an unconfirmed alert's severity tells nobody beyond the on-call yet
        n = len(sent)
        if due > base and ctx.owes(Keys.comms_deadline(kind, n, "remind")):
            # halfway; v7: a deadline stretched past a night (SEV3) is reminded half a period before it
            ahead = min(due - base, every) / 2 if ctx.chasing else (due - base) / 2
            yield _comms_remind(kind, n, due, due.tzinfo, ahead, ctx.resolve(_COMMS_LEAD) or ctx.resolve(_COMMS_POOL))
        if ctx.chasing and _automatic_run(sent) >= ctx.rules.chase.up_to:
            continue  # nobody has spoken for so long that more "being assessed" mail is noise; R-ESC-18 told leadership
        if deadline.on_deadline == "auto_send":
            if ctx.owes(Keys.comms_deadline(kind, n, "auto")):
                # v7: a stakeholder notice sent before a business-hours response begins promises the
                # next word for when work begins, not for the middle of the night
                promise = start + severity.internal_update_every if ctx.chasing and kind == "stakeholder" \
                    and start > due else None
                yield _comms_sent(kind, n, due, due.tzinfo, promise, promise and promise.tzinfo)
        else:
            late = _comms_late(kind, n, due, due.tzinfo, ctx.resolve(_IC))
            yield ctx.owed(late)
            if ctx.chasing:
                yield from ctx.chase(late.key, late.rule, due + ctx.rules.chase.every, (_IC, _MANAGER), late.reason)


@_cached
def _comms_remind(kind: str, n: int, due: datetime, zone: tzinfo | None, ahead: timedelta,
                  lead: tuple[str, ...]) -> Action:
    name, rule = _COMMS[kind]
    return _action(Keys.comms_deadline(kind, n, "remind"), K.remind, rule, due - ahead, lead,
                   f"the {name} is due at {_clock(due)} UTC")


@_cached
def _comms_sent(kind: CommsKind, n: int, due: datetime, zone: tzinfo | None, promise: datetime | None,
                promise_zone: tzinfo | None) -> Action:
    name, rule = _COMMS[kind]
    return _action(Keys.comms_deadline(kind, n, "auto"), K.publish, rule, due, (),
                   f"the {name} was due: sent from the template, marked automatic",
                   payload=Publishing(message=kind, next_update_at=promise))


@_cached
def _comms_late(kind: str, n: int, due: datetime, zone: tzinfo | None, ic: tuple[str, ...]) -> Action:
    name, rule = _COMMS[kind]
    return _action(Keys.comms_deadline(kind, n, "escalate"), K.remind, rule, due, ic,
                   f"the {name} was due at {_clock(due)} UTC and has not gone out")


@lru_cache(maxsize=1024)
def _delivery_keys(kind: str, count: int) -> frozenset[str]:
    return frozenset(Keys.deliver(kind, number) for number in range(1, count + 1))


def _deliveries(ctx: _Context) -> _Owed:
    """Every published message goes out once: executive updates and stakeholder notices by
    e-mail, customer updates to the status page, and the resolution after a public incident."""
    state = ctx.state
    for kind, name in (("stakeholder", Target.stakeholders), ("executive", Target.executives), ("customer", None)):
        sent = ctx.sent(kind)
        if not _delivery_keys(kind, len(sent)).difference(ctx.done):
            continue  # all delivered: nearly always, however many there were
        label, rule = _COMMS[kind]
        for number, message in enumerate(sent, start=1):
            key = Keys.deliver(kind, number)
            if not ctx.owes(key):
                continue
            if name is None:
                yield ctx.action(
                    key, K.status, rule, message.at, (),
                    f"{label} #{number} to the status page", body=message.text, payload=StatusPost(number=number),
                )
            else:
                yield ctx.action(
                    key, K.notify, rule, message.at, ctx.resolve((name,)),
                    f"{label} #{number}" + (" (automatic)" if message.automatic else ""), body=message.text,
                )
    if state.resolved_at is not None and ctx.sent("customer") and ctx.owes(Keys.DELIVER_RESOLUTION):
        yield ctx.action(
            Keys.DELIVER_RESOLUTION, K.status, "R-COMM-13", state.resolved_at, (),
            "resolution to the status page", payload=StatusPost(number=None),
        )


def _incident_channel(ctx: _Context) -> _Owed:
    """The incident's chat channel: opened at declaration with the responders in it; every new
    timeline event posted there (the channel's own events excepted); archived `archive_after`
    closing (by a ChannelArchiveWorkflow started at closing, so the incident itself may end)."""
    state, chat = ctx.state, ctx.rules.chat
    if state.version < 3 or not chat.incident_channel:
        return
    if ctx.chasing and ctx.highest_severity not in chat.channel_for:
        return  # v7: a SEV4 is a ticket in the normal workflow, no channel unless it grows
    team = ctx.runbook.team
    if state.channel is None:
        if ctx.owes(Keys.CHANNEL_OPEN):
            yield ctx.action(
                Keys.CHANNEL_OPEN, K.channel, "R-F15-11", state.severities[0].at, _invitees(ctx),
                f"the incident's channel, {channel_name(state)}", payload=ChannelWork(step=ChannelStep.open, team=team),
            )
        return
    postable = len(state.timeline) - _channel_events(state.timeline)
    if ctx.owes(Keys.channel_sync(postable)):  # done: everything is posted
        posted = _posted(ctx, postable)
        if postable > posted:
            events = _last_postable(state.timeline, postable - posted)
            lines = [f"`{e.at.hour:02}:{e.at.minute:02}:{e.at.second:02}` *{e.actor}* {e.text}" for e in events]
            yield ctx.action(
                Keys.channel_sync(postable), K.channel, "R-COMM-12", events[-1].at, _invitees(ctx),
                f"{len(lines)} new event(s) to {state.channel}", body="\n".join(lines),
                payload=_channel_work(ChannelStep.sync, state.channel, team),
            )
    if state.closed_at is not None and ctx.owes(Keys.CHANNEL_ARCHIVE):  # handed to a workflow of its own:
        yield ctx.action(  # the incident ends at closing
            Keys.CHANNEL_ARCHIVE, K.channel, "R-PIR-21", state.closed_at, (),
            f"archive {state.channel} {_duration(chat.archive_after)} after closing",
            payload=ChannelWork(step=ChannelStep.archive, channel=state.channel, team=team),
        )


@_cached
def _channel_work(step: ChannelStep, channel: str, team: str) -> ChannelWork:
    return ChannelWork(step=step, channel=channel, team=team)


def _posted(ctx: _Context, postable: int) -> int:
    """How many events the channel has had posted: the most any sync key done counts. Each counts
    the events there were to post when it went out and the timeline only grows, so none counts
    more than `postable` now: look down from there, and past a long silence read them all."""
    for count in range(postable - 1, max(postable - 64, 0), -1):
        if Keys.channel_sync(count) in ctx.done:
            return count
    return Keys.channel_synced(ctx.done)


def _last_postable(timeline: tuple[TimelineEvent, ...], count: int) -> list[TimelineEvent]:
    """The last `count` events the channel posts (all but its own), in order, read from the end."""
    found = []
    for event in reversed(timeline):
        if event.kind != "channel":
            found.append(event)
            if len(found) == count:
                break
    return found[::-1]


def _invitees(ctx: _Context) -> tuple[str, ...]:
    """Who the incident's channel takes in: everyone paged, the roles, the SMEs, and those its first
    severity pages."""
    state = ctx.state
    people = set(ctx.paged) | {h for h in (state.ic, state.comms) if h}
    people |= {s.handle for s in state.smes} | set(ctx.resolve(ctx.rules.of(state.severities[0].severity).page))
    return tuple(sorted(people))


def archive_time(state: IncidentState, policy: Policy) -> datetime:
    """When the closed incident's channel is archived."""
    assert state.closed_at is not None
    return state.closed_at + policy.rules.chat.archive_after


def channel_name(state: IncidentState) -> str:
    """`inc-7k2qd-checkout-failing`: Slack's rules (lower case, 80 characters, no spaces)."""
    slug = "".join(c if c.isalnum() else "-" for c in state.title.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    exercise = "gameday-" if state.game_day and state.version >= 8 else ""  # R-GAME-25: named as such
    return f"{exercise}inc-{state.id[4:].lower()}-{slug}"[:80].rstrip("-")


def _sme_reports(ctx: _Context) -> _Owed:
    """R-ROLE-3 and R-F15-10: each SME reports to the IC on the severity's cadence; one who does
    not is reminded once per missed period."""
    state = ctx.state
    every = ctx.rules.of(state.severity).sme_report_every
    if every is None:
        return
    up_to = ctx.rules.chase.up_to if ctx.chasing else None
    ic = ctx.resolve(_IC) if ctx.chasing else None  # v7: a second missed report reminds the IC too
    for handle, track, since in _smes(ctx):
        reports = state.reports.get(handle)
        last = max(since, reports.last_at) if reports else since
        count = reports.count if reports else 0
        first = last + every
        number = _latest(first, every, ctx.now)
        if up_to is not None and number > up_to:
            continue  # reminded as often as any chase: the IC knows by now
        for report in _reports_due(handle, track, count, first, first.tzinfo, every, number, up_to, ic):
            yield ctx.owed(report)


@_cached
def _reports_due(handle: str, track: str | None, count: int, first: datetime, zone: tzinfo | None, every: timedelta,
                 number: int, up_to: int | None, ic: tuple[str, ...] | None) -> tuple[Action, ...]:
    """An SME's latest missed report and the next; v7: no more than `up_to` (reminded as often as any
    chase: the IC knows by now), and from the second missed one the IC too (SMEs report to the IC)."""
    reports = []
    for number_, at in _occurrences(first, every, number):
        if up_to is not None and number_ > up_to:
            break
        targets = tuple(dict.fromkeys((handle, *ic))) if ic is not None and number_ >= 2 else (handle,)
        reports.append(_action(Keys.sme_report(handle, count, number_), K.remind, "R-ROLE-3", at, targets,
                               f"{handle}'s report to the IC on {track or 'their track'} is due every "
                               f"{_duration(every)}" + (f"; {number_} missed" if number_ >= 2 else "")))
    return tuple(reports)


def _smes(ctx: _Context) -> list[tuple[str, str | None, datetime]]:
    """The SMEs owing reports: those assigned, and from v7 the runbook's SMEs the incident paged
    (since their page), unless released or holding the IC (R-ROLE-1)."""
    state = ctx.state
    found = [(s.handle, s.track, s.since) for s in state.smes]
    if not ctx.chasing:
        return found
    assigned = {s.handle for s in state.smes}
    for handle in sorted(set(ctx.service.smes) - assigned - set(state.released_smes) - {state.ic}):
        paged = ctx.first_page(handle)
        if paged is not None:
            found.append((handle, None, paged))
    return found


def _sme_pages(ctx: _Context) -> _Owed:
    """R-F15-9 (v7): the IC pages the SMEs needed: assigning one pages them, once."""
    if not ctx.chasing:
        return
    for sme in ctx.state.smes:
        if ctx.owes(Keys.sme_page(sme.handle)) and ctx.first_page(sme.handle) is None:
            yield ctx.action(Keys.sme_page(sme.handle), K.page, "R-F15-9", sme.since, (sme.handle,),
                             f"you are an SME on {sme.track or 'this incident'}: the IC needs you")


def _stakeholder_final(ctx: _Context) -> _Owed:
    """R-COMM-15 (v7): stakeholders who were told hear the resolution too, so every promised
    "next update" is kept to the end."""
    state = ctx.state
    told = ctx.sent("stakeholder")
    if ctx.chasing and state.resolved_at is not None and told and told[-1].at < state.resolved_at:
        yield ctx.action(Keys.STAKEHOLDER_FINAL, K.publish, "R-COMM-15", state.resolved_at, (),
                         "the incident is resolved: the final stakeholder notice, from the template",
                         payload=Publishing(message="stakeholder"))


def series(first: datetime, every: timedelta, now: datetime) -> tuple[tuple[int, datetime], ...]:
    """A repeating deadline (first, first+every, …) as its latest due occurrence and the next one:
    after a long outage only the latest fires, not a backlog."""
    return _occurrences(first, every, _latest(first, every, now))


def _latest(first: datetime, every: timedelta, now: datetime) -> int:
    """Which occurrence of a series is the latest due at `now` (the first while none is)."""
    return 1 if now < first else 1 + (now - first) // every


def _occurrences(first: datetime, every: timedelta, number: int) -> tuple[tuple[int, datetime], ...]:
    """The series' `number`-th occurrence and the next."""
    latest = first + (number - 1) * every
    return (number, latest), (number + 1, latest + every)


def _duration_escalations(ctx: _Context) -> _Owed:
    """R-ESC-16 (SEV1 not mitigated) and R-ESC-18 (open too long)."""
    state, esc = ctx.state, ctx.rules.escalation
    if ctx.owes(Keys.SEV1_NOT_MITIGATED):
        first_sev1 = next((c.at for c in state.severities if c.severity is Severity.SEV1), None)
        if first_sev1 is not None and state.severity is Severity.SEV1 and _RANK[state.status] < _MITIGATING:
            trigger = esc.sev1_not_mitigated
            yield _escalated(Keys.SEV1_NOT_MITIGATED, K.escalate, "R-ESC-16", first_sev1 + trigger.after,
                             first_sev1.tzinfo, ctx.resolve(trigger.notify), "SEV1 not mitigated after {}",
                             trigger.after)
    if ctx.owes(Keys.OPEN_LONGER_THAN):
        trigger = esc.open_longer_than
        began = state.detected_at
        if ctx.chasing:  # from when the response began, and a ticket (SEV4) is no incident to brief on
            if ctx.response_start is None:
                return
            began = ctx.response_start
        yield _escalated(Keys.OPEN_LONGER_THAN, K.notify, "R-ESC-18", began + trigger.after, began.tzinfo,
                         ctx.resolve(trigger.notify), "open longer than {}: leadership briefing", trigger.after)


@_cached
def _escalated(key: str, kind: ActionKind, rule: str, at: datetime, zone: tzinfo | None, targets: tuple[str, ...],
               reason: str, after: timedelta) -> Action:
    """An escalation `after` a while: the reason says how long, in place of its {}."""
    return _action(key, kind, rule, at, targets, reason.format(_duration(after)))


def on_call(state: IncidentState, policy: Policy) -> tuple[str, ...]:
    """The incident's escalation chain: those on duty when its response began (R-F15-7)."""
    return tuple(handle for _, handle in _Context(state, policy, state.detected_at).chain)


def auto_resolvable(state: IncidentState, policy: Policy) -> bool:
    """A SEV4 opened by alerts nobody touched, all of them resolved for the quiet period."""
    alerts = state.alerts
    return (
        alerts is not None
        and alerts.all_resolved_at is not None
        and not state.resolved
        and state.highest_severity is Severity.SEV4
        and state.declared_by.startswith("system:")
        and not state.touched
    )


def _alerts_quiet(ctx: _Context) -> _Owed:
    """Every alert of the group resolved: the IC is told (a person decides, SEV1-3 never resolve
    themselves); an untouched alert-opened SEV4 resolves itself after the quiet period."""
    state, alerts = ctx.state, ctx.state.alerts
    if alerts is None or alerts.all_resolved_at is None or state.resolved:
        return
    spell = alerts.quiet_spells
    if auto_resolvable(state, ctx.policy):
        quiet = ctx.rules.alerts.auto_resolve_after
        yield ctx.action(
            Keys.auto_resolve(spell), K.resolve, "R-SEV", alerts.all_resolved_at + quiet, (),
            f"SEV4 opened by an alert nobody touched; its alerts resolved {_duration(quiet)} ago",
            payload=ForTeam(team=ctx.runbook.team),
        )
        return
    yield ctx.action(
        Keys.all_resolved(spell), K.remind, "R-ROLE-1", alerts.all_resolved_at, ctx.resolve(_IC),
        f"all {alerts.seen} alerts of the group resolved; the IC decides whether the incident is resolved",
    )


def _flag_escalations(ctx: _Context) -> _Owed:
    """R-ESC-17 (confirmed data loss: executives) and R-ESC-19 (regulatory: legal), at once."""
    esc = ctx.rules.escalation
    for flag, rule, notify, what in (
        ("data-loss", "R-ESC-17", esc.data_loss.notify, "confirmed data loss"),
        ("regulatory", "R-ESC-19", esc.regulatory.notify, "regulatory implications"),
    ):
        raised = ctx.state.flags.get(flag)
        if raised is not None and ctx.owes(Keys.flag(flag)):
            note = f": {raised.note}" if raised.note else ""
            yield ctx.action(Keys.flag(flag), K.notify, rule, raised.at, ctx.resolve(notify), f"{what}{note}")


def _manual_escalations(ctx: _Context) -> _Owed:
    """R-ESC-20: escalating early is always allowed."""
    for number, escalation in enumerate(ctx.state.escalations, start=1):
        if not ctx.owes(Keys.manual_escalation(number)):
            continue
        yield ctx.action(
            Keys.manual_escalation(number), K.escalate, "R-ESC-20", escalation.at,
            ctx.resolve((Target(escalation.to),)),
            f"{escalation.actor} escalated to {escalation.to}: {escalation.reason}",
        )


def _review(ctx: _Context) -> _Owed:
    """R-PIR-21: review due `within` after resolution; reminders before, escalation when missed,
    repeated every `escalate_every` (only the latest missed one fires after a long outage)."""
    state, review = ctx.state, ctx.rules.review
    if state.resolved_at is None or state.review is not None or state.closed_at is not None:
        return
    if state.highest_severity not in review.required_for:
        return
    due = state.resolved_at + review.within
    owner = ctx.resolve((review.owner,))
    for before in sorted(review.remind_before, reverse=True):
        yield ctx.action(
            Keys.review_reminder(_duration(before)), K.remind, "R-PIR-21", due - before, owner,
            f"the post-incident review is due in {_duration(before)} ({due:%Y-%m-%d %H:%M} UTC)",
        )
    for number, at in series(due, review.escalate_every, ctx.now):
        late = at - state.resolved_at
        yield ctx.action(
            Keys.review_escalation(number), K.escalate, "R-PIR-21", at, ctx.resolve(review.escalate_to),
            f"no post-incident review {_duration(late)} after resolution",
        )


def _review_items(ctx: _Context) -> _Owed:
    """R-PIR-23: the submitted review's action items are started, each chased until done."""
    review = ctx.state.review
    if ctx.state.version < 5 or review is None or not review.items:
        return
    yield ctx.action(
        Keys.REVIEW_ITEMS, K.items, "R-PIR-23", review.at, (),
        f"the review's {len(review.items)} action item(s), each chased until done", payload=ItemsToStart(
            count=len(review.items)),
    )


def next_deadline_text(action: Action, now: datetime | None = None) -> str:
    """`in 4m: remind f15:plan:remind (bob)`, or with no `now` `02:14:00 UTC: …` for static text."""
    if now is None:
        when = f"{action.at:%H:%M:%S} UTC"
    else:
        when = "in " + format_duration(timedelta(seconds=max(round((action.at - now).total_seconds()), 0)))
    return f"{when}: {action.kind} {action.key} ({', '.join(action.audience) or 'nobody'})"


LATE = timedelta(seconds=10)  # a delivery later than this says so on the timeline (v8)


def carried_out(state: IncidentState, action: Action, at: datetime, failed: bool = False) -> IncidentState:
    """Record a delivered action: its key is done (never emitted again) and the timeline says so,
    and (v8) how late it went out when a worker or provider outage held it back."""
    audience = action.audience
    done = Done(at=at, kind=action.kind, targets=audience, rule=action.rule, failed=failed)
    text = f"{action.kind} {', '.join(audience)}: {action.reason} ({action.rule})"
    if state.version >= 8 and at - action.at > LATE:
        late = timedelta(seconds=round((at - action.at).total_seconds()))
        text += f"; {'tried' if failed else 'went out'} {format_duration(late)} late"
    return state.record(at, "warroom", action.kind, text, done={**state.done, action.key: done})
