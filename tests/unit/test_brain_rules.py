"""One test per PROCESS.md rule the brain (or the command layer) enforces, named by its rule id.

Every test runs the shipped policy (runbooks/) at its real durations on a virtual clock: the
scenario's commands are applied when they fall due, `decide` is called, its actions are marked
done, and the clock jumps to the next wake-up (warroom.simulate.simulate, the loop the workflow
runs). Assertions are what a person reading `warroom policy simulate` would check: the second
after detection, the kind, the key and who was reached.

The fixed instants and who is on call then (payments rotation: alice, bob, carol from Monday
2026-01-05 09:00 +01:00, weekly; manager dana; leadership erin; executives frank; legal grace;
SMEs judy and bob):

    Tue 2026-03-03 02:00 Berlin   primary carol, secondary alice   (night)
    Tue 2026-03-03 10:00 Berlin   primary carol, secondary alice   (business hours)
    Fri 2026-03-13 18:00 Berlin   primary alice, secondary bob     (after hours, before a handoff)
    Mon 2026-03-16 09:00 Berlin   primary bob,   secondary carol   (the weekly handoff instant)
    Fri 2026-03-27 18:00 CET  ->  Mon 2026-03-30 09:00 CEST        (a DST change over the weekend)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from warroom.commands import (
    AddNote,
    AssignRole,
    Command,
    Declare,
    Refused,
    Resolve,
    execute,
)
from warroom.policy import Policy, PolicyError, load_policy
from warroom.severity import Severity
from warroom.simulate import Fired, Step, simulate
from warroom.state import IncidentState, Stage, Status

REPO = Path(__file__).parents[2]
RUNBOOKS = REPO / "runbooks"
WARROOM = REPO / ".venv" / "bin" / "warroom"
BERLIN = ZoneInfo("Europe/Berlin")



def berlin(*args: int) -> datetime:
    """A Berlin wall-clock instant, held in UTC as the workflow holds every time (Temporal's clock is
    UTC). A ZoneInfo-aware datetime would make Python add durations in wall-clock time, an hour off
    across a DST change."""
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


NIGHT = berlin(2026, 3, 3, 2, 0)  # Tuesday 02:00 CET
DAY = berlin(2026, 3, 3, 10, 0)  # Tuesday 10:00 CET, business hours
FRIDAY_EVENING = berlin(2026, 3, 13, 18, 0)
DST_FRIDAY_EVENING = berlin(2026, 3, 27, 18, 0)

MINUTE = 60
HOUR = 3600


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(RUNBOOKS)


# --- helpers -----------------------------------------------------------------------------------


def step(at: int, event: str, actor: str, **fields: Any) -> tuple[Step, Command]:
    """A scenario line: `at` seconds after detection, `actor` runs `event` with `fields`."""
    line = Step.model_validate({"at": timedelta(seconds=at), "event": event, "actor": actor, **fields})
    return line, line.command()


def run(
    policy: Policy,
    severity: str,
    *steps: tuple[Step, Command],
    start: datetime = NIGHT,
    hours: float = 72,
    declared_by: str = "system:alert",
    unclear: tuple[str, ...] = (),
) -> tuple[list[Fired], IncidentState]:
    declare = Declare(
        actor=declared_by, title="checkout failing", service="payments", severity=severity, unclear=unclear
    )
    scenario = sorted(steps, key=lambda s: s[0].at)  # stable: same-second steps keep their order
    return simulate(policy, declare, start, timedelta(hours=hours), scenario)


def timeline(fired: list[Fired]) -> list[tuple[int, str, str, tuple[str, ...]]]:
    return [(f.at_seconds, f.kind, f.key, f.targets) for f in fired]


def by_key(fired: list[Fired]) -> dict[str, Fired]:
    counts = Counter(f.key for f in fired)
    assert all(n == 1 for n in counts.values()), f"keys fired twice: {counts}"
    return {f.key: f for f in fired}


def keys_starting(fired: list[Fired], prefix: str) -> list[str]:
    return [f.key for f in fired if f.key.startswith(prefix)]


def fired_at(fired: list[Fired], key: str) -> tuple[int, str, tuple[str, ...]]:
    f = by_key(fired)[key]
    return f.at_seconds, f.kind, f.targets


def acked_with_ic(ic: str = "carol") -> list[tuple[Step, Command]]:
    """The on-call acknowledges at 30 s and takes command at 60 s, confirming the severity."""
    return [step(30, "ack", ic), step(60, "role", ic, role="ic", handle=ic)]


def incident(policy: Policy, severity: str = "SEV1", at: datetime = NIGHT, by: str = "system:alert") -> IncidentState:
    declare = Declare(actor=by, title="checkout failing", service="payments", severity=severity)
    declare.check_new(policy, at)
    return declare.start("INC-TEST0", at, policy)


def do(state: IncidentState, policy: Policy, command: Command, after: int = 0) -> IncidentState:
    return execute(command, state, policy, state.detected_at + timedelta(seconds=after))


# --- the fixed dates ---------------------------------------------------------------------------


def test_fixed_dates_have_the_on_call_the_tests_assume(policy: Policy) -> None:
    team = policy.team("payments")
    assert [h for _, h in team.chain(NIGHT)] == ["carol", "alice", "dana"]
    assert [h for _, h in team.chain(DAY)] == ["carol", "alice", "dana"]
    assert [h for _, h in team.chain(FRIDAY_EVENING)] == ["alice", "bob", "dana"]
    assert [h for _, h in team.chain(berlin(2026, 3, 16, 9, 0))] == ["bob", "carol", "dana"]
    assert [s.handle for s in policy.runbook("payments").smes] == ["judy", "bob"]
    assert (policy.roster.leadership, policy.roster.executives, policy.roster.legal) == (
        ("erin",), ("frank",), ("grace",),
    )


# --- the acceptance: an unanswered SEV1 ------------------------------------------------


def test_acceptance_sev1_nobody_responding(policy: Policy) -> None:
    """An alert's SEV1 nobody answers, for three hours: the responders at once, leadership and the
    executives once it is confirmed or 10 minutes pass, the chain walked and repeated, and reminders that
    keep coming on cadence and climb, never a silence (brain v7, chase until done)."""
    fired, state = run(policy, "SEV1", hours=3)
    # the on-call and the SMEs at once; leadership and the executives once the severity holds 10 m
    assert fired_at(fired, "page:SEV1") == (0, "page", ("carol", "judy", "bob"))
    assert fired_at(fired, "page:SEV1:confirmed") == (600, "page", ("erin",))
    assert fired_at(fired, "notify:SEV1") == (600, "notify", ("frank",))
    # R-F15-7: the on-call again, the secondary, the manager, then the whole chain three more times
    assert fired_at(fired, "ack:repage") == (60, "page", ("carol",))
    assert fired_at(fired, "ack:escalate:secondary") == (120, "escalate", ("alice",))
    assert fired_at(fired, "ack:escalate:manager") == (240, "escalate", ("dana",))
    assert [f.at_seconds for f in fired if f.key.startswith("ack:repeat:")] == [360, 480, 600]
    # R-ESC-16 and R-ESC-18
    assert fired_at(fired, "escalate:sev1-not-mitigated") == (1800, "escalate", ("erin",))
    assert fired_at(fired, "escalate:open-longer-than") == (7200, "notify", ("erin",))
    # R-F15-8: reminded, escalated, then chased every 10 m, up a rung (the manager, then leadership)
    chase = [(f.at_seconds, f.targets) for f in fired if f.key.startswith("f15:severity-ic:escalate:chase:")]
    assert chase[:3] == [(1200, ("dana",)), (1800, ("dana",)), (2400, ("erin",))]
    # never a silence: from 20 minutes to three hours, something is chased in every 10 minutes
    chased = {f.at_seconds // 600 for f in fired if ":chase:" in f.key}
    assert chased >= set(range(2, 18)), sorted(chased)
    assert state.acknowledged_at is None and not state.resolved


# --- R-ROLE-4: one IC, explicit handover, only the IC resolves (command layer) -----------------


def test_R_ROLE_4_only_the_ic_resolves(policy: Policy) -> None:
    state = do(incident(policy), policy, AssignRole(actor="carol", role="ic", handle="carol"), 60)
    with pytest.raises(Refused, match=r"only the IC \(carol\) resolves \(R-ROLE-4\); leadership \(erin\) may with"):
        do(state, policy, Resolve(actor="bob", reason="looks fine to me"), 120)
    with pytest.raises(Refused, match="R-ROLE-4"):  # the manager is not named by the policy
        do(state, policy, Resolve(actor="dana", reason="I am the manager"), 120)
    resolved = do(state, policy, Resolve(actor="carol"), 120)
    assert resolved.resolved_by == "carol"
    assert resolved.status is Status.resolved
    assert resolved.resolved_at == NIGHT + timedelta(seconds=120)


def test_R_ROLE_4_before_an_ic_is_named_the_acknowledging_responder_acts_as_ic(policy: Policy) -> None:
    state = do(incident(policy), policy, AddNote(actor="carol", text="looking"), 30)  # carol is on call: her ack
    assert state.acknowledged_by == "carol" and state.ic is None
    with pytest.raises(Refused, match=r"only the acting IC \(carol\) resolves \(R-ROLE-4\)"):
        do(state, policy, Resolve(actor="alice"), 60)
    assert do(state, policy, Resolve(actor="carol"), 60).resolved_by == "carol"
    handed = do(state, policy, AssignRole(actor="carol", role="ic", handle="judy"), 60)  # to anyone
    assert handed.ic == "judy"


def test_R_ROLE_4_leadership_resolves_only_with_a_reason(policy: Policy) -> None:
    state = do(incident(policy), policy, AssignRole(actor="carol", role="ic", handle="carol"), 60)
    with pytest.raises(Refused, match=r"erin \(leadership\) resolves only with --reason.*\(R-ROLE-4\)"):
        do(state, policy, Resolve(actor="erin"), 120)
    with pytest.raises(Refused, match=r"erin \(leadership\) resolves only with --reason"):
        do(state, policy, Resolve(actor="erin", reason="   "), 120)
    resolved = do(state, policy, Resolve(actor="erin", reason="IC unreachable; checkout is back"), 120)
    assert resolved.resolved_by == "erin" and resolved.resolved
    assert "IC unreachable" in resolved.timeline[-1].text


def test_R_ROLE_4_handover_only_by_the_ic(policy: Policy) -> None:
    with pytest.raises(Refused, match=r"only the IC \(nobody yet: whoever acknowledges acts as IC\) hands over"):
        do(incident(policy), policy, AssignRole(actor="kim", role="ic", handle="kim"), 60)  # support: not called
    state = do(incident(policy), policy, AssignRole(actor="carol", role="ic", handle="carol"), 60)  # on call
    assert state.ic == "carol"
    with pytest.raises(Refused, match=r"only the IC \(carol\) hands over or takes incident command \(R-ROLE-4\)"):
        do(state, policy, AssignRole(actor="bob", role="ic", handle="bob"), 120)
    with pytest.raises(Refused, match="R-ROLE-4"):  # leadership, but without a reason
        do(state, policy, AssignRole(actor="erin", role="ic", handle="alice"), 120)
    with pytest.raises(Refused, match="already the IC"):
        do(state, policy, AssignRole(actor="carol", role="ic", handle="carol"), 120)

    handed = do(state, policy, AssignRole(actor="carol", role="ic", handle="alice"), 120)
    assert handed.ic == "alice"  # exactly one IC, and the handover is recorded
    assert handed.timeline[-1].actor == "carol"
    assert handed.timeline[-1].text == "alice is IC (took over from carol)"

    taken = do(state, policy, AssignRole(actor="erin", role="ic", handle="bob", reason="carol is exhausted"), 120)
    assert taken.ic == "bob"
    assert taken.timeline[-1].text == "bob is IC (took over from carol): carol is exhausted"


# --- R-SEV-5: unclear takes the higher ---------------------------------------------------------


def test_R_SEV_5_declare_with_unclear_takes_the_higher(policy: Policy) -> None:
    declare = Declare(actor="carol", title="t", service="payments", severity="SEV2", unclear=("SEV1",))
    assert declare.severity is Severity.SEV1
    assert declare.unclear == (Severity.SEV2,)
    loose = Declare(actor="carol", title="t", service="payments", severity="sev3", unclear=("2", "SEV4"))
    assert loose.severity is Severity.SEV2
    assert set(loose.unclear) == {Severity.SEV3, Severity.SEV4}

    fired, state = run(policy, "SEV2", unclear=("SEV1",), hours=1, declared_by="dana")
    assert state.severity is Severity.SEV1
    assert "took the higher, R-SEV-5" in state.timeline[0].text
    assert fired_at(fired, "page:SEV1") == (0, "page", ("carol", "judy", "bob", "erin"))
    assert "page:SEV2" not in by_key(fired)


# --- R-SEV-6: a severity change re-plans -------------------------------------------------------


def test_R_SEV_6_upgrade_pages_only_the_added_people_once(policy: Policy) -> None:
    fired, state = run(
        policy, "SEV2",
        *acked_with_ic(),
        step(20 * MINUTE, "severity", "carol", severity="SEV1", reason="all card payments failing"),
        step(25 * MINUTE, "severity", "carol", severity="SEV2", reason="partly back"),
        step(28 * MINUTE, "severity", "carol", severity="SEV1", reason="down again"),
        hours=3, declared_by="dana",
    )
    assert state.severity is Severity.SEV1
    pages = [(f.at_seconds, f.key, f.targets) for f in fired if f.kind == "page"]
    assert pages == [
        (0, "page:SEV2", ("carol", "judy", "bob")),
        (1200, "page:SEV1", ("erin",)),  # leadership is what SEV1 adds; nobody is paged twice
    ]
    assert fired_at(fired, "notify:SEV1") == (1200, "notify", ("frank",))


def test_R_SEV_6_upgrade_tightens_the_clocks(policy: Policy) -> None:
    # SEV2: first internal update due after 1 h; upgraded to SEV1 at 10 m it is due at 30 m
    sev2, _ = run(policy, "SEV2", *acked_with_ic(), hours=3)
    assert fired_at(sev2, "update-due:0:ic") == (3600, "remind", ("carol",))
    upgraded, _ = run(policy, "SEV2", *acked_with_ic(), step(600, "severity", "carol", severity="SEV1"), hours=3)
    assert fired_at(upgraded, "update-due:0:ic") == (1800, "remind", ("carol",))
    # and SEV1's R-ESC-16 clock starts when it became SEV1
    assert fired_at(upgraded, "escalate:sev1-not-mitigated") == (600 + 1800, "escalate", ("erin",))


def test_R_SEV_6_downgrade_pages_nobody(policy: Policy) -> None:
    fired, state = run(
        policy, "SEV1",
        *acked_with_ic(),
        step(10 * MINUTE, "severity", "carol", severity="SEV2", reason="only card refunds affected"),
        step(11 * MINUTE, "severity", "carol", severity="SEV3"),
        hours=72, declared_by="dana",
    )
    assert state.severity is Severity.SEV3
    after = [f for f in fired if f.at_seconds >= 10 * MINUTE]
    assert [f for f in after if f.kind == "page"] == []
    assert [f.key for f in after if f.key.startswith(("page:", "notify:SEV", "ack:"))] == []
    assert "escalate:sev1-not-mitigated" not in by_key(fired)  # no longer SEV1 at 30 m
    pages = [(f.at_seconds, f.key) for f in fired if f.kind == "page"]
    assert pages == [(0, "page:SEV1")]


def test_R_SEV_6_sev4_opens_a_ticket_and_pages_nobody(policy: Policy) -> None:
    fired, state = run(policy, "SEV4", hours=72)
    assert fired_at(fired, "ticket:open") == (0, "ticket", ("team:payments",))
    assert [f for f in fired if f.kind in ("page", "escalate")] == []
    assert keys_starting(fired, "ack:") == [] and keys_starting(fired, "f15:") == []
    assert keys_starting(fired, "update-due:") == [] and keys_starting(fired, "page:") == []


def test_R_SEV_6_sev3_at_night_pages_when_business_hours_open(policy: Policy) -> None:
    # Tuesday 02:00 Berlin: nobody is paged until 09:00 Berlin, 7 h later
    fired, _ = run(policy, "SEV3", start=NIGHT, hours=12)
    assert [f for f in fired if f.kind == "page" and f.at_seconds < 7 * HOUR] == []
    assert fired_at(fired, "page:SEV3") == (7 * HOUR, "page", ("carol",))
    assert fired_at(fired, "ack:repage") == (7 * HOUR + 60, "page", ("carol",))  # R-F15 starts then
    assert fired_at(fired, "f15:severity-ic:remind")[0] == 7 * HOUR + 300


def test_R_SEV_6_sev3_in_business_hours_pages_at_once(policy: Policy) -> None:
    fired, _ = run(policy, "SEV3", start=DAY, hours=1)
    assert fired_at(fired, "page:SEV3") == (0, "page", ("carol",))


def test_R_SEV_6_sev3_friday_evening_pages_monday_morning_on_call(policy: Policy) -> None:
    # Friday 18:00 CET -> Monday 09:00 CET = 63 h later; the weekly handoff is that very instant,
    # so the new week's primary (bob) is paged, not Friday's (alice)
    fired, _ = run(policy, "SEV3", start=FRIDAY_EVENING, hours=72)
    assert fired_at(fired, "page:SEV3") == (63 * HOUR, "page", ("bob",))
    assert fired_at(fired, "ack:escalate:secondary") == (63 * HOUR + 120, "escalate", ("carol",))


def test_R_SEV_6_sev3_over_a_dst_weekend_pages_at_0900_local(policy: Policy) -> None:
    # Friday 18:00 CET (17:00 UTC) -> Monday 09:00 CEST (07:00 UTC): 62 h, not 63 h
    fired, _ = run(policy, "SEV3", start=DST_FRIDAY_EVENING, hours=72)
    at, kind, targets = fired_at(fired, "page:SEV3")
    assert (at, kind) == (62 * HOUR, "page")
    assert (DST_FRIDAY_EVENING + timedelta(seconds=at)).astimezone(BERLIN).strftime("%a %H:%M %Z") == "Mon 09:00 CEST"


def test_R_SEV_6_sev3_at_night_upgraded_pages_at_the_upgrade_not_again_in_the_morning(policy: Policy) -> None:
    fired, _ = run(policy, "SEV3", step(HOUR, "severity", "alice", severity="SEV2"), start=NIGHT, hours=12)
    pages = [(f.at_seconds, f.key, f.targets) for f in fired if f.key.startswith("page:")]
    assert pages == [(HOUR, "page:SEV2", ("carol", "judy", "bob"))]


def test_R_SEV_6_sev3_at_night_downgraded_to_sev4_before_morning_pages_nobody(policy: Policy) -> None:
    fired, _ = run(policy, "SEV3", step(HOUR, "severity", "alice", severity="SEV4"), start=NIGHT, hours=12)
    assert [f for f in fired if f.kind == "page"] == []


# --- R-F15-7: acknowledgement ------------------------------------------------------------------


def test_R_F15_7_no_ack_repages_then_walks_the_chain(policy: Policy) -> None:
    fired, _ = run(policy, "SEV2", hours=1)
    chain = ("carol", "alice", "dana")
    assert [(f.at_seconds, f.kind, f.key, f.targets) for f in fired if f.key.startswith("ack:")] == [
        (60, "page", "ack:repage", ("carol",)),
        (120, "escalate", "ack:escalate:secondary", ("alice",)),
        (240, "escalate", "ack:escalate:manager", ("dana",)),
        # then the whole chain again, `repeat` (3) times, as pagers repeat an escalation policy
        (360, "escalate", "ack:repeat:1", chain),
        (480, "escalate", "ack:repeat:2", chain),
        (600, "escalate", "ack:repeat:3", chain),
    ]


def test_R_F15_7_an_ack_stops_the_chain(policy: Policy) -> None:
    early, state = run(policy, "SEV2", step(30, "ack", "carol"), hours=1)
    assert keys_starting(early, "ack:") == []
    assert state.acknowledged_by == "carol" and state.status is Status.investigating

    late, _ = run(policy, "SEV2", step(90, "ack", "carol"), hours=1)
    assert keys_starting(late, "ack:") == ["ack:repage"]

    after_secondary, _ = run(policy, "SEV2", step(200, "ack", "alice"), hours=1)  # the secondary answers
    assert keys_starting(after_secondary, "ack:") == ["ack:repage", "ack:escalate:secondary"]


def test_R_F15_7_any_first_response_acknowledges(policy: Policy) -> None:
    fired, state = run(policy, "SEV1", step(45, "note", "carol", text="looking at the processor dashboard"), hours=1)
    assert keys_starting(fired, "ack:") == []
    assert state.acknowledged_by == "carol"
    _, noted = run(policy, "SEV1", step(45, "note", "kim", text="customers are calling"), hours=0.1)
    assert noted.acknowledged_at is None  # brain v6: a stakeholder's word is no acknowledgement


def test_R_F15_7_a_person_who_declares_has_acknowledged(policy: Policy) -> None:
    # whoever detects acknowledges (R-F15-7): carol, the on-call, declares it herself and must not be
    # re-paged at 60 s nor escalated past at 120 s, as any other first command by a human would do
    fired, state = run(policy, "SEV1", declared_by="carol", hours=1)
    assert keys_starting(fired, "ack:") == []
    assert state.acknowledged_by == "carol"


def test_R_F15_7_an_empty_chain_step_is_skipped_not_waited_on(policy: Policy) -> None:
    team = policy.roster.teams["payments"]
    solo = team.model_copy(update={"rotation": team.rotation.model_copy(update={"members": ("carol",)})})
    variant = policy.model_copy(
        update={"roster": policy.roster.model_copy(update={"teams": {"payments": solo}})}
    )
    fired, _ = run(variant, "SEV2", hours=1)
    assert [(f.at_seconds, f.kind, f.key, f.targets) for f in fired if f.key.startswith("ack:")] == [
        (60, "page", "ack:repage", ("carol",)),
        (120, "escalate", "ack:escalate:manager", ("dana",)),  # no secondary: the manager at 2 m, not 4 m
        (240, "escalate", "ack:repeat:1", ("carol", "dana")),
        (360, "escalate", "ack:repeat:2", ("carol", "dana")),
        (480, "escalate", "ack:repeat:3", ("carol", "dana")),
    ]


# --- R-F15-8/9/10: the first fifteen minutes ---------------------------------------------------


def test_R_F15_8_severity_and_ic_missing_reminds_at_5m_escalates_at_10m(policy: Policy) -> None:
    fired, _ = run(policy, "SEV1", step(30, "ack", "alice"), hours=1)
    assert fired_at(fired, "f15:severity-ic:remind") == (300, "remind", ("alice",))  # the responder
    assert fired_at(fired, "f15:severity-ic:escalate") == (600, "escalate", ("dana",))


def test_R_F15_8_met_does_not_remind(policy: Policy) -> None:
    # declared by the alert: the acknowledging on-call confirms its severity (brain v7), and takes command
    fired, _ = run(policy, "SEV1", *acked_with_ic(), hours=1)
    assert keys_starting(fired, "f15:severity-ic") == []


def test_R_F15_8_the_acknowledging_responder_confirms_an_alerts_severity(policy: Policy) -> None:
    _, unanswered = run(policy, "SEV1", hours=0.1)
    assert not unanswered.severity_confirmed  # an alert's severity is provisional
    _, answered = run(policy, "SEV1", step(30, "ack", "carol"), hours=0.1)
    assert answered.severity_confirmed and answered.confirmed_at == NIGHT + timedelta(seconds=30)
    assert "SEV1 confirmed" in next(e.text for e in answered.timeline if e.kind == "acknowledged")


def test_R_F15_8_met_after_the_reminder_does_not_escalate(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", step(30, "ack", "carol"), step(400, "role", "carol", role="ic", handle="carol"),
        hours=1,
    )
    assert keys_starting(fired, "f15:severity-ic") == ["f15:severity-ic:remind"]


def test_R_F15_9_smes_and_comms_missing_reminds_at_10m_escalates_at_20m(policy: Policy) -> None:
    fired, _ = run(policy, "SEV1", *acked_with_ic(), hours=1)
    assert fired_at(fired, "f15:smes-comms:remind") == (600, "remind", ("carol",))  # the IC
    assert fired_at(fired, "f15:smes-comms:escalate") == (1200, "escalate", ("dana",))


def test_R_F15_9_met_does_not_remind(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(),
        step(300, "role", "carol", role="sme", handle="judy", track="database"),
        step(400, "role", "carol", role="comms", handle="heidi"),
        hours=1,
    )
    assert keys_starting(fired, "f15:smes-comms") == []


def test_R_F15_10_no_plan_reminds_at_15m_escalates_at_30m(policy: Policy) -> None:
    # SMEs are there but one works no track: no plan yet
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(),
        step(300, "role", "carol", role="sme", handle="judy", track="database"),
        step(300, "role", "carol", role="sme", handle="bob"),
        hours=1,
    )
    assert fired_at(fired, "f15:plan:remind") == (900, "remind", ("carol",))
    assert fired_at(fired, "f15:plan:escalate") == (1800, "escalate", ("dana",))


def test_R_F15_10_met_does_not_remind(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(),
        step(300, "role", "carol", role="sme", handle="judy", track="database"),
        step(300, "role", "carol", role="sme", handle="bob", track="card processor"),
        hours=1,
    )
    assert keys_starting(fired, "f15:plan") == []


def test_R_F15_8_to_10_all_met_no_first_fifteen_reminders(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1",
        step(60, "role", "carol", role="ic", handle="carol"),
        step(240, "role", "carol", role="sme", handle="judy", track="database"),
        step(240, "role", "carol", role="comms", handle="heidi"),
        declared_by="carol", hours=1,
    )
    assert keys_starting(fired, "f15:") == []


# --- R-COMM-15: the next-update promise --------------------------------------------------------


def _update(at: int, actor: str, next_in: str) -> tuple[Step, Command]:
    return step(at, "update", actor, impact="card payments fail for 40%", theory="processor timeouts",
                next_steps="fail over to the second processor", next_update_in=next_in)


def test_R_COMM_15_promise_missed_reminds_comms_then_ic_5m_later(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(), step(120, "role", "carol", role="comms", handle="heidi"),
        _update(300, "heidi", "10m"),
        hours=1,
    )
    assert fired_at(fired, "update-due:1:comms") == (900, "remind", ("heidi",))
    assert fired_at(fired, "update-due:1:ic") == (1200, "remind", ("carol",))


def test_R_COMM_15_kept_promise_does_not_remind(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(), step(120, "role", "carol", role="comms", handle="heidi"),
        _update(300, "heidi", "10m"),
        _update(800, "heidi", "20m"),  # in time for the 900 s promise; next due at 2000 s
        hours=1,
    )
    assert keys_starting(fired, "update-due:1") == []
    assert fired_at(fired, "update-due:2:comms") == (2000, "remind", ("heidi",))
    assert fired_at(fired, "update-due:2:ic") == (2300, "remind", ("carol",))


def test_R_COMM_15_without_a_comms_lead_the_ic_at_once(policy: Policy) -> None:
    fired, _ = run(policy, "SEV1", *acked_with_ic(), _update(300, "carol", "10m"), hours=1)
    assert fired_at(fired, "update-due:1:ic") == (900, "remind", ("carol",))
    assert keys_starting(fired, "update-due:1:comms") == []


def test_R_COMM_15_first_update_due_on_the_severity_cadence(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(), step(120, "role", "carol", role="comms", handle="heidi"), hours=1,
    )
    assert fired_at(fired, "update-due:0:comms") == (1800, "remind", ("heidi",))  # SEV1: every 30 m
    assert fired_at(fired, "update-due:0:ic") == (2100, "remind", ("carol",))


# --- R-ROLE-3: SME reports on the severity's cadence -------------------------------------------


def test_R_ROLE_3_sme_reminded_on_the_cadence_and_a_note_resets_it(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(),
        step(120, "role", "carol", role="sme", handle="judy", track="database"),
        step(1100, "note", "judy", text="replica lag is 40s; failing over"),
        step(1500, "note", "carol", text="the IC's own note is not judy's report"),
        hours=1,
    )
    reminders = [(f.at_seconds, f.key, f.targets) for f in fired if f.key.startswith("sme-report:judy")]
    assert reminders[:2] == [
        (120 + 900, "sme-report:judy:0:1", ("judy",)),  # SEV1: every 15 m from joining
        (1100 + 900, "sme-report:judy:1:1", ("judy",)),  # from her note, not from the reminder
    ]


def test_R_ROLE_3_an_sme_who_never_reports_is_reminded_each_missed_period(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(), step(120, "role", "carol", role="sme", handle="judy"), hours=1,
    )
    reminders = [(f.at_seconds, f.key, f.targets) for f in fired if f.key.startswith("sme-report:judy")]
    assert reminders == [  # from the second missed report the IC hears of it too (brain v7)
        (1020, "sme-report:judy:0:1", ("judy",)), (1920, "sme-report:judy:0:2", ("judy", "carol")),
        (2820, "sme-report:judy:0:3", ("judy", "carol")),
    ]


def test_R_ROLE_3_a_report_in_time_does_not_remind(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(),
        step(120, "role", "carol", role="sme", handle="judy", track="database"),
        step(900, "note", "judy", text="found it"),
        step(1700, "note", "judy", text="fixing it"),
        hours=0.7,  # 2520 s: the next report is due at 2600 s
    )
    assert keys_starting(fired, "sme-report:judy") == []


def test_R_ROLE_3_cadence_follows_the_severity(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV2", *acked_with_ic(),
        step(120, "role", "carol", role="sme", handle="bob", track="card processor"),
        hours=1,
    )
    assert fired_at(fired, "sme-report:bob:0:1") == (120 + 1800, "remind", ("bob",))  # SEV2: every 30 m


# --- R-ESC-16..20: escalation ------------------------------------------------------------------


def test_R_ESC_16_sev1_not_mitigated_escalates_to_leadership_at_30m(policy: Policy) -> None:
    fired, _ = run(policy, "SEV1", *acked_with_ic(), hours=1)
    assert fired_at(fired, "escalate:sev1-not-mitigated") == (1800, "escalate", ("erin",))


def test_R_ESC_16_mitigated_in_time_does_not_escalate(policy: Policy) -> None:
    fired, state = run(policy, "SEV1", *acked_with_ic(), step(1500, "status", "carol", status="mitigating"), hours=1)
    assert "escalate:sev1-not-mitigated" not in by_key(fired)
    assert state.mitigated_at == NIGHT + timedelta(seconds=1500)


def test_R_ESC_16_downgraded_before_30m_does_not_escalate(policy: Policy) -> None:
    fired, _ = run(policy, "SEV1", *acked_with_ic(), step(1000, "severity", "carol", severity="SEV2"), hours=1)
    assert "escalate:sev1-not-mitigated" not in by_key(fired)


def test_R_ESC_17_data_loss_notifies_executives_at_once_and_makes_it_sev1(policy: Policy) -> None:
    fired, state = run(
        policy, "SEV2", *acked_with_ic(),
        step(600, "flag", "carol", flag="data-loss", note="orders written between 01:50 and 02:05 lost"),
        hours=1,
    )
    assert fired_at(fired, "escalate:data-loss") == (600, "notify", ("frank",))
    assert "orders written" in by_key(fired)["escalate:data-loss"].reason
    assert state.severity is Severity.SEV1
    assert fired_at(fired, "page:SEV1") == (600, "page", ("erin",))  # what SEV1 adds
    assert fired_at(fired, "escalate:sev1-not-mitigated") == (600 + 1800, "escalate", ("erin",))


def test_R_ESC_18_open_longer_than_2h_briefs_leadership(policy: Policy) -> None:
    fired, _ = run(policy, "SEV2", *acked_with_ic(), hours=3)
    assert fired_at(fired, "escalate:open-longer-than") == (7200, "notify", ("erin",))
    resolved, _ = run(policy, "SEV2", *acked_with_ic(), step(HOUR, "resolve", "carol"), hours=3)
    assert "escalate:open-longer-than" not in by_key(resolved)


def test_R_ESC_19_regulatory_notifies_legal_at_once(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV2", *acked_with_ic(), step(900, "flag", "carol", flag="regulatory", note="card data"), hours=1,
    )
    assert fired_at(fired, "escalate:regulatory") == (900, "notify", ("grace",))


def test_R_ESC_19_regulatory_found_after_the_fix_still_reaches_legal(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV2", *acked_with_ic(), step(HOUR, "resolve", "carol"),
        step(2 * HOUR, "flag", "carol", flag="regulatory"),
        hours=3,
    )
    assert fired_at(fired, "escalate:regulatory") == (7200, "notify", ("grace",))


def test_R_ESC_20_anyone_may_escalate_early(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV2", *acked_with_ic(),
        step(90, "escalate", "heidi", to="leadership", reason="a big customer called"),  # not the IC
        step(100, "escalate", "judy", to="executives", reason="press is asking"),
        step(HOUR, "resolve", "carol"),
        step(HOUR + 60, "escalate", "bob", to="legal", reason="contract penalties"),  # even after resolving
        hours=2,
    )
    assert fired_at(fired, "escalate:manual:1") == (90, "escalate", ("erin",))
    assert fired_at(fired, "escalate:manual:2") == (100, "escalate", ("frank",))
    assert fired_at(fired, "escalate:manual:3") == (HOUR + 60, "escalate", ("grace",))
    assert "heidi escalated to leadership" in by_key(fired)["escalate:manual:1"].reason


# --- R-PIR-21: the post-incident review --------------------------------------------------------


def test_R_PIR_21_review_reminders_then_escalations_every_24h(policy: Policy) -> None:
    resolved = HOUR
    fired, state = run(policy, "SEV2", *acked_with_ic(), step(resolved, "resolve", "carol"), hours=100)
    assert state.stage is Stage.in_review
    review = [(f.at_seconds, f.kind, f.key, f.targets) for f in fired if f.key.startswith("review:")]
    assert review == [
        (resolved + 24 * HOUR, "remind", "review:remind:24h", ("carol",)),  # 24 h before the 48 h deadline
        (resolved + 44 * HOUR, "remind", "review:remind:4h", ("carol",)),
        (resolved + 48 * HOUR, "escalate", "review:escalate:1", ("dana", "erin")),
        (resolved + 72 * HOUR, "escalate", "review:escalate:2", ("dana", "erin")),
        (resolved + 96 * HOUR, "escalate", "review:escalate:3", ("dana", "erin")),
    ]
    # after the resolution nothing of the response fires any more (the channel mirrors the review news)
    after = [f.key for f in fired if f.at_seconds > resolved and not f.key.startswith(("review:", "channel:sync:"))]
    assert after == []


REVIEW = """# Review
## Timeline
01:00 paged; 01:00 acknowledged; 02:00 resolved.
## Root causes and contributing factors
The processor's timeouts exceeded our retry budget.
## What went well
Paging reached the on-call at once.
## What to improve
Alert on the retry budget.
## Action items
- Add a retry-budget alert (@judy, due 2026-12-12)
"""


def test_R_PIR_21_submitting_the_review_closes_and_stops_reminders(policy: Policy) -> None:
    fired, state = run(
        policy, "SEV1", *acked_with_ic(), step(HOUR, "resolve", "carol"),
        step(30 * HOUR, "review", "carol", document=REVIEW),
        hours=100,
    )
    # at 25 h a reminder, before the review; at 30 h the review's action item is started (R-PIR-23)
    assert [(f.at_seconds, f.key) for f in fired if f.key.startswith("review:")] == [
        (25 * HOUR, "review:remind:24h"), (30 * HOUR, "review:items")]
    assert state.stage is Stage.closed
    assert state.closed_at == NIGHT + timedelta(hours=30)
    assert state.review is not None and state.review.actor == "carol"


def test_R_PIR_21_sev4_needs_no_review(policy: Policy) -> None:
    fired, state = run(policy, "SEV4", step(60, "role", "alice", role="ic", handle="alice"),
                       step(HOUR, "resolve", "alice"), hours=100)
    assert keys_starting(fired, "review:") == []
    assert state.stage is Stage.closed


# --- the policy loader -------------------------------------------------------------------------


def test_shipped_policy_loads(policy: Policy) -> None:
    assert set(policy.rules.severities) == set(Severity)
    assert sorted(policy.runbooks) == ["identity", "payments"]
    assert policy.runbook("payments").team == "payments"
    assert len(policy.roster.people) == 15
    assert policy.rules.first_15_minutes.acknowledge.within == timedelta(minutes=2)
    assert policy.rules.escalation.sev1_not_mitigated.after == timedelta(minutes=30)
    assert policy.rules.review.within == timedelta(hours=48)


def _broken(tmp_path: Path, file: str, old: str, new: str, marker: str) -> tuple[Path, Path, int]:
    """A copy of runbooks/ with `old` replaced by `new` in `file`; returns the directory, the file and
    the (1-based) line of the first line holding `marker`, the bad value."""
    root = tmp_path / "runbooks"
    shutil.copytree(RUNBOOKS, root)
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    line = next(n for n, content in enumerate(text.splitlines(), start=1) if marker in content)
    return root, path, line


BROKEN = {
    # name: (file, old text, new text, marker of the bad line, field, bad value as the message quotes it)
    "bad-duration": (
        "policy.yaml", "    within: 2m\n", "    within: 2 minutes\n", "2 minutes",
        "first_15_minutes.acknowledge.within", "'2 minutes'",
    ),
    "unknown-target": (
        "policy.yaml", "page: [oncall, smes, leadership]", "page: [oncall, smes, bosses]", "bosses",
        "severities.SEV1.page[2]", "'bosses'",
    ),
    "unknown-rotation-handle": (
        "oncall.yaml", "members: [alice, bob, carol]", "members: [alice, bob, zoe]", "zoe",
        "teams.payments.rotation.members", "'zoe'",
    ),
    "duplicated-key": (
        "policy.yaml", "    repage_after: 1m ", "    repage_after: 1m\n    repage_after: 90s ", "repage_after: 90s",
        "first_15_minutes.acknowledge.repage_after", "repage_after",
    ),
    "unknown-team": (
        "services/payments.yaml", "team: payments", "team: ops", "team: ops",
        "team", "'ops'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_policy_error_names_file_line_field_and_value(tmp_path: Path, case: str) -> None:
    file, old, new, marker, field, bad = BROKEN[case]
    root, path, line = _broken(tmp_path, file, old, new, marker)
    with pytest.raises(PolicyError) as caught:
        load_policy(root)
    message = str(caught.value)
    assert f"{path}:{line}:" in message, message  # the file and the line of the bad value
    assert field in message and bad in message, message
    assert any(p.startswith(f"{path}:{line}:") and field in p and bad in p for p in caught.value.problems)


# --- the CLI -----------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    return subprocess.run([str(WARROOM), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_cli_policy_check_ok() -> None:
    result = _cli("policy", "check")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "services: identity, payments" in result.stdout
    assert "game days: cross-team, data-loss, escalation" in result.stdout
    assert "review within 48h" in result.stdout


def test_cli_policy_check_broken_dir_exits_1_with_the_error_on_stderr(tmp_path: Path) -> None:
    root, path, line = _broken(tmp_path, "policy.yaml", "    within: 2m\n", "    within: 2 minutes\n", "2 minutes")
    result = _cli("policy", "check", str(root))
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"warroom: {path}:{line}: first_15_minutes.acknowledge.within:" in result.stderr
    assert "'2 minutes'" in result.stderr


def test_cli_policy_simulate_bad_severity_exits_2() -> None:
    result = _cli("policy", "simulate", "--sev", "SEV9")
    assert result.returncode == 2
    assert "SEV9" in result.stderr and result.stdout == ""


def test_cli_policy_simulate_json() -> None:
    result = _cli("policy", "simulate", "--sev", "SEV1", "--service", "payments", "--json",
                  "--start", NIGHT.isoformat(),
                  "--until", "3h")
    assert result.returncode == 0, result.stderr
    fired = json.loads(result.stdout)
    assert isinstance(fired, list) and fired
    assert all(isinstance(f, dict) and {"at_seconds", "kind", "key", "targets"} <= f.keys() for f in fired)
    responders = ["carol", "judy", "bob"]  # leadership waits for the alert's severity to be confirmed
    assert fired[0] == {**fired[0], "at_seconds": 0, "kind": "page", "key": "page:SEV1", "targets": responders}
    got = {f["key"]: (f["at_seconds"], f["targets"]) for f in fired}
    assert got["ack:repage"] == (60, ["carol"])
    assert got["ack:escalate:secondary"] == (120, ["alice"])
    assert got["escalate:sev1-not-mitigated"] == (1800, ["erin"])
    assert got["escalate:open-longer-than"] == (7200, ["erin"])


def test_cli_policy_simulate_text_summary() -> None:
    result = _cli("policy", "simulate", "--sev", "SEV2", "--service", "payments", "--start", DAY.isoformat(),
                  "--until", "1h")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("SEV2 on payments")
    assert "page:SEV2" in result.stdout and "ack:repage" in result.stdout


# --- R-ROLE-2, R-SEV, R-COMM-13/14: communication deadlines ----------------------------------


def test_R_SEV_sev2_stakeholder_notice_reminder_at_15m_and_automatic_notice_at_30m(policy: Policy) -> None:
    fired, state = run(policy, "SEV2", hours=1)
    # no comms lead: the pool
    assert fired_at(fired, "comms:stakeholder:0:remind") == (900, "remind", ("heidi", "ivan"))
    assert fired_at(fired, "comms:stakeholder:0:auto") == (1800, "publish", ("stakeholder",))
    assert fired_at(fired, "deliver:stakeholder:1") == (1800, "notify", ("kim", "leo"))
    [notice] = state.sent("stakeholder")
    assert notice.automatic and notice.actor == "system:warroom"
    assert "**SEV2 incident INC-SIM00: checkout failing**" in notice.text
    assert "- **Impact:** being assessed" in notice.text and "- **Next update:** 02:30 UTC" in notice.text
    assert [e.text for e in state.timeline if e.kind == "comms"] == [
        "stakeholder notice #1 sent automatically at its deadline; next by 02:30 UTC"
    ]


def test_R_SEV_stakeholder_deadline_escalates_to_the_ic_when_the_policy_says_remind(policy: Policy) -> None:
    rules = policy.rules.model_copy(
        update={"communications": policy.rules.communications.model_copy(
            update={"stakeholder_notice": policy.rules.communications.stakeholder_notice.model_copy(
                update={"on_deadline": "remind"}
            )}
        )}
    )
    fired, _ = run(policy.model_copy(update={"rules": rules}), "SEV2", *acked_with_ic(), hours=1)
    assert fired_at(fired, "comms:stakeholder:0:escalate") == (1800, "remind", ("carol",))
    assert "comms:stakeholder:0:auto" not in by_key(fired)


def test_R_ROLE_2_a_notice_published_in_time_cancels_the_deadline(policy: Policy) -> None:
    fired, state = run(
        policy, "SEV2", *acked_with_ic(), step(120, "role", "carol", role="comms", handle="heidi"),
        step(600, "comms", "heidi", kind="stakeholder", fields={"impact": "card payments fail for 40%"}),
        hours=1,
    )
    assert [f.key for f in fired if f.key.startswith("comms:stakeholder:0")] == []  # the first one was in time
    assert fired_at(fired, "deliver:stakeholder:1") == (600, "notify", ("kim", "leo"))
    # R-COMM-15 (brain v7): its "next update" (the internal cadence, 1 h) is chased too: halfway, heidi
    assert fired_at(fired, "comms:stakeholder:1:remind") == (600 + 1800, "remind", ("heidi",))
    assert "- **Impact:** card payments fail for 40%" in state.sent("stakeholder")[0].text


def test_R_COMM_13_customer_update_cadence_reminds_comms_lead_halfway_then_the_ic(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV2", *acked_with_ic(), step(120, "role", "carol", role="comms", handle="heidi"), hours=1.2,
    )
    assert fired_at(fired, "comms:customer:0:remind") == (1800, "remind", ("heidi",))
    assert fired_at(fired, "comms:customer:0:escalate") == (3600, "remind", ("carol",))
