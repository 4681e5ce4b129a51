"""R-PIR-21..23 on the pure side: the review's checks, action items at their real durations on a
virtual clock, and the report's figures for incidents whose numbers are known."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from warroom.action_items import AddItem, CompleteItem, decide_item, item_carried_out
from warroom.commands import (
    Ack,
    AddNote,
    AssignRole,
    Declare,
    Escalate,
    Publish,
    Refused,
    Resolve,
    SetFlag,
    SetStatus,
    SubmitReview,
    execute,
)
from warroom.policy import load_policy
from warroom.report import IncidentFacts, ItemFacts, build, median, percentile
from warroom.review import action_items, blame_warnings, draft, missing_sections

POLICY = load_policy(Path(__file__).parents[2] / "runbooks").for_service("payments")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday night
COMPLETE = """# Review
## Timeline
02:14 paged; 02:16 acknowledged.
## Root causes and contributing factors
Line {line}
## What went well
Paging worked.
## What to improve
Capacity reviews.
## Action items
- Alert on pool saturation (@judy, due 2026-12-12)
- Load-test checkout (@bob, due 2026-04-01)
"""
UNDATED = COMPLETE.replace("(@bob, due 2026-04-01)", "(@bob)")


def test_R_PIR_21_missing_or_placeholder_sections_are_named():
    drafted = ("## Root causes and contributing factors\n_Why did the system allow this?_\n"
               "## What went well\nfast page\n")
    assert missing_sections(drafted) == ["Timeline", "Root causes and contributing factors", "What to improve",
                                         "Action items"]
    assert missing_sections(COMPLETE.format(line="pool too small")) == []


def test_R_PIR_21_a_review_without_its_timeline_is_refused_naming_the_section():
    state = Declare(actor="erin", title="Checkout failing", service="payments",
                    severity="SEV2").start("INC-REV03", T0, POLICY)
    state = execute(AssignRole(actor="bob", role="ic", handle="bob"), state, POLICY, T0 + timedelta(minutes=4))
    state = execute(Resolve(actor="bob"), state, POLICY, T0 + timedelta(minutes=70))
    no_timeline = COMPLETE.format(line="x").replace("## Timeline\n02:14 paged; 02:16 acknowledged.\n", "")
    with pytest.raises(Refused, match=r"fill in the section\(s\) 'Timeline' \(R-PIR-21\)"):
        execute(SubmitReview(actor="bob", document=no_timeline), state, POLICY, T0 + timedelta(hours=3))


def test_R_PIR_22_the_drafts_own_prompt_and_the_word_blameless_are_no_finding():
    state = Declare(actor="erin", title="Checkout failing", service="payments",
                    severity="SEV2").start("INC-REV04", T0, POLICY)
    document = draft(state, POLICY)
    assert "(Blameless: ask what, not who.)" in document
    assert blame_warnings(document, POLICY) == []
    written = COMPLETE.format(line="In a blameless spirit: the pool had no saturation alert")
    assert blame_warnings(written, POLICY) == []
    assert blame_warnings(COMPLETE.format(line="We blame the deploy"), POLICY) != []


def test_R_PIR_21_the_draft_holds_the_smes_reports_flags_escalations_and_comms_sent():
    state = Declare(actor="erin", title="Checkout failing", service="payments",
                    severity="SEV1").start("INC-REV05", T0, POLICY)
    for after, command in (
        (1, AssignRole(actor="bob", role="ic", handle="bob")),
        (2, AssignRole(actor="bob", role="sme", handle="judy", track="database")),
        (3, AssignRole(actor="bob", role="comms", handle="heidi")),
        (8, AddNote(actor="judy", text="replica lag is 40 s; failing over")),
        (9, AddNote(actor="carol", text="a bystander's note is no SME report")),
        (10, SetFlag(actor="bob", flag="regulatory", note="card data in the logs")),
        (11, Escalate(actor="carol", to="executives", reason="a big customer called")),
        (12, Publish(actor="heidi", kind="stakeholder", fields={"impact": "checkout fails for 40%"},
                     next_update_in=timedelta(minutes=30))),
        (40, Resolve(actor="bob")),
    ):
        state = execute(command, state, POLICY, T0 + timedelta(minutes=after))
    document = draft(state, POLICY)
    assert "- 03-02 01:08:00 **judy**: replica lag is 40 s; failing over" in document
    assert "bystander" not in document.split("### What the SMEs reported")[1].split("###")[0]
    assert "- Flag **regulatory** at 03-02 01:10 by bob: card data in the logs" in document
    assert "carol: escalated to executives: a big customer called" in document
    assert "- stakeholder communication at 03-02 01:12 UTC, by heidi" in document


def test_R_PIR_22_blame_is_warned_with_its_line_and_the_system_view_is_not():
    document = COMPLETE.format(line="Bob should have checked the pool; human error by carol")
    warnings = blame_warnings(document, POLICY)
    assert [w.line for w in warnings] == [5, 5]
    assert "names bob, carol" in warnings[0].text
    assert "should have" in warnings[1].text and "human error" in warnings[1].text
    assert blame_warnings(COMPLETE.format(line="The pool had no saturation alert"), POLICY) == []


def test_R_PIR_23_action_items_are_read_from_the_review_and_a_line_without_owner_or_due_is_named():
    items, problems = action_items(UNDATED.format(line="x"), date(2026, 3, 4))
    assert [(i.title, i.owner, i.due, i.line) for i in items] == [
        ("Alert on pool saturation", "judy", date(2026, 12, 12), 11),
    ]
    assert problems == ["line 12: '- Load-test checkout (@bob)' is not an action item like "
                        "`- title (@owner, due YYYY-MM-DD)`"]
    _, bad_dates = action_items(COMPLETE.replace("2026-12-12", "2026-02-30"), date(2026, 3, 4))
    assert bad_dates[0] == "line 11: due 2026-02-30 is not a date"
    _, far = action_items(COMPLETE.replace("2026-12-12", "9999-12-31"), date(2026, 3, 4))
    assert far[0] == "line 11: due 9999-12-31 is not between 2000-01-01 and five years from now"


def test_R_PIR_23_a_review_whose_item_lacks_an_owner_or_a_due_date_is_refused_naming_the_line():
    state = Declare(actor="erin", title="Checkout failing", service="payments",
                    severity="SEV2").start("INC-REV02", T0, POLICY)
    state = execute(AssignRole(actor="bob", role="ic", handle="bob"), state, POLICY, T0 + timedelta(minutes=4))
    state = execute(Resolve(actor="bob"), state, POLICY, T0 + timedelta(minutes=70))
    with pytest.raises(Refused, match=r"line 12: '- Load-test checkout \(@bob\)'.*R-PIR-23"):
        execute(SubmitReview(actor="bob", document=UNDATED.format(line="x")), state, POLICY, T0 + timedelta(hours=3))
    fixed = COMPLETE.format(line="x")
    closed = execute(SubmitReview(actor="bob", document=fixed), state, POLICY, T0 + timedelta(hours=3))
    assert [(i.owner, i.due) for i in closed.review.items] == [("judy", date(2026, 12, 12)), ("bob", date(2026, 4, 1))]
    assert closed.timeline[-1].text.endswith("closed; 2 action item(s) to start")


def test_R_PIR_21_draft_has_true_durations_and_a_timeline():
    state = Declare(actor="erin", title="Checkout failing", service="payments",
                    severity="SEV2").start("INC-REV01", T0, POLICY)
    state = execute(Ack(actor="bob"), state, POLICY, T0 + timedelta(minutes=3))
    state = execute(AssignRole(actor="bob", role="ic", handle="bob"), state, POLICY, T0 + timedelta(minutes=4))
    state = execute(SetStatus(actor="bob", status="mitigating"), state, POLICY, T0 + timedelta(minutes=25))
    state = execute(Resolve(actor="bob"), state, POLICY, T0 + timedelta(minutes=70))
    document = draft(state, POLICY)
    assert "- **Time to acknowledge:** 3m" in document
    assert "- **Time to mitigate:** 25m" in document
    assert "- **Time to resolve:** 1h10m" in document
    assert "- **Review due:** 2026-03-04 02:10 UTC" in document
    assert "| 03-02 01:03:00 | 3m | bob | acknowledged by bob |" in document
    assert "| 03-02 02:10:00 | 1h10m | bob | resolved;" in document
    with pytest.raises(Refused, match="fill in the section"):
        execute(SubmitReview(actor="bob", document=document), state, POLICY, T0 + timedelta(hours=20))
    closed = execute(SubmitReview(actor="bob", document=COMPLETE.format(line="pool")), state, POLICY,
                     T0 + timedelta(hours=20))
    assert closed.closed_at is not None


def chase(item, until: timedelta):
    """Run an item's rules on a virtual clock, returning (seconds after creation, key, targets)."""
    fired, now = [], item.created_at
    while True:
        decision = decide_item(item, POLICY, now)
        for action in decision.actions:
            fired.append(((now - item.created_at).total_seconds(), action.key, action.targets))
            item = item_carried_out(item, action, now)
        if decision.actions:
            continue
        if decision.wake_at is None or decision.wake_at > item.created_at + until:
            return fired, item
        now = decision.wake_at


def test_R_PIR_23_reminders_before_and_on_the_due_date_then_the_manager_weekly():
    item = AddItem(actor="bob", incident_id="INC-REV01", title="Alert on pool saturation", owner="bob",
                   due=date(2026, 3, 16)).start(1, POLICY, T0)
    assert item.due_at == datetime(2026, 3, 16, 16, 0, tzinfo=UTC)  # 17:00 Berlin, end of the business day
    fired, _ = chase(item, timedelta(days=30))
    hours = [(round(s / 3600, 2), key, targets) for s, key, targets in fired]
    assert hours == [
        (279.0, "item:2026-03-16:remind:3d", ("bob",)),  # 3 days before 16:00 UTC on the 16th (351 h)
        (327.0, "item:2026-03-16:remind:24h", ("bob",)),
        (343.0, "item:2026-03-16:due-today", ("bob",)),  # 09:00 Berlin on the due date
        (351.0, "item:2026-03-16:overdue:1", ("dana",)),  # bob's manager, then weekly
        (519.0, "item:2026-03-16:overdue:2", ("dana",)),
        (687.0, "item:2026-03-16:overdue:3", ("dana",)),
    ]


def test_R_PIR_23_a_past_due_date_escalates_at_once_and_done_stops_the_chase():
    item = AddItem(actor="bob", incident_id="INC-REV01", title="Fix it", owner="carol",
                   due=date(2026, 2, 20)).start(1, POLICY, T0)
    fired, item = chase(item, timedelta(hours=1))
    # 9 days overdue when added: the second weekly escalation period, sent at once (not a backlog of two)
    assert fired == [(0.0, "item:2026-02-20:overdue:2", ("dana",))]
    item = CompleteItem(actor="carol").apply(item, POLICY, T0 + timedelta(hours=2))
    assert decide_item(item, POLICY, T0 + timedelta(days=60)).actions == ()
    assert item.history[-1].text.startswith("done ") and "late" in item.history[-1].text


def test_report_figures_for_incidents_whose_numbers_are_known():
    incidents = []
    for n, (ack_min, mitigate_min, resolve_min, review_h) in enumerate(
        [(2, 20, 60, 24), (4, 30, 90, 50), (6, 40, 120, None), (10, 50, 150, 10)]
    ):
        start = T0 + timedelta(days=n)
        state = Declare(actor="erin", title=f"incident {n}", service="payments",
                        severity="SEV2").start(f"INC-RPT0{n}", start, POLICY)
        [(_, on_call), *_] = POLICY.team("payments").chain(start)  # who the page woke: they answer (R-F15-7)
        state = execute(Ack(actor=on_call), state, POLICY, start + timedelta(minutes=ack_min))
        state = execute(AssignRole(actor=on_call, role="ic", handle=on_call), state, POLICY,
                        start + timedelta(minutes=ack_min))
        state = execute(SetStatus(actor=on_call, status="mitigating"), state, POLICY,
                        start + timedelta(minutes=mitigate_min))
        state = execute(Resolve(actor=on_call), state, POLICY, start + timedelta(minutes=resolve_min))
        if review_h is not None:
            state = execute(SubmitReview(actor=on_call, document=COMPLETE.format(line="x")), state, POLICY,
                            state.resolved_at + timedelta(hours=review_h))
        incidents.append(state)
    sev1 = Declare(actor="erin", title="outage", service="payments", severity="SEV1").start("INC-RPT09", T0, POLICY)
    incidents.append(sev1)
    now = T0 + timedelta(days=10)
    items = [
        AddItem(actor="bob", incident_id="INC-RPT00", title="a", owner="bob",
                due=date(2026, 3, 20)).start(1, POLICY, T0),
        AddItem(actor="bob", incident_id="INC-RPT00", title="b", owner="carol",
                due=date(2026, 3, 5)).start(2, POLICY, T0),
        AddItem(actor="bob", incident_id="INC-RPT00", title="c", owner="judy",
                due=date(2026, 3, 5)).start(3, POLICY, T0),
    ]
    items[0] = CompleteItem(actor="bob").apply(items[0], POLICY, T0 + timedelta(days=3))  # on time
    items[1] = CompleteItem(actor="carol").apply(items[1], POLICY, T0 + timedelta(days=6))  # late
    report = build([IncidentFacts.of(i) for i in incidents], [ItemFacts.of(t) for t in items], POLICY,
                   T0 - timedelta(days=1), now)
    assert report.incidents == 5 and report.by_severity == {"SEV1": 1, "SEV2": 4, "SEV3": 0, "SEV4": 0}
    assert (report.mtta.median_s, report.mtta.p90_s, report.mtta.count) == (5 * 60, 10 * 60, 4)  # SEV1 never acked
    assert (report.mttr.median_s, report.mttr.p90_s, report.mttr.count) == (105 * 60, 150 * 60, 4)
    assert (report.reviews_due, report.reviews_in_window, report.reviews_in_window_pct) == (4, 2, 50.0)
    assert (
        report.items_total, report.items_completed, report.items_completed_on_time, report.items_open
    ) == (3, 2, 1, 1)
    assert [(o.id, o.owner) for o in report.items_overdue] == [("INC-RPT00-A3", "judy")]
    assert [(t.team, t.completed, t.total, t.rate) for t in report.completion_by_team] == [
        ("(no team)", 0, 1, 0.0), ("payments", 2, 2, 100.0),
    ]


def test_percentiles_are_nearest_rank():
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert median([4, 1, 3]) == 3 and median([4, 1, 3, 2]) == 2.5
    assert percentile([], 0.9) is None
