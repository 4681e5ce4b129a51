"""Brain version 8 (issue 15): a delivery held back by an outage says how late it went out, a page
that could not be delivered moves the escalation chain on at once (R-F15-7) instead of being
marked done and forgotten, and older incidents keep their rules (replay)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.test_brain_rules import RUNBOOKS
from warroom.actions import Keys
from warroom.brain import decide
from warroom.commands import Declare
from warroom.loop import advance, delivered
from warroom.policy import Policy, load_policy
from warroom.state import BRAIN_VERSION

T0 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(RUNBOOKS)


def declared(policy: Policy, version: int = BRAIN_VERSION):
    declare = Declare(actor="system:alert", title="checkout failing", service="payments", severity="SEV2")
    return declare.start("INC-V8AAA", T0, policy, version)


def first_page(policy: Policy, state):
    turn = advance(state, policy, T0)
    [page] = [a for a in turn.deliveries if a.key == Keys.page("SEV2")]
    return turn.state, page


def test_R_F15_7_a_page_that_cannot_be_delivered_pages_the_next_level_at_once(policy: Policy) -> None:
    state, page = first_page(policy, declared(policy))
    failed_at = T0 + timedelta(seconds=20)
    state = delivered(state, page, failed_at, failure="could not page carol: PagerDuty: HTTP 400")
    due = {a.key: a for a in decide(state, policy, failed_at).actions}
    secondary = due[Keys.ack_escalation("secondary")]
    assert secondary.at == failed_at and secondary.audience == ("alice",)
    assert "could not be delivered" in secondary.reason
    assert state.done[Keys.page("SEV2")].failed
    assert [e.kind for e in state.timeline][-2:] == ["delivery-failed", "page"]


def test_R_F15_7_a_page_that_went_out_keeps_the_chain_on_its_timers(policy: Policy) -> None:
    state, page = first_page(policy, declared(policy))
    state = delivered(state, page, T0 + timedelta(seconds=1))
    later = {a.key: a.at for a in decide(state, policy, T0 + timedelta(seconds=20)).upcoming}
    assert later[Keys.ack_escalation("secondary")] == T0 + timedelta(minutes=2)


def test_a_delivery_held_back_by_an_outage_says_how_late_it_went_out(policy: Policy) -> None:
    state, page = first_page(policy, declared(policy))
    on_time = delivered(state, page, T0 + timedelta(seconds=3))
    late = delivered(state, page, T0 + timedelta(minutes=11, seconds=4))
    assert "late" not in on_time.timeline[-1].text
    assert late.timeline[-1].text.endswith("went out 11m4s late")


def test_incidents_declared_under_v7_keep_their_rules(policy: Policy) -> None:
    state, page = first_page(policy, declared(policy, version=7))
    state = delivered(state, page, T0 + timedelta(minutes=11), failure="could not page carol")
    assert "late" not in state.timeline[-1].text
    later = {a.key: a.at for a in decide(state, policy, T0 + timedelta(minutes=11)).upcoming}
    assert Keys.ack_escalation("secondary") not in later  # v7: on its 2-m timer, already past: due
    due = {a.key: a.at for a in decide(state, policy, T0 + timedelta(minutes=11)).actions}
    assert due[Keys.ack_escalation("secondary")] == T0 + timedelta(minutes=2)
