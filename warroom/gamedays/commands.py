"""The game-day commands people give (`warroom gameday run|schedule`) and who may give them:
the `gameday` permission of policy.yaml (R-GAME-24; by default the team's on-call chain and
leadership). There is no incident yet, so only the roster groups apply; incident roles never do."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from warroom.commands.authority import for_team
from warroom.model import Model
from warroom.policy import Policy


class RunGameDay(Model):
    actor: str
    scenario: str = Field(min_length=1, max_length=64)
    speed: int = Field(1, ge=1, le=60)
    team: str | None = None  # default: the team of the scenario's service


class ScheduleGameDays(Model):
    actor: str
    team: str = Field(min_length=1, max_length=64)


def may_run(actor: str, team: str, policy: Policy, now: datetime) -> None:
    """Refused unless `actor` is one of those the `gameday` permission names for `team`."""
    for_team("gameday", actor, team, policy, now)
