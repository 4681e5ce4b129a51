"""warroom.throttle: at most N pages a minute to one person, the rest as ONE bundle. Pure: times
are fixed instants the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.providers.conftest import person
from warroom.throttle import KEEP, Page, ThrottleState, Verdict, admit, is_idle, take_bundle

T0 = datetime(2031, 5, 4, 2, 0, tzinfo=UTC)  # any instant: nothing here reads the clock


def page(i: int, handle: str = "bob", per_minute: int = 2) -> Page:
    return Page(recipient=person(handle), key=f"INC-7K2QD:ack:repage:{i}", incident_id="INC-7K2QD",
                subject=f"[INC-7K2QD] page {i}", text=f"PAGE INC-7K2QD page {i}\nmore", per_minute=per_minute)


def fresh(handle: str = "bob", per_minute: int = 2) -> ThrottleState:
    return ThrottleState(recipient=person(handle), per_minute=per_minute)


def five_pages(state: ThrottleState) -> tuple[ThrottleState, list[Verdict]]:
    verdicts = []
    for i in range(1, 6):
        state, verdict = admit(state, page(i), T0 + timedelta(seconds=5 * (i - 1)))
        verdicts.append(verdict)
    return state, verdicts


def test_two_pages_go_out_and_the_other_three_wait_for_the_window():
    state, verdicts = five_pages(fresh())
    assert verdicts == [Verdict.send, Verdict.send, Verdict.held, Verdict.held, Verdict.held]
    assert state.bundle_due == T0 + timedelta(minutes=1)  # the first page leaves the window then


def test_the_bundle_is_one_page_listing_every_held_page_and_counts_in_the_window():
    state, _ = five_pages(fresh())
    state, bundle = take_bundle(state, T0 + timedelta(minutes=1), token="abcd1234")
    assert bundle.action_key == "throttled:abcd1234" and bundle.channel == "pager"
    assert [r.handle for r in bundle.recipients] == ["bob"]
    assert bundle.subject == "3 held page(s): INC-7K2QD"
    for i in (3, 4, 5):
        assert f"- [INC-7K2QD] page {i} (INC-7K2QD:ack:repage:{i})" in bundle.text
    assert "page 1 " not in bundle.text and "page 2 " not in bundle.text
    assert state.held == () and state.bundle_due is None
    later, verdict = admit(state, page(6), T0 + timedelta(minutes=1, seconds=1))
    assert verdict is Verdict.held  # the second page and the bundle fill the window
    assert later.bundle_due == T0 + timedelta(seconds=65)  # when the second page leaves it


def test_a_page_asked_about_again_gets_the_same_answer():
    state, verdicts = five_pages(fresh())
    for i, first in enumerate(verdicts, start=1):
        state, again = admit(state, page(i), T0 + timedelta(seconds=30))
        assert again is first
    assert len(state.held) == 3 and len(state.sent) == 2


def test_while_a_bundle_waits_every_new_page_joins_it_even_when_the_window_has_room():
    state, _ = five_pages(fresh())
    state, verdict = admit(state, page(6), T0 + timedelta(minutes=1, seconds=30))
    assert verdict is Verdict.held and len(state.held) == 4


def test_the_limit_is_per_person():
    bob, carol = fresh("bob", per_minute=1), fresh("carol", per_minute=1)
    bob, first = admit(bob, page(1, "bob", 1), T0)
    bob, second = admit(bob, page(2, "bob", 1), T0)
    carol, theirs = admit(carol, page(1, "carol", 1), T0)
    assert (first, second, theirs) == (Verdict.send, Verdict.held, Verdict.send)


def test_a_raised_limit_lets_the_waiting_bundle_go_at_once():
    state, _ = five_pages(fresh())
    state, verdict = admit(state, page(6, per_minute=10), T0 + timedelta(seconds=30))
    assert verdict is Verdict.held  # it joins the bundle that is waiting
    assert state.bundle_due is not None and state.bundle_due <= T0


def test_the_state_forgets_what_no_retry_can_ask_about():
    state, _ = five_pages(fresh())
    state, _ = take_bundle(state, T0 + timedelta(minutes=1), token="t")
    assert not is_idle(state, T0 + timedelta(minutes=2))
    much_later = T0 + KEEP + timedelta(minutes=2)
    state, verdict = admit(state, page(9), much_later)
    assert verdict is Verdict.send
    assert list(state.seen) == ["INC-7K2QD:ack:repage:9"] and len(state.sent) == 3  # the last two and this one
    assert is_idle(state, much_later + KEEP + timedelta(seconds=1))
