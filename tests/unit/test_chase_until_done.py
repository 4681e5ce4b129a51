"""Brain version 7, rule by rule (issue 13): reminders chased until done, SMEs paged and reporting,
clocks that start where PROCESS.md says, alert severities held until a person confirms them,
stakeholders kept informed to the end, the checklist as state, and the content of the internal
(R-COMM-12) and executive (R-COMM-14) updates. Same virtual clock and shipped policy as
test_brain_rules.py, whose helpers and fixed instants these tests share."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.test_brain_rules import (
    FRIDAY_EVENING,
    HOUR,
    MINUTE,
    acked_with_ic,
    berlin,
    by_key,
    do,
    fired_at,
    incident,
    keys_starting,
    run,
    step,
)
from tests.unit.test_brain_rules import policy as policy  # noqa: F401  (the fixture)
from warroom.commands import Ack, AddNote, AssignRole, Publish, Refused, TickStep
from warroom.comms import compose
from warroom.policy import Policy
from warroom.views import checklist

FRIDAY_NIGHT = berlin(2026, 3, 13, 22, 0)  # primary alice until Monday 09:00, then bob


def _update(at: int, actor: str, next_in: str):
    return step(at, "update", actor, impact="card payments fail for 40%", theory="processor timeouts",
                next_steps="fail over to the second processor", next_update_in=next_in)


# --- chase until done ---------------------------------------------------------------------------


def test_R_COMM_15_a_missed_promise_is_chased_every_10m_up_to_the_manager_until_the_update_comes(
        policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV1", *acked_with_ic(), step(120, "role", "carol", role="comms", handle="heidi"),
        _update(300, "heidi", "10m"),  # promised for 900 s, and then nothing until 3900 s
        _update(3900, "heidi", "30m"),
        hours=1.5,
    )
    assert fired_at(fired, "update-due:1:comms") == (900, "remind", ("heidi",))
    assert fired_at(fired, "update-due:1:ic") == (1200, "remind", ("carol",))
    chase = [(f.at_seconds, f.kind, f.targets) for f in fired if f.key.startswith("update-due:1:ic:chase:")]
    assert chase == [
        (1800, "remind", ("carol",)), (2400, "remind", ("carol",)),  # the IC twice more
        (3000, "escalate", ("dana",)), (3600, "escalate", ("dana",)),  # then one rung up: the manager
    ]  # and the update at 3900 s ends it


def test_R_COMM_15_a_chase_stops_after_up_to_repeats(policy: Policy) -> None:
    fired, _ = run(policy, "SEV1", *acked_with_ic(), _update(300, "carol", "10m"), hours=6)
    chase = keys_starting(fired, "update-due:1:ic:chase:")
    assert len(chase) == policy.rules.chase.up_to == 18


def test_R_F15_7_the_whole_chain_is_paged_again_repeat_times_and_an_ack_stops_it(policy: Policy) -> None:
    fired, _ = run(policy, "SEV2", hours=1)
    repeats = [(f.at_seconds, f.targets) for f in fired if f.key.startswith("ack:repeat:")]
    assert repeats == [(360, ("carol", "alice", "dana")), (480, ("carol", "alice", "dana")),
                       (600, ("carol", "alice", "dana"))]
    answered, _ = run(policy, "SEV2", step(400, "ack", "alice"), hours=1)
    assert keys_starting(answered, "ack:repeat:") == ["ack:repeat:1"]


# --- SMEs ---------------------------------------------------------------------------------------


def test_R_F15_9_assigning_an_sme_pages_them_once(policy: Policy) -> None:
    fired, _ = run(
        policy, "SEV2", *acked_with_ic(),
        step(120, "role", "carol", role="sme", handle="heidi", track="checkout frontend"),
        step(300, "role", "carol", role="sme", handle="heidi", track="checkout and cart"),
        hours=1,
    )
    assert fired_at(fired, "sme:page:heidi") == (120, "page", ("heidi",))
    # bob and judy, the runbook's SMEs, were paged with the severity: not again when assigned
    bob, _ = run(policy, "SEV2", *acked_with_ic(), step(120, "role", "carol", role="sme", handle="bob"), hours=1)
    assert keys_starting(bob, "sme:page:") == []


def test_R_ROLE_3_the_runbooks_smes_paged_at_declaration_report_on_the_cadence(policy: Policy) -> None:
    fired, _ = run(policy, "SEV2", *acked_with_ic(), step(1000, "note", "judy", text="replica lag is 40 s"),
                   hours=1.2)
    # SEV2: every 30 m from their page at 0 s; judy's note at 1000 s is her report
    assert fired_at(fired, "sme-report:bob:0:1") == (1800, "remind", ("bob",))
    assert keys_starting(fired, "sme-report:judy:0:") == []
    assert fired_at(fired, "sme-report:judy:1:1") == (2800, "remind", ("judy",))
    assert fired_at(fired, "sme-report:bob:0:2") == (3600, "remind", ("bob", "carol"))  # 2nd miss: the IC too


def test_R_ROLE_3_a_released_sme_owes_no_reports(policy: Policy) -> None:
    fired, _ = run(policy, "SEV2", *acked_with_ic(), step(300, "role", "carol", role="sme", handle="bob",
                                                         release=True), hours=1.2)
    assert keys_starting(fired, "sme-report:bob") == []


# --- clocks that start at the right time --------------------------------------------------------


def test_R_SEV_sev3_overnight_tells_stakeholders_2h_after_detection_and_promises_monday(policy: Policy) -> None:
    fired, state = run(policy, "SEV3", start=FRIDAY_NIGHT, declared_by="dana", hours=64)
    assert fired_at(fired, "comms:stakeholder:0:auto")[0] == 2 * HOUR  # Saturday 00:00, not Monday 11:00
    first = state.communications[0]
    assert first.next_update_at == berlin(2026, 3, 16, 11, 0)  # the response begins at 09:00, + 2 h
    assert "Next update:** Mon 16 Mar 10:00 UTC" in first.text
    # nothing more over the weekend: the follow-up comes when it was promised
    weekend = [f.key for f in fired if f.key.startswith("comms:stakeholder") and 2 * HOUR < f.at_seconds < 59 * HOUR]
    assert weekend == []
    assert fired_at(fired, "comms:stakeholder:1:auto")[0] == 61 * HOUR


def test_R_ESC_18_counts_from_the_response_and_never_for_a_sev4(policy: Policy) -> None:
    fired, _ = run(policy, "SEV3", start=FRIDAY_NIGHT, declared_by="dana", hours=64)
    assert fired_at(fired, "page:SEV3") == (59 * HOUR, "page", ("bob",))  # Monday 09:00 Berlin
    assert fired_at(fired, "escalate:open-longer-than") == (61 * HOUR, "notify", ("erin",))  # not Saturday 00:00
    ticket, _ = run(policy, "SEV4", hours=6)
    assert keys_starting(ticket, "escalate:open-longer-than") == []


def test_R_SEV_a_sev4_ticket_opens_no_incident_channel(policy: Policy) -> None:
    fired, _ = run(policy, "SEV4", hours=2)
    assert [f.key for f in fired] == ["ticket:open"]
    sev3, _ = run(policy, "SEV3", start=FRIDAY_EVENING, hours=1)
    assert keys_starting(sev3, "channel:open")


# --- unconfirmed alerts -------------------------------------------------------------------------


def test_R_F15_8_an_alerts_sev1_pages_responders_at_once_and_leadership_once_confirmed(policy: Policy) -> None:
    fired, _ = run(policy, "SEV1", step(150, "ack", "carol"), hours=1)  # the ack confirms the severity
    assert fired_at(fired, "page:SEV1") == (0, "page", ("carol", "judy", "bob"))
    assert fired_at(fired, "page:SEV1:confirmed") == (150, "page", ("erin",))
    assert fired_at(fired, "notify:SEV1") == (150, "notify", ("frank",))
    assert fired_at(fired, "comms:stakeholder:0:auto")[0] == 150


def test_R_F15_8_an_unconfirmed_alerts_severity_reaches_leadership_after_confirm_within(policy: Policy) -> None:
    fired, _ = run(policy, "SEV1", hours=0.5)
    assert fired_at(fired, "page:SEV1:confirmed") == (10 * MINUTE, "page", ("erin",))
    assert fired_at(fired, "notify:SEV1") == (10 * MINUTE, "notify", ("frank",))
    declared, _ = run(policy, "SEV1", declared_by="carol", hours=0.2)  # a person's declaration holds nothing
    assert fired_at(declared, "page:SEV1") == (0, "page", ("carol", "judy", "bob", "erin"))
    assert keys_starting(declared, "page:SEV1:confirmed") == []


# --- stakeholders kept informed to the end ------------------------------------------------------


def test_R_COMM_15_stakeholders_hear_on_the_internal_cadence_and_at_the_resolution(policy: Policy) -> None:
    fired, state = run(policy, "SEV2", *acked_with_ic(), step(150, "role", "carol", role="comms", handle="heidi"),
                       step(5400, "status", "carol", status="mitigating"), step(6000, "resolve", "carol"),
                       hours=3)
    sent = [(c.at - state.detected_at).total_seconds() for c in state.sent("stakeholder")]
    assert sent == [1800, 1800 + HOUR, 6000]  # 30 m; then hourly (SEV2's internal cadence); the final one
    final = by_key(fired)["comms:stakeholder:final"]
    assert final.at_seconds == 6000 and final.kind == "publish"
    assert "resolved" in state.sent("stakeholder")[-1].text.lower()


# --- the checklist as state (R-F15-11) ----------------------------------------------------------


def test_R_F15_11_a_responder_ticks_a_step_and_everyone_sees_who_did(policy: Policy) -> None:
    state = do(incident(policy, "SEV2"), policy, Ack(actor="carol"), 30)
    state = do(state, policy, TickStep(actor="carol", step=4), 90)  # "Check the card processor's status page"
    items = checklist(state, policy)
    assert [(i.number, i.done, i.ticked_by) for i in items][:4] == [
        (1, True, None), (2, False, None), (3, False, None), (4, True, "carol")]
    assert state.timeline[-1].text.startswith("checklist step 4 done: Check the card processor")
    with pytest.raises(Refused, match="step 4 was ticked by carol"):
        do(state, policy, TickStep(actor="alice", step=4), 100)
    with pytest.raises(Refused, match="has 6 step"):
        do(state, policy, TickStep(actor="carol", step=7), 100)
    with pytest.raises(Refused, match="R-F15-11"):
        do(state, policy, TickStep(actor="kim", step=2), 100)  # support: no responder
    undone = do(state, policy, TickStep(actor="carol", step=4, undo=True), 120)
    assert not checklist(undone, policy)[3].done


# --- what the messages say ----------------------------------------------------------------------


def test_R_COMM_12_the_internal_update_carries_every_field() -> None:
    from tests.unit.test_brain_rules import RUNBOOKS
    from warroom.policy import load_policy

    policy = load_policy(RUNBOOKS)
    state = do(do(incident(policy, "SEV1"), policy, AssignRole(actor="carol", role="ic", handle="carol"), 60),
               policy, AddNote(actor="carol", text="looking"), 90)
    text = compose("internal", state, policy, {"impact": "card payments fail for 40%", "theory": "processor timeouts",
                                                "next_steps": "fail over"}, state.detected_at + timedelta(minutes=30))
    for expected in ("INC-TEST0 · SEV1 · investigating", "checkout failing", "**Impact:** card payments fail for 40%",
                     "**Current theory:** processor timeouts", "**Next steps:** fail over",
                     "**Next update:** 01:30 UTC"):
        assert expected in text, (expected, text)


def test_R_COMM_14_the_executive_update_carries_summary_impacts_status_and_estimate(policy: Policy) -> None:
    state = do(incident(policy, "SEV1", by="carol"), policy, AssignRole(actor="carol", role="comms", handle="heidi"),
               60)
    command = Publish(actor="heidi", kind="executive", next_update_in=timedelta(hours=1), fields={
        "summary": "checkout fails for 40% of card payments", "customer_impact": "40% cannot pay",
        "business_impact": "about 12k EUR an hour", "estimated_resolution": "within the hour"})
    state = do(state, policy, command, 120)
    [sent] = state.sent("executive")
    for expected in ("INC-TEST0 · SEV1", "checkout fails for 40% of card payments",
                     "**Customer impact:** 40% cannot pay",
                     "**Business impact:** about 12k EUR an hour", "**Current status:** investigating",
                     "**Estimated resolution:** within the hour", "**Next update:** 02:02 UTC"):
        assert expected in sent.text, (expected, sent.text)


# --- policy simulate --explain ------------------------------------------------------------------


def test_explain_says_rule_by_rule_whether_the_scenario_met_it_and_when(policy: Policy) -> None:
    from warroom.explain import explain

    fired, state = run(
        policy, "SEV1", step(40, "ack", "carol"), step(60, "role", "carol", role="ic", handle="carol"),
        step(180, "role", "carol", role="comms", handle="heidi"),
        step(480, "role", "carol", role="sme", handle="judy", track="database"),
        _update(720, "heidi", "20m"), step(3000, "status", "carol", status="mitigating"),
        step(4200, "resolve", "carol"), hours=4,
    )
    verdicts = {v.rule: v for v in explain(state, fired)}
    assert (verdicts["R-F15-7"].outcome, verdicts["R-F15-7"].at_seconds) == ("met", 40)
    assert (verdicts["R-F15-9"].outcome, verdicts["R-F15-9"].at_seconds) == ("met", 480)
    assert verdicts["R-COMM-13"].outcome == "missed"  # nobody posted a customer update
    assert verdicts["R-COMM-13"].detail.endswith("the first at +15m")
    assert verdicts["R-ROLE-2"].detail.startswith("at +40s by warroom, from the template")
    assert (verdicts["R-ESC-16"].outcome, verdicts["R-ESC-16"].at_seconds) == ("met", 1800)  # mitigated at 50 m
    assert verdicts["R-ESC-18"].outcome == "n/a"  # resolved at 70 m
    assert (verdicts["R-ROLE-4"].outcome, verdicts["R-ROLE-4"].at_seconds) == ("met", 4200)


def test_cli_policy_simulate_explain_prints_the_rules_table(tmp_path) -> None:
    import subprocess

    from tests.unit.test_brain_rules import WARROOM

    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("- {at: 40s, event: ack, actor: carol}\n")
    result = subprocess.run(
        [str(WARROOM), "policy", "simulate", "--sev", "SEV2", "--service", "payments", "--until", "1h",
         "--scenario", str(scenario),
         "--start", "2026-03-03T02:00:00+01:00", "--explain"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("rule by rule (PROCESS.md)")[1]
    assert "R-F15-7    met           +40s  acknowledge the page: at +40s" in table
    assert "R-F15-8    missed" in table  # nobody took command
