"""On-call schedules (warroom.schedule) at real durations, on fixed instants (never today's date):
a weekly hand-over keeps its local time across the DST changes of Europe/Berlin and
America/New_York, the old fixed-period form reads as it always did, layers hold the shift at
their hours, overrides and a swap change who is on call, and the brain pages whoever the
schedule says at the page's time. Then the override command's checks, and the iCalendar feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from pydantic import ValidationError

from warroom import feeds, oncall
from warroom.commands import Declare, Refused
from warroom.overrides import RecordOverride
from warroom.policy import Policy, PolicyError, load_policy
from warroom.roster import Team
from warroom.schedule import Override, Rotation
from warroom.simulate import simulate

ROOT = Path(__file__).resolve().parents[2]
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
SHIPPED = load_policy(ROOT / "runbooks")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def weekly(**fields: object) -> Rotation:
    """alice, bob, carol from Monday 2026-01-05 09:00 Berlin time, weekly (as runbooks/oncall.yaml)."""
    return Rotation.model_validate({"timezone": "Europe/Berlin", "handoff": "2026-01-05T09:00", "every": "7d",
                                    "members": ["alice", "bob", "carol"], **fields})


def with_team(policy: Policy, team: Team, name: str = "payments") -> Policy:
    return policy.model_copy(update={"roster": policy.roster.model_copy(
        update={"teams": {**policy.roster.teams, name: team}})})


# --- a weekly hand-over across DST -------------------------------------------------------------

def test_the_weekly_handoff_stays_at_0900_berlin_across_the_march_change() -> None:
    rotation = weekly()
    before, across = rotation.handoff_at(11), rotation.handoff_at(12)  # Mon 03-23 and Mon 03-30
    assert before.astimezone(BERLIN).strftime("%a %Y-%m-%d %H:%M %Z") == "Mon 2026-03-23 09:00 CET"
    assert across.astimezone(BERLIN).strftime("%a %Y-%m-%d %H:%M %Z") == "Mon 2026-03-30 09:00 CEST"
    assert across - before == 167 * HOUR  # the week with the change is an hour short
    assert rotation.primary(berlin(2026, 3, 30, 8, 59)) == "carol"  # shift 11: 11 % 3
    assert rotation.primary(berlin(2026, 3, 30, 9, 0)) == "alice"
    assert rotation.secondary(berlin(2026, 3, 30, 9, 0)) == "bob"


def test_the_weekly_handoff_stays_at_0900_berlin_across_the_october_change() -> None:
    rotation = weekly()
    shift = rotation.shift(berlin(2026, 10, 26, 9, 0))
    before, across = rotation.handoff_at(shift - 1), rotation.handoff_at(shift)
    assert across.astimezone(BERLIN).strftime("%a %Y-%m-%d %H:%M %Z") == "Mon 2026-10-26 09:00 CET"
    assert across - before == 169 * HOUR
    assert rotation.shift(berlin(2026, 10, 26, 8, 59)) == shift - 1


def test_the_old_form_without_a_timezone_repeats_every_168_hours_as_it_always_did() -> None:
    """An incident already running replays under the rotation it snapshotted: its meaning stays."""
    legacy = Rotation.model_validate({"handoff": "2026-01-05T09:00:00+01:00", "every": "7d",
                                      "members": ["alice", "bob", "carol"]})  # as the file gives it
    assert legacy.handoff_at(12).astimezone(BERLIN).strftime("%H:%M %Z") == "10:00 CEST"
    assert legacy.primary(berlin(2026, 3, 30, 9, 30)) == "carol"  # still last week's until 10:00
    assert weekly(handoff="2026-01-05T09:00:00+01:00").primary(berlin(2026, 3, 30, 9, 30)) == "alice"


def test_a_daily_new_york_rotation_keeps_its_local_time_and_a_skipped_time_comes_an_hour_later() -> None:
    daily = Rotation.model_validate({"timezone": "America/New_York", "handoff": "2026-03-01T08:00", "every": "1d",
                                     "members": ["carol", "grace"]})
    days = [daily.handoff_at(n) for n in (6, 7, 8)]  # Sat 03-07, Sun 03-08 (the change, 02:00), Mon 03-09
    assert [d.astimezone(NEW_YORK).strftime("%H:%M %Z") for d in days] == ["08:00 EST", "08:00 EDT", "08:00 EDT"]
    assert days[1] - days[0] == 23 * HOUR and days[2] - days[1] == 24 * HOUR
    autumn = Rotation.model_validate({"timezone": "America/New_York", "handoff": "2026-10-31T08:00", "every": "1d",
                                      "members": ["carol", "grace"]})
    assert autumn.handoff_at(1) - autumn.handoff_at(0) == 25 * HOUR  # Sun 11-01
    skipped = Rotation.model_validate({"timezone": "America/New_York", "handoff": "2026-03-01T02:30", "every": "7d",
                                       "members": ["carol", "grace"]})
    assert skipped.handoff_at(1).astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M %Z") == "2026-03-08 03:30 EDT"


def test_oncall_now_and_next_answer_the_shift_across_the_dst_weekend() -> None:
    roster = SHIPPED.roster  # runbooks/oncall.yaml: Monday 09:00 Berlin time
    [now] = oncall.now(roster, ["payments"], berlin(2026, 3, 28, 12, 0))  # Saturday, the change that night
    assert (now.primary, now.secondary, now.manager) == ("carol", "alice", "dana")
    assert now.since == berlin(2026, 3, 23, 9, 0) and now.until == berlin(2026, 3, 30, 9, 0)
    assert now.until - now.since == 167 * HOUR
    [following] = oncall.following(roster, ["payments"], berlin(2026, 3, 28, 12, 0))
    assert (following.primary, following.secondary) == ("alice", "bob")
    assert following.since == berlin(2026, 3, 30, 9, 0) and following.until == berlin(2026, 4, 6, 9, 0)


# --- layers ----------------------------------------------------------------------------------

def test_a_weekend_layer_holds_saturday_and_sunday_and_the_base_the_rest() -> None:
    weekend = weekly(name="weekend", handoff="2026-01-10T00:00", members=["dana"], active={"days": ["sat", "sun"]})
    team = Team(rotation=weekly(), layers=(weekend,), manager="erin")
    friday, saturday, monday = berlin(2026, 3, 27, 23, 59), berlin(2026, 3, 28, 0, 0), berlin(2026, 3, 30, 0, 0)
    assert team.primary(friday) == "carol"
    assert (team.primary(saturday), team.secondary(saturday)) == ("dana", "carol")  # lent by the base below
    assert team.duty(saturday).layer == "weekend"
    assert team.primary(monday) == "carol" and team.duty(monday).layer is None
    shift = team.shift_at(berlin(2026, 3, 29, 12, 0))  # Sunday: the change is that night, no edge
    assert (shift.start, shift.end) == (saturday, monday)
    assert shift.end - shift.start == 47 * HOUR


def test_a_night_layer_crosses_midnight_in_its_own_zone() -> None:
    nights = Rotation.model_validate({"name": "nights", "timezone": "America/New_York", "handoff": "2026-03-02T18:00",
                                      "every": "7d", "members": ["grace", "carol"], "active": {"hours": "18:00-06:00"}})
    team = Team(rotation=weekly(), layers=(nights,))
    evening = datetime(2026, 3, 3, 18, 0, tzinfo=NEW_YORK)
    assert team.primary(evening - timedelta(minutes=1)) == "carol"
    assert (team.primary(evening), team.secondary(evening)) == ("grace", "carol")
    assert team.primary(datetime(2026, 3, 4, 5, 59, tzinfo=NEW_YORK)) == "grace"
    assert team.primary(datetime(2026, 3, 4, 6, 0, tzinfo=NEW_YORK)) == "carol"
    assert team.shift_at(evening).end == datetime(2026, 3, 4, 6, 0, tzinfo=NEW_YORK)


def test_bad_schedules_are_refused_naming_what_is_wrong() -> None:
    cases = {
        "no UTC offset": {"handoff": "2026-01-05T09:00", "members": ["a"]},
        "not an IANA time zone": {"handoff": "2026-01-05T09:00", "timezone": "Mars/Olympus", "members": ["a"]},
        "whole days": {"handoff": "2026-01-05T09:00", "timezone": "UTC", "every": "12h", "members": ["a"]},
        "need the rotation's timezone": {"handoff": "2026-01-05T09:00:00+01:00", "members": ["a"],
                                         "active": {"days": ["sat"]}},
        "is not hours": {"handoff": "2026-01-05T09:00", "timezone": "UTC", "members": ["a"],
                         "active": {"hours": "9 to 5"}},
    }
    for said, fields in cases.items():
        with pytest.raises(ValidationError, match=said):
            Rotation.model_validate(fields)
    with pytest.raises(ValidationError, match="base rotation is always on"):
        Team(rotation=weekly(active={"days": ["sat"]}))


def test_policy_check_names_an_unknown_handle_in_a_layer_or_an_override(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "runbooks", tmp_path / "runbooks")
    file = tmp_path / "runbooks" / "oncall.yaml"
    text = file.read_text().replace("    escalation: [primary, secondary, manager]\n", (
        "    layers: [{timezone: UTC, handoff: 2026-01-03T00:00, members: [zoe], active: {days: [sat]}}]\n"
        "    overrides: [{start: 2026-02-02T09:00:00+01:00, end: 2026-02-03T09:00:00+01:00, by: yuri}]\n"
        "    escalation: [primary, secondary, manager]\n"), 1)
    file.write_text(text)
    with pytest.raises(PolicyError) as raised:
        load_policy(tmp_path / "runbooks")
    said = "\n".join(raised.value.problems)
    assert "teams.payments.layers[0].members[0]: unknown handle 'zoe'" in said
    assert "teams.payments.overrides[0].by: unknown handle 'yuri'" in said


# --- overrides -------------------------------------------------------------------------------

def test_an_override_takes_the_primary_for_its_hours_and_the_shift_is_cut_at_its_edges() -> None:
    start, end = berlin(2026, 3, 24, 18, 0), berlin(2026, 3, 25, 8, 0)  # carol's week; bob takes a night
    team = Team(rotation=weekly(), manager="dana", overrides=(Override(start=start, end=end, by="bob"),))
    assert team.chain(start - timedelta(seconds=1)) == [("primary", "carol"), ("secondary", "alice"),
                                                        ("manager", "dana")]
    assert team.chain(start) == [("primary", "bob"), ("secondary", "alice"), ("manager", "dana")]
    assert team.primary(end) == "carol"
    shift = team.shift_at(start + HOUR)
    assert (shift.start, shift.end, shift.duty.overrides[0].by) == (start, end, "bob")
    assert team.shift_at(end).end == berlin(2026, 3, 30, 9, 0)


def test_a_swap_of_two_weeks_is_two_overrides_and_each_week_answers_the_other() -> None:
    """carol's week (from 03-23) and alice's (from 03-30, across the DST change) traded."""
    rotation = weekly()
    carols, alices = (rotation.handoff_at(11), rotation.handoff_at(12)), (rotation.handoff_at(12),
                                                                          rotation.handoff_at(13))
    team = Team(rotation=rotation, overrides=(
        Override(start=carols[0], end=carols[1], by="alice", replaces="carol", reason="swap"),
        Override(start=alices[0], end=alices[1], by="carol", replaces="alice", reason="swap"),
    ))
    roster = with_team(SHIPPED, team).roster
    [during_carols] = oncall.now(roster, ["payments"], berlin(2026, 3, 28, 12, 0))
    assert (during_carols.primary, during_carols.secondary) == ("alice", "bob")
    assert [o.by for o in during_carols.overrides] == ["alice"]
    [after_dst] = oncall.now(roster, ["payments"], berlin(2026, 3, 31, 12, 0))
    assert (after_dst.primary, after_dst.secondary) == ("carol", "bob")
    assert after_dst.since == berlin(2026, 3, 30, 9, 0)  # 09:00 CEST: the override's edge, the hand-over's
    assert team.primary(berlin(2026, 4, 6, 9, 0)) == "bob"  # the swap over, the rotation goes on


def test_replacing_the_secondary_and_a_secondary_taking_the_primary() -> None:
    at = berlin(2026, 3, 25, 12, 0)  # carol primary, alice secondary
    covers = Override(start=at - HOUR, end=at + HOUR, by="bob", replaces="alice")
    assert Team(rotation=weekly(), overrides=(covers,)).chain(at)[:2] == [("primary", "carol"), ("secondary", "bob")]
    moves_up = Override(start=at - HOUR, end=at + HOUR, by="alice")  # carol is off: not made secondary
    team = Team(rotation=weekly(), manager="dana", overrides=(moves_up,))
    assert team.chain(at) == [("primary", "alice"), ("secondary", "bob"), ("manager", "dana")]
    two = Team(rotation=weekly(members=["alice", "carol"]), manager="dana", overrides=(moves_up,))
    assert two.chain(at) == [("primary", "alice"), ("manager", "dana")]  # nobody left to be secondary


def test_the_brain_pages_whoever_the_schedule_says_at_the_pages_time_overrides_included() -> None:
    """A SEV3 on Friday evening before the DST weekend waits for Monday 09:00 CEST: the rotation
    has handed over to alice then, and an override for that morning gives the page to bob."""
    friday = berlin(2026, 3, 27, 18, 0)
    declare = Declare(actor="system:alert", title="Refunds slow", service="payments", severity="SEV3")
    fired, _ = simulate(SHIPPED, declare, friday, timedelta(hours=72))
    [page] = [f for f in fired if f.key == "page:SEV3"]
    assert page.targets == ("alice",)  # not Friday's carol: the hand-over is at 09:00 local
    monday = berlin(2026, 3, 30, 9, 0)
    swapped = with_team(SHIPPED, SHIPPED.roster.teams["payments"].with_overrides(
        (Override(start=monday, end=monday + 4 * HOUR, by="bob", actor="alice"),)))
    fired, _ = simulate(swapped, declare, friday, timedelta(hours=72))
    [page] = [f for f in fired if f.key == "page:SEV3"]
    assert page.targets == ("bob",)
    assert friday.astimezone(UTC) + timedelta(seconds=page.at_seconds) == monday


# --- the override command's checks -------------------------------------------------------------

NOW = berlin(2026, 3, 25, 12, 0)


def command(**fields: object) -> RecordOverride:
    return RecordOverride.model_validate({"actor": "carol", "team": "payments", "end": NOW + 2 * HOUR,
                                          "by": "bob", **fields})


@pytest.mark.parametrize(("fields", "field", "said"), [
    ({"team": "billing"}, "team", "'billing' is not a team"),
    ({"by": "zoe"}, "by", "'zoe' is not on the roster"),
    ({"by": "mia"}, "by", "'mia' is not in payments"),
    ({"replaces": "bob"}, "replaces", "cannot replace themselves"),
    ({"start": NOW + 3 * HOUR}, "end", "is not after the start"),
    ({"start": NOW - 3 * HOUR, "end": NOW - HOUR}, "end", "is past"),
    ({"end": NOW + timedelta(days=91)}, "end", "more than 90 days ahead"),
])
def test_a_bad_override_names_the_field(fields: dict, field: str, said: str) -> None:
    problems = command(**fields).problems(SHIPPED, NOW)
    assert [f for f, _ in problems] == [field] and said in problems[0][1], problems


def test_the_team_and_leadership_record_overrides_and_others_are_refused_naming_who_may() -> None:
    for actor in ("carol", "alice", "dana", "erin"):  # members, the manager, leadership
        command(actor=actor).authorize(SHIPPED, NOW)
    with pytest.raises(Refused) as refused:
        command(actor="kim").authorize(SHIPPED, NOW)
    assert str(refused.value) == ("only the team (alice, bob, carol, dana) or leadership (erin) records on-call "
                                  "overrides for payments (R-F15-7)")
    assert command().override(NOW).model_dump(include={"start", "by", "actor", "recorded_at"}) == {
        "start": NOW, "by": "bob", "actor": "carol", "recorded_at": NOW}


# --- the iCalendar feeds ---------------------------------------------------------------------

def test_the_feeds_hold_each_shift_and_an_override_as_its_own_event() -> None:
    start, end = berlin(2026, 3, 24, 18, 0), berlin(2026, 3, 25, 8, 0)
    team = SHIPPED.roster.teams["payments"].with_overrides(
        (Override(start=start, end=end, by="bob", reason="carol at the dentist", actor="carol"),))
    roster = with_team(SHIPPED, team).roster
    parsed = icalendar.Calendar.from_ical(feeds.team_feed(roster, "payments", berlin(2026, 3, 24, 12, 0), weeks=2))
    events = [(str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend")) for e in parsed.walk("VEVENT")]
    primaries = [e for e in events if " primary: " in e[0]]
    assert primaries == [
        ("payments primary: carol", berlin(2026, 3, 23, 9, 0), start),
        ("Override: payments primary: bob", start, end),
        ("payments primary: carol", end, berlin(2026, 3, 30, 9, 0)),
        ("payments primary: alice", berlin(2026, 3, 30, 9, 0), berlin(2026, 4, 6, 9, 0)),
        ("payments primary: bob", berlin(2026, 4, 6, 9, 0), berlin(2026, 4, 13, 9, 0)),
    ]
    assert ("payments secondary: alice", berlin(2026, 3, 23, 9, 0), berlin(2026, 3, 30, 9, 0)) in events
    [override] = [e for e in parsed.walk("VEVENT") if str(e["summary"]).startswith("Override")]
    description = str(override["description"])
    assert "carol at the dentist" in description and "recorded by carol" in description
    mine = icalendar.Calendar.from_ical(feeds.person_feed(roster, "bob", berlin(2026, 3, 24, 12, 0), weeks=2))
    assert [(str(e["summary"]), e.decoded("dtstart")) for e in mine.walk("VEVENT")] == [
        ("Override: on call: payments primary", start),
        ("on call: payments primary", berlin(2026, 4, 6, 9, 0)),
        ("on call: payments secondary", berlin(2026, 3, 30, 9, 0)),
    ]
    assert len({str(e["uid"]) for e in parsed.walk("VEVENT")}) == len(events)


def test_a_feed_token_is_the_persons_own() -> None:
    key, other = feeds.FeedKey("a server secret"), feeds.FeedKey("another secret")
    token = key.token("bob")
    assert key.holder(token, SHIPPED.roster) == "bob"
    assert other.holder(token, SHIPPED.roster) is None
    forged = "alice." + token.partition(".")[2]
    assert key.holder(forged, SHIPPED.roster) is None and key.holder("zoe." + "x" * 43, SHIPPED.roster) is None
