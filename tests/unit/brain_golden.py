"""Golden decisions of the incident brain: `decide()` output recorded over many incident states, so
a change meant to make the brain faster (or tidier) is proven to change no decision at all.

The states come from seeded random incidents driven the way the workflow drives them
(warroom.loop.advance on a clock that jumps to the next wake-up), under three policies (the
shipped one and two variants that take the other branches), at every brain version 1..8, every
severity, several declarers; deliveries sometimes fail, come late, or wait out an outage, so
repeated reminders are missed in runs. At sampled turns the state is stored with several instants
to decide at (now, sometimes in another time zone; a while or much later; the wake-up or a second
before it) and the decision at each. Policies and states are stored, not regenerated, so the record keeps
guarding the brain when commands or the shipped runbooks change.

    .venv/bin/python -m tests.unit.brain_golden     # rewrite the record from the current brain

Seeded: rewriting it from an unchanged brain, commands and runbooks gives the same bytes.

Rewrite it only when a decision is meant to change (a new brain version changes none of the
recorded ones: they run under versions 1..8).
"""

from __future__ import annotations

import json
import lzma
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from warroom.actions import Decision, Keys
from warroom.brain import channel_name, decide
from warroom.commands import (
    Ack,
    AddNote,
    AssignRole,
    Command,
    Declare,
    Escalate,
    PostUpdate,
    Publish,
    RecordAlerts,
    Refused,
    Resolve,
    SetFlag,
    SetSeverity,
    SetStatus,
    SubmitReview,
    TickStep,
    execute,
)
from warroom.loop import advance, delivered
from warroom.policy import Policy, load_policy
from warroom.rules import Deadline, Target
from warroom.severity import Severity
from warroom.state import AlertOrigin, IncidentState, Status

RECORD = Path(__file__).with_name("brain_golden.jsonl.xz")
ROOT = Path(__file__).resolve().parents[2]
SEED = 20260303
VERSIONS = range(1, 9)
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
BERLIN = ZoneInfo("Europe/Berlin")
STARTS = [
    datetime(2026, 3, 3, 2, 0, tzinfo=BERLIN),  # Tuesday night
    datetime(2026, 3, 3, 10, 0, tzinfo=BERLIN),  # business hours
    datetime(2026, 3, 3, 16, 59, tzinfo=BERLIN),  # a minute before they close
    datetime(2026, 3, 13, 18, 0, tzinfo=BERLIN),  # Friday evening, before a rotation hand-over
    datetime(2026, 3, 27, 18, 0, tzinfo=BERLIN),  # Friday evening before the DST change
]
REVIEW = """# Review
## Timeline
02:14 paged; 02:16 acknowledged.
## Root causes and contributing factors
Pool exhaustion.
## What went well
Paging worked.
## What to improve
Capacity reviews.
## Action items
{items}"""
FIELDS = {
    "impact": "checkout fails for 40%", "affected": "checkout", "share": "40%", "symptom": "card payments fail",
    "summary": "card payments failing", "customer_impact": "40% cannot pay", "business_impact": "12k EUR an hour",
    "estimated_resolution": "within the hour",
}


def policies() -> list[Policy]:
    """The shipped payments policy, one that reminds where it sent and chases harder, and one with
    a short chain, empty groups, no SMEs and no channel."""
    shipped = load_policy(ROOT / "runbooks").for_service("payments")
    rules = shipped.rules
    eager = shipped.model_copy(update={"rules": rules.model_copy(update={
        "communications": rules.communications.model_copy(update={
            "stakeholder_notice": Deadline(on_deadline="remind"), "customer_update": Deadline(on_deadline="auto_send"),
            "executive_update": Deadline(on_deadline="remind"),
        }),
        "chase": rules.chase.model_copy(update={"every": timedelta(minutes=7), "escalate_after": 1, "up_to": 4}),
        "updates": rules.updates.model_copy(update={"remind_ic_after": timedelta(minutes=3)}),
        "review": rules.review.model_copy(update={"remind_before": (), "owner": Target.responder}),
        "alerts": rules.alerts.model_copy(update={"confirm_within": timedelta(minutes=3)}),
        "chat": rules.chat.model_copy(update={"channel_for": tuple(Severity)}),
    })})
    team = shipped.roster.teams["payments"]
    lone = team.model_copy(update={"manager": None, "rotation": team.rotation.model_copy(update={"members": ("bob",)})})
    sparse = shipped.model_copy(update={
        "rules": rules.model_copy(update={
            "chat": rules.chat.model_copy(update={"incident_channel": False}),
            "escalation": rules.escalation.model_copy(update={"open_longer_than": rules.escalation.open_longer_than
                                                             .model_copy(update={"after": timedelta(minutes=45)})}),
            "business_hours": rules.business_hours.model_copy(update={"timezone": "America/New_York"}),
        }),
        "roster": shipped.roster.model_copy(update={
            "teams": {"payments": lone}, "comms_pool": (), "leadership": (), "stakeholders": ("kim",),
        }),
        "runbooks": {"payments": shipped.runbook("payments").model_copy(update={"smes": ()})},
    })
    return [shipped, eager, sparse]


def _events(rng: random.Random, policy: Policy, version: int, alert: bool) -> list[tuple[int, Any]]:
    """Random commands at random offsets (seconds); "@ic" stands for whoever holds the IC then."""
    handles = [p.handle for p in policy.roster.people]
    smes = [s.handle for s in policy.runbook("payments").smes] or handles

    def offset() -> int:
        return rng.choice([rng.randint(0, 1200), rng.randint(0, 4 * 3600), rng.randint(0, 100 * 3600),
                           rng.choice([0, 60, 120, 240, 300, 600, 900, 1800, 7200])])

    def someone() -> str:
        return rng.choice(["@ic", "@ic", rng.choice(handles)])

    def any_command() -> tuple[Any, ...]:
        kind = rng.randrange(14)
        if kind == 0:
            return (Ack, {"actor": someone()})
        if kind == 1:
            return (SetSeverity, {"actor": someone(), "severity": rng.choice(SEVERITIES),
                                  "reason": rng.choice(["", "impact changed"])})
        if kind == 2:
            return (AssignRole, {"actor": "@ic", "role": rng.choice(["ic", "comms"]), "handle": rng.choice(handles)})
        if kind == 3:
            return (AssignRole, {"actor": "@ic", "role": "sme", "handle": rng.choice(smes + handles),
                                 "track": rng.choice([None, "database", "card processor"]),
                                 "release": rng.random() < 0.2})
        if kind == 4:
            return (SetStatus, {"actor": "@ic", "status": rng.choice([Status.investigating, Status.identified,
                                                                      Status.mitigating])})
        if kind == 5:
            return (PostUpdate, {"actor": "@ic", "impact": "checkout errors", "theory": "pool",
                                 "next_steps": "fail over",
                                 "next_update_in": rng.choice([None, timedelta(minutes=10), timedelta(minutes=30)])})
        if kind == 6:
            return (AddNote, {"actor": rng.choice(smes + handles), "text": "replica lag 40 s"})
        if kind == 7:
            return (SetFlag, {"actor": someone(), "flag": rng.choice(["data-loss", "regulatory"]),
                              "note": rng.choice(["", "card data"])})
        if kind == 8:
            return (Escalate, {"actor": someone(), "to": rng.choice(list(policy.rules.escalation.manual_targets)),
                               "reason": "a big customer called"})
        if kind == 9:
            return (Resolve, {"actor": "@ic", "reason": rng.choice(["", "fixed"])})
        if kind == 10:
            items = rng.choice(["", "- Alert on pool saturation (@judy, due 2026-12-12)\n"
                                    "- Load-test checkout (@bob, due 2026-04-01)\n"])
            return (SubmitReview, {"actor": "@ic", "document": REVIEW.format(items=items)})
        if kind == 11:
            return (Publish, {"actor": "@comms", "kind": rng.choice(["stakeholder", "customer", "executive"]),
                              "fields": FIELDS, "next_update_in": rng.choice([None, timedelta(minutes=20)])})
        if kind == 12 and alert:
            firing = rng.choice([0, 0, 1, 2])
            return (RecordAlerts, {"actor": "system:alert", "group_id": "g1", "source": "alertmanager",
                                   "firing": firing, "seen": 3, "changes": ("changed",),
                                   "severity": rng.choice([None, "SEV2", "SEV1"])})
        return (TickStep, {"actor": someone(), "step": rng.randint(1, 3)})

    if alert and rng.random() < 0.25:  # only the alerts speak: they resolve, fire again, resolve
        return [(rng.randint(0, 3600) * n, RecordAlerts, {
            "actor": "system:alert", "group_id": "g1", "source": "alertmanager", "firing": n % 2, "seen": n + 1,
            "changes": ("changed",)}) for n in (2, 3, 4)]
    chosen = [(offset(), *any_command()) for _ in range(rng.randint(0, 22))]
    if rng.random() < 0.75:
        took = rng.randint(0, 1200)
        chosen.append((took, AssignRole, {"actor": "@ic", "role": "ic",
                                          "handle": rng.choice(["carol", "alice", "bob"])}))
        if rng.random() < 0.3:
            chosen.append((took + rng.randint(0, 600), AssignRole, {"actor": "@ic", "role": "comms",
                                                                    "handle": "heidi"}))
        if rng.random() < 0.4:
            chosen.append((took + rng.randint(0, 900), AssignRole, {
                "actor": "@ic", "role": "sme", "handle": rng.choice(handles), "track": "database"}))
        if rng.random() < 0.4:
            chosen.append((took + rng.randint(0, 3600), Publish, {"actor": "@comms", "kind": "stakeholder",
                                                                   "fields": FIELDS}))
        if rng.random() < 0.6:
            resolved = rng.randint(took, 12 * 3600)
            chosen.append((resolved, Resolve, {"actor": "@ic"}))
            if rng.random() < 0.5:
                chosen.append((resolved + rng.randint(0, 60 * 3600), SubmitReview, {
                    "actor": "@ic", "document": REVIEW.format(items="- Fix it (@bob, due 2026-12-12)\n")}))
    if version < 5:
        chosen = [c for c in chosen if c[1] is not TickStep or rng.random() < 0.5]
    return sorted(chosen, key=lambda c: c[0])


def _command(cls: type[Command], fields: dict[str, Any], state: IncidentState, oncall: str) -> Command | None:
    actor = {"@ic": state.ic or state.acknowledged_by or oncall, "@comms": state.comms or state.ic or oncall}
    try:
        return cls.model_validate({**fields, "actor": actor.get(fields["actor"], fields["actor"])})
    except ValueError:
        return None


def _nows(rng: random.Random, now: datetime, decision: Decision) -> list[datetime]:
    """Instants to decide a stored state at: now (sometimes in Berlin time), a while or much later
    (a long outage: only the latest of a series fires), the wake-up or a second before it."""
    nows = [now.astimezone(BERLIN) if rng.random() < 0.2 else now]
    soon, late = now + timedelta(seconds=rng.randint(1, 3 * 3600)), now + timedelta(hours=rng.randint(5, 120))
    nows.append(rng.choice([soon, late]))
    if decision.wake_at is not None:
        nows.append(rng.choice([decision.wake_at, decision.wake_at - timedelta(seconds=1)]))
    return nows


def sampled(rng: random.Random, policy: Policy, version: int, severity: str,
            declarer: str) -> list[tuple[IncidentState, list[datetime]]]:
    """Four of an incident's turns at random, up to two that follow a failed delivery, and its last."""
    *turns, last = drive(rng, policy, version, severity, declarer)
    after_failure = [(state, nows) for state, nows, failed in turns if failed]
    chosen = rng.sample(turns, min(len(turns), 4))
    return [*((s, n) for s, n, _ in chosen), *after_failure[:2], last[:2]]


def drive(rng: random.Random, policy: Policy, version: int, severity: str,
          declarer: str) -> Iterator[tuple[IncidentState, list[datetime], bool]]:
    """One incident, as the workflow turns its loop, with deliveries that fail, wait or come late:
    its state and instants to decide at, at every turn, and whether a delivery just failed."""
    start = rng.choice(STARTS).astimezone(UTC)
    alert = declarer.startswith("system:")
    origin = AlertOrigin(group_id="g1", source="alertmanager", firing=1, seen=1) if alert else None
    declare = Declare(actor=declarer, title="Checkout failing", service="payments", severity=severity, origin=origin,
                      detected_at=start - timedelta(minutes=rng.choice([0, 0, 3, 90])))
    state = declare.start("INC-GOLD0", start, policy, version=version)
    oncall = policy.team("payments").chain(start)[0][1]
    pending = [(start + timedelta(seconds=s), cls, fields) for s, cls, fields in _events(rng, policy, version, alert)]
    horizon = start + timedelta(hours=rng.choice([2, 12, 30, 80]))
    outage_until: datetime | None = None
    now = start
    failed = False
    for _ in range(3000):
        while pending and pending[0][0] <= now:
            _, cls, fields = pending.pop(0)
            command = _command(cls, fields, state, oncall)
            if command is None:
                continue
            try:
                state = execute(command, state, policy, now)
            except Refused:
                continue
        before = state
        turn = advance(state, policy, now)
        state = turn.state
        if outage_until is None and rng.random() < 0.03:
            outage_until = now + timedelta(minutes=rng.choice([5, 45, 240, 1500]))  # a worker or provider outage
        held, failing = False, failed
        failed = False
        for action in turn.deliveries:
            if outage_until is not None and now < outage_until or rng.random() < 0.04:
                held = True  # not delivered yet: due again at the next turn
                continue
            failure = "the provider refused it" if rng.random() < (0.15 if action.kind == "page" else 0.04) else None
            failed = failed or failure is not None
            opened = f"#{channel_name(state)}" if action.key == Keys.CHANNEL_OPEN and failure is None else None
            state = delivered(state, action, now, failure=failure, channel=opened)
        decision = decide(state, policy, now)
        yield before, _nows(rng, now, decision), failing  # what the workflow decides on: all that is due now, too
        if outage_until is not None and now >= outage_until:
            outage_until = None
        if turn.acted and not held:
            continue
        wakes = [t for t in (decision.wake_at, pending[0][0] if pending else None, outage_until) if t is not None]
        if held:
            wakes.append(now + timedelta(seconds=rng.choice([30, 600, 3600])))
        if not wakes or min(wakes) > horizon or state.closed_at is not None and not pending:
            return
        now = max(min(wakes), now + timedelta(microseconds=1)) if held else min(wakes)


def cases() -> Iterator[tuple[int, Policy, IncidentState, list[datetime]]]:
    rng = random.Random(SEED)
    for index, policy in enumerate(policies()):
        for version in VERSIONS:
            for severity in SEVERITIES:
                for declarer in ("system:alert", "carol", "heidi"):
                    yield from ((index, policy, s, n) for s, n in sampled(rng, policy, version, severity, declarer))


def dump(decision: Decision) -> dict[str, Any]:
    return decision.model_dump(mode="json")


def write() -> None:
    lines = []
    known = policies()
    lines.append(json.dumps({"policies": [p.model_dump(mode="json") for p in known]}))
    for index, _, state, nows in cases():
        # decided on the state as it round-trips through JSON, as the workflow's does through history
        stored = IncidentState.model_validate_json(state.model_dump_json())
        policy = Policy.model_validate(known[index].model_dump(mode="json"))
        lines.append(json.dumps({
            "policy": index, "state": state.model_dump(mode="json"),
            "decisions": [[now.isoformat(), dump(decide(stored, policy, now))] for now in nows],
        }))
    RECORD.write_bytes(lzma.compress("\n".join(lines).encode(), preset=9 | lzma.PRESET_EXTREME))
    print(f"{RECORD}: {len(lines) - 1} states, {RECORD.stat().st_size // 1024} KB")


def load() -> tuple[list[Policy], list[dict[str, Any]]]:
    header, *records = lzma.decompress(RECORD.read_bytes()).decode().split("\n")
    return [Policy.model_validate(p) for p in json.loads(header)["policies"]], [json.loads(r) for r in records]


if __name__ == "__main__":
    write()
