"""The suite on any date: `--calendar NAME` runs it with the clock moved (time-machine, ticking).

    week-1, week-2, week-3   a Tuesday 10:30 (business hours) in each of the next three rotation
                             shifts of the shipped payments rotation: each member primary in turn
    weekend-night            the coming Saturday 03:00 in the business-hours zone
    real                     the clock as it is (the default)

Only the test process's clock moves. The Temporal dev server's cannot (it is a Go binary that
reads the kernel's clock), so tests that run workflows are marked `temporal` and make themselves
calendar-proof instead: their policies pin the rotation and say what they expect of business
hours (tests/workflow/harness.py), and the end-to-end tests read who was on call at the incident's
own detection time. `make test` runs the whole suite on the real clock, then the rest, the pure
tests, once per calendar above (`pytest -m "not temporal" --calendar week-2`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

CALENDARS = ("real", "week-1", "week-2", "week-3", "weekend-night")
TEMPORAL_FIXTURES = {"temporal_env", "make_harness"}
ORIGIN = pytest.StashKey[datetime]()  # the real clock when the session began
TARGET = pytest.StashKey["datetime | None"]()  # where the calendar moves it


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--calendar", default="real", choices=CALENDARS, help="move the test clock (tests/calendar.py)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "temporal: runs workflows on the real Temporal dev server (its clock is real)")
    config.stash[ORIGIN] = datetime.now(ZoneInfo("UTC"))
    config.stash[TARGET] = instant(config.getoption("--calendar"), config.stash[ORIGIN])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if TEMPORAL_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.temporal)


def instant(name: str, now: datetime) -> datetime | None:
    """The moment a calendar stands for, computed from the shipped rotation and business hours."""
    if name == "real":
        return None
    from warroom.policy import load_policy

    policy = load_policy(Path(__file__).resolve().parents[1] / "runbooks")
    zone = ZoneInfo(policy.rules.business_hours.timezone)
    if name == "weekend-night":
        local = now.astimezone(zone)
        saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7 or 7)
        return datetime(saturday.year, saturday.month, saturday.day, 3, 0, tzinfo=zone)
    rotation = policy.team("payments").rotation
    shift = rotation.shift(now) + int(name.removeprefix("week-"))
    begins = rotation.handoff_at(shift).astimezone(zone)
    tuesday = begins.date() + timedelta(days=(1 - begins.weekday()) % 7)
    return datetime(tuesday.year, tuesday.month, tuesday.day, 10, 30, tzinfo=zone)


@pytest.fixture(autouse=True)
def _moved_clock(request: pytest.FixtureRequest):
    target = request.config.stash[TARGET]
    if target is None or request.node.get_closest_marker("temporal"):
        yield
        return
    import time_machine

    with time_machine.travel(target, tick=True):
        yield
