"""`policy simulate --explain`: rule by rule (PROCESS.md R-ROLE-1 … R-PIR-23), whether a scenario
met it, and when. Pure: it reads the simulated incident's final state and what the brain fired.

Two kinds of rule. People's obligations (acknowledge, name an IC, post the update promised…) are
met when the state shows them done; each reminder or escalation the brain fired under the rule is
a miss, so "met late" says how often people had to be chased. warroom's own duties (page the
severity's people, escalate a SEV1 at 30 min, tell legal…) are met when the brain did them; a
rule whose trigger never occurred is "n/a"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from warroom.durations import format_duration
from warroom.simulate import Fired
from warroom.state import IncidentState

Outcome = Literal["met", "met late", "missed", "open", "n/a"]
CHASING = ("remind", "escalate")
# the stakeholder notice's deadlines cite the severity table: (that rule, their keys' prefix)
CHASED_UNDER = {"R-ROLE-2": ("R-SEV", "comms:stakeholder")}


@dataclass(frozen=True)
class Verdict:
    rule: str
    asks: str
    outcome: Outcome
    at_seconds: int | None  # when it was met, after detection
    detail: str


def _event(state: IncidentState, kind: str, ends: str) -> datetime | None:
    return next((e.at for e in state.timeline if e.kind == kind and e.text.endswith(ends)), None)


def _first(*times: datetime | None) -> datetime | None:
    found = [t for t in times if t is not None]
    return min(found) if found else None


def _all(*times: datetime | None) -> datetime | None:
    return None if any(t is None for t in times) else max(t for t in times if t is not None)


def _sent(kind: str) -> Callable[[IncidentState], datetime | None]:
    return lambda s: s.sent(kind)[0].at if s.sent(kind) else None


# People's obligations: the rule, what it asks, when the state shows it done.
OBLIGATIONS: tuple[tuple[str, str, Callable[[IncidentState], datetime | None]], ...] = (
    ("R-F15-7", "acknowledge the page", lambda s: s.acknowledged_at),
    ("R-F15-8", "severity confirmed and an IC named",
     lambda s: _all(s.confirmed_at if s.severity_confirmed else None, _event(s, "role", " is IC"))),
    ("R-F15-9", "SMEs paged and a comms lead named",
     lambda s: _all(_first(*(m.since for m in s.smes)), _event(s, "role", " is comms lead"))),
    ("R-F15-10", "an investigation plan: tracks, each with an SME",
     lambda s: max(m.since for m in s.smes) if s.smes and all(m.track for m in s.smes) else None),
    ("R-ROLE-2", "the comms lead's stakeholder notice", _sent("stakeholder")),
    ("R-ROLE-3", "SME reports on the cadence", lambda s: _first(*(r.last_at for r in s.reports.values()))),
    ("R-COMM-13", "customer updates on the cadence", _sent("customer")),
    ("R-COMM-14", "executive updates on the cadence", _sent("executive")),
    ("R-COMM-15", "every promised update kept", lambda s: s.updates[0].at if s.updates else None),
    ("R-ROLE-4", "resolved by the IC", lambda s: s.resolved_at),
    ("R-PIR-21", "the review within its window", lambda s: s.review.at if s.review else None),
)

# warroom's duties: the rule and what it does.
DUTIES: tuple[tuple[str, str], ...] = (
    ("R-SEV-6", "page whoever the severity names"),
    ("R-ESC-16", "SEV1 not mitigated in time: engineering leadership"),
    ("R-ESC-17", "confirmed data loss: executives at once"),
    ("R-ESC-18", "open too long: leadership briefing"),
    ("R-ESC-19", "regulatory implications: legal"),
    ("R-ESC-20", "manual escalations carried out"),
    ("R-PIR-23", "the review's action items started"),
)


def explain(state: IncidentState, fired: list[Fired], speed: int = 1) -> list[Verdict]:
    """`speed`: a game day run faster; its times are said in the policy's (`fired` already so)."""
    def offset(at: datetime) -> int:
        return round((at - state.detected_at).total_seconds() * speed)

    verdicts = []
    for rule, asks, done in OBLIGATIONS:
        under, prefix = CHASED_UNDER.get(rule, (rule, ""))
        chased = [f for f in fired if f.rule in (rule, under) and f.key.startswith(prefix)
                  and (f.kind in CHASING or f.key.startswith("ack:"))]
        at = done(state)
        before = [f for f in chased if at is None or f.at_seconds <= offset(at)]
        later = len(chased) - len(before)  # a recurring obligation's later rounds
        chases = f"{len(before)} reminder(s)/escalation(s), the first at {_words(before[0].at_seconds)}" \
            if before else ""
        then = f"; {later} more for later rounds" if later else ""
        if at is not None:
            outcome: Outcome = "met late" if before else "met"
            by = " by warroom, from the template" if any(c.at == at and c.automatic for c in state.communications) \
                else ""
            verdicts.append(Verdict(rule, asks, outcome, offset(at), f"at {_words(offset(at))}{by}"
                                    + (f" after {chases}" if before else "") + then))
        elif chased:
            verdicts.append(Verdict(rule, asks, "missed", None, chases))
        else:
            verdicts.append(Verdict(rule, asks, "open" if not state.resolved else "n/a", None, "not due"))
    for rule, asks in DUTIES:
        did = [f for f in fired if f.rule == rule]
        if did:
            verdicts.append(Verdict(rule, asks, "met", did[0].at_seconds, "; ".join(
                f"{f.kind} {', '.join(f.targets) or f.key} at {_words(f.at_seconds)}" for f in did[:3])
                + (f"; and {len(did) - 3} more" if len(did) > 3 else "")))
        else:
            verdicts.append(Verdict(rule, asks, "n/a", None, "its trigger never occurred"))
    return verdicts


def _words(seconds: int) -> str:
    return "+" + format_duration(timedelta(seconds=seconds)) if seconds else "+0s"


def table(verdicts: list[Verdict]) -> str:
    rows = [f"{'rule':<10} {'outcome':<9} {'when':>8}  asks / what happened"]
    for v in verdicts:
        when = _words(v.at_seconds) if v.at_seconds is not None else "—"
        rows.append(f"{v.rule:<10} {v.outcome:<9} {when:>8}  {v.asks}: {v.detail}")
    return "\n".join(rows)
