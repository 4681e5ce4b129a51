"""Game days, the pure parts (R-GAME-24, R-GAME-25): scenario files refused with file:line, who
leads the next exercise, and the policy compressed by the exercise's speed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.test_brain_rules import RUNBOOKS
from warroom.gamedays.rotation import Served, choose, roster
from warroom.gamedays.scenario import ScenarioError, load_scenarios
from warroom.policy import load_policy
from warroom.roster import Away

POLICY = load_policy(RUNBOOKS)
AT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # alice primary, bob secondary that week (shipped rotation)


def problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "broken.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(tmp_path, set(POLICY.runbooks))
    return caught.value.problems


def test_R_GAME_24_a_scenario_file_is_refused_naming_the_file_line_and_field(tmp_path: Path) -> None:
    found = problems(tmp_path, "title: x\nservice: payments\nstart:\n  declare: {severity: SEV2, title: x}\n"
                               "injects:\n  - {at: 5m, note: hi, flag: data-loss, provokes: y}\n")
    [problem] = found
    assert problem.startswith(f"{tmp_path}/broken.yaml:6: injects[0]") and "give exactly one of note" in problem


def test_R_GAME_24_an_alert_in_a_scenario_is_checked_by_the_gateways_own_parser(tmp_path: Path) -> None:
    [found] = problems(tmp_path, "title: x\nservice: payments\nstart:\n  alert:\n    format: generic\n"
                                 "    body: {status: firing, summary: no key}\n")
    assert found.endswith("broken.yaml:5: start.alert.dedup_key: Field required")


def test_R_GAME_24_unknown_services_and_injects_after_the_limit_are_refused(tmp_path: Path) -> None:
    [found] = problems(tmp_path, "title: x\nservice: billing\nstart:\n  declare: {severity: SEV2, title: x}\n")
    assert found.endswith("service: 'billing' has no runbook (identity, payments)") and ":2:" in found
    [late] = problems(tmp_path, "title: x\nservice: payments\nlimit: 10m\nstart:\n  declare: {severity: SEV2, "
                                "title: x}\ninjects:\n  - {at: 20m, note: late, provokes: y}\n")
    assert "fall after the limit" in late


def served(ic: str, comms: str, days_ago: int) -> Served:
    return Served(exercise=f"gameday-payments-{ic}", at=AT - timedelta(days=days_ago), team="payments",
                  scenario="escalation", ic=ic, comms=comms)


def six():
    team = POLICY.roster.teams["payments"]
    rotation = team.rotation.model_copy(update={"members": ("alice", "bob", "carol", "judy", "heidi", "ivan")})
    return team.model_copy(update={"rotation": rotation})


def test_R_GAME_25_never_served_first_then_least_recently_and_never_who_is_on_call() -> None:
    team = six()
    on_call = {team.rotation.primary(AT), team.rotation.secondary(AT)}
    first = choose(team, POLICY.roster, [], AT)
    assert first.ic not in on_call and first.comms not in on_call | {first.ic}
    history = [served(h, "x", days_ago=90 - i) for i, h in enumerate(m for m in team.rotation.members
                                                                        if m not in on_call)]
    oldest = history[0].ic
    assert choose(team, POLICY.roster, history, AT).ic == oldest  # everyone served: the longest ago goes


def test_R_GAME_25_someone_away_that_day_is_skipped_and_the_roster_says_why() -> None:
    team = six()
    free = [m for m in team.rotation.members if m not in {team.rotation.primary(AT), team.rotation.secondary(AT)}]
    away = free[0]
    people = tuple(p.model_copy(update={"away": (Away(start=date(2026, 3, 1), end=date(2026, 3, 8)),)})
                   if p.handle == away else p for p in POLICY.roster.people)
    roster_away = POLICY.roster.model_copy(update={"people": people})
    assert choose(team, roster_away, [], AT).ic == free[1]
    rows = {r.handle: r for r in roster(team, roster_away, [], AT)}
    assert rows[away].skipped == "away" and rows[team.rotation.primary(AT)].skipped == "on call"


def test_R_GAME_24_speed_divides_every_duration_of_the_policy() -> None:
    fast = POLICY.scaled(1 / 4)
    assert fast.rules.first_15_minutes.acknowledge.within == POLICY.rules.first_15_minutes.acknowledge.within / 4
    assert fast.rules.review.within == timedelta(hours=12)
