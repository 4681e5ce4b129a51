"""Who may do what (policy.yaml → permissions), one test per default rule, on the pure command
layer at real durations: an incident paged by the brain at Tuesday 02:00 Berlin, when carol is
primary (secondary alice, manager dana; SMEs judy and bob; leadership erin; stakeholders kim, leo;
comms pool heidi, ivan). Each refusal names the rule and who may instead."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.test_brain_rules import NIGHT
from warroom.actions import Decision
from warroom.brain import carried_out, decide
from warroom.commands import (
    Ack,
    AddNote,
    AssignRole,
    Declare,
    Escalate,
    PostUpdate,
    Publish,
    Refused,
    Resolve,
    SetFlag,
    SetSeverity,
    SetStatus,
    execute,
)
from warroom.permissions import Permissions, table
from warroom.policy import Policy, load_policy
from warroom.state import IncidentState
from warroom.views import IncidentView  # noqa: F401 - the state's readers are the same everywhere

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(ROOT / "runbooks").for_service("payments")


def paged(severity: str = "SEV1") -> IncidentState:
    """Declared by dana and paged as the brain pages it (SEV1: carol, judy, bob, erin)."""
    state = Declare(actor="dana", title="Checkout failing", service="payments",
                    severity=severity).start("INC-PERM0", NIGHT, POLICY)
    decision: Decision = decide(state, POLICY, NIGHT)
    for action in decision.actions:
        state = carried_out(state, action, NIGHT)
    return state


def at(seconds: int):
    return NIGHT + timedelta(seconds=seconds)


def with_ic(state: IncidentState | None = None) -> IncidentState:
    state = execute(Ack(actor="carol"), state or paged(), POLICY, at(30))
    return execute(AssignRole(actor="carol", role="ic", handle="carol"), state, POLICY, at(60))


def refused(command, state: IncidentState, match: str) -> None:
    with pytest.raises(Refused, match=match):
        execute(command, state, POLICY, at(120))


def test_R_F15_7_only_those_paged_or_on_call_acknowledge() -> None:
    state = paged()
    refused(Ack(actor="kim"), state, r"only the paged responders \(bob, carol, erin, judy\) or the on-call "
                                     r"\(alice, carol, dana\) acknowledges \(R-F15-7\)")
    assert execute(Ack(actor="judy"), state, POLICY, at(30)).acknowledged_by == "judy"  # paged as SME
    assert execute(Ack(actor="alice"), state, POLICY, at(30)).acknowledged_by == "alice"  # secondary


def test_R_F15_7_a_stakeholders_first_word_is_no_acknowledgement_but_a_responders_is() -> None:
    noted = execute(AddNote(actor="kim", text="customers are calling"), paged(), POLICY, at(30))
    assert noted.acknowledged_at is None and noted.timeline[-1].actor == "kim"
    assert Decision.model_validate(decide(noted, POLICY, at(61))).actions[0].key == "ack:repage"  # re-paged still
    answered = execute(AddNote(actor="carol", text="looking"), noted, POLICY, at(40))
    assert answered.acknowledged_by == "carol"
    older = paged().model_copy(update={"version": 5})  # incidents declared before the rule keep theirs
    assert execute(AddNote(actor="kim", text="hello"), older, POLICY, at(30)).acknowledged_by == "kim"


def test_R_SEV_5_anyone_upgrades_only_the_ic_downgrades() -> None:
    state = with_ic(paged("SEV2"))
    assert execute(SetSeverity(actor="kim", severity="SEV1"), state, POLICY, at(90)).severity.value == "SEV1"
    refused(SetSeverity(actor="kim", severity="SEV3"), state,
            r"only the IC \(carol\) lowers or confirms the severity \(R-ROLE-1\); leadership \(erin\) may with")
    refused(SetSeverity(actor="erin", severity="SEV3"), state, r"erin \(leadership\) .* only with --reason")
    assert execute(SetSeverity(actor="erin", severity="SEV3", reason="contained"), state, POLICY,
                   at(90)).severity.value == "SEV3"
    assert execute(SetSeverity(actor="carol", severity="SEV3"), state, POLICY, at(90)).severity.value == "SEV3"


def test_R_ROLE_1_only_the_ic_changes_the_status() -> None:
    state = with_ic()
    refused(
        SetStatus(actor="leo", status="mitigating"), state, r"only the IC \(carol\) changes the status \(R-ROLE-1\)"
    )
    refused(PostUpdate(actor="carol", impact="x", theory="y", next_steps="z").model_copy(
        update={"actor": "heidi"}), execute(AssignRole(actor="carol", role="comms", handle="ivan"), state, POLICY,
                                            at(70)), r"only the IC \(carol\) or the comms lead \(ivan\) posts")
    assert execute(SetStatus(actor="carol", status="mitigating"), state, POLICY, at(90)).status.value == "mitigating"


def test_R_ROLE_1_only_the_ic_assigns_the_comms_lead_and_smes() -> None:
    state = with_ic()
    refused(AssignRole(actor="leo", role="comms", handle="leo"), state,
            r"only the IC \(carol\) assigns the comms lead and the SMEs \(R-ROLE-1\)")
    refused(AssignRole(actor="judy", role="sme", handle="judy", track="db"), state, r"only the IC \(carol\)")
    assert execute(AssignRole(actor="carol", role="comms", handle="heidi"), state, POLICY, at(90)).comms == "heidi"


def test_R_ROLE_1_the_ic_does_not_debug() -> None:
    state = with_ic()
    refused(AssignRole(actor="carol", role="sme", handle="carol", track="db"), state,
            r"carol is the IC: the IC does not debug \(R-ROLE-1\)")
    with_sme = execute(AssignRole(actor="carol", role="sme", handle="judy", track="db"), state, POLICY, at(90))
    refused(AssignRole(actor="carol", role="ic", handle="judy"), with_sme, r"judy is an SME on db: release them first")


def test_R_ROLE_2_only_the_comms_lead_publishes_the_ic_while_there_is_none() -> None:
    state = with_ic()
    fields = {"impact": "checkout down for some"}
    refused(Publish(actor="leo", kind="stakeholder", fields=fields), state,
            r"only the comms lead \(carol\) publishes outward messages \(R-ROLE-2\)")
    assert execute(Publish(actor="carol", kind="stakeholder", fields=fields), state, POLICY, at(90)).communications
    led = execute(AssignRole(actor="carol", role="comms", handle="heidi"), state, POLICY, at(90))
    refused(Publish(actor="carol", kind="stakeholder", fields=fields), led, r"only the comms lead \(heidi\)")
    assert execute(Publish(actor="heidi", kind="stakeholder", fields=fields), led, POLICY, at(100)).communications


def test_R_ROLE_4_only_the_ic_hands_over_and_leadership_takes_over_with_a_reason() -> None:
    refused(AssignRole(actor="kim", role="ic", handle="kim"), paged(), r"hands over or takes incident command")
    state = with_ic()
    refused(AssignRole(actor="bob", role="ic", handle="bob"), state, r"only the IC \(carol\) hands over")
    taken = execute(AssignRole(actor="erin", role="ic", handle="erin", reason="carol is off sick"), state, POLICY,
                    at(90))
    assert taken.ic == "erin" and "carol is off sick" in taken.timeline[-1].text


def test_R_ROLE_4_only_the_ic_resolves() -> None:
    state = with_ic()
    refused(Resolve(actor="kim"), state, r"only the IC \(carol\) resolves \(R-ROLE-4\)")
    assert execute(Resolve(actor="erin", reason="checkout back, IC asleep"), state, POLICY, at(90)).resolved


def test_R_ESC_20_anyone_escalates_notes_and_flags() -> None:
    state = paged()
    state = execute(Escalate(actor="kim", to="leadership", reason="customers are calling"), state, POLICY, at(30))
    state = execute(AddNote(actor="leo", text="a big account asked"), state, POLICY, at(40))
    state = execute(SetFlag(actor="kim", flag="regulatory", note="card data?"), state, POLICY, at(50))
    assert [e.actor for e in state.timeline[-3:]] == ["kim", "leo", "kim"]


def test_the_readme_says_who_may_do_what_as_the_shipped_policy_does() -> None:
    shipped = load_policy(ROOT / "runbooks").rules.permissions
    assert shipped == Permissions()  # the shipped file states the defaults
    assert table(shipped) in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_team_may_change_who_may_do_what(tmp_path) -> None:
    rules = POLICY.rules.model_copy(update={"permissions": Permissions.model_validate(
        {"status": {"who": ["ic", "oncall"]}})})
    relaxed = Policy.model_validate({**POLICY.model_dump(), "rules": rules.model_dump()})
    state = with_ic()
    assert execute(SetStatus(actor="alice", status="identified"), state, relaxed, at(90)).status.value == "identified"
