"""The calendar plugin (tests/calendar.py) really moves the clock: under `--calendar week-N` the
shipped rotation's primary is the one of that week, under `weekend-night` business hours are
closed; under `real` the clock is the kernel's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.calendar import ORIGIN, TARGET
from warroom.policy import load_policy

POLICY = load_policy(Path(__file__).resolve().parents[2] / "runbooks")


def test_the_test_clock_is_the_calendar_asked_for(request) -> None:
    name = request.config.getoption("--calendar")
    now, kernel, target = datetime.now(UTC), request.config.stash[ORIGIN], request.config.stash[TARGET]
    if target is None:
        assert name == "real" and 0 <= (now - kernel).total_seconds() < 3600  # the session's own clock
        return
    assert abs((now - target).total_seconds()) < 120  # travelled there, and ticking since
    hours = POLICY.rules.business_hours
    if name == "weekend-night":
        assert hours.next_open(now) > now  # closed: a SEV3 would wait for Monday
    else:
        rotation = POLICY.team("payments").rotation
        weeks = int(name.removeprefix("week-"))
        assert rotation.shift(now) == rotation.shift(kernel) + weeks
        assert hours.next_open(now) == now  # a Tuesday morning: open
