"""Who is on call, as `warroom oncall now|next` and `GET /v1/oncall/now|next` answer it: per team,
the shift holding now (primary, secondary, manager, since and until when, the overrides behind
it) or the next hand-over. Pure: the schedule (warroom.schedule) with the overrides recorded."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from warroom.roster import Roster
from warroom.schedule import Override, Shift


class OnCall(BaseModel):
    """A team's shift: who holds it, from when until when."""

    model_config = ConfigDict(frozen=True)
    team: str
    primary: str
    secondary: str | None
    manager: str | None
    layer: str | None  # the layer holding the shift; none: the base rotation
    since: AwareDatetime
    until: AwareDatetime
    overrides: tuple[Override, ...]  # the overrides that put someone on this shift

    @classmethod
    def of(cls, team: str, shift: Shift, manager: str | None) -> OnCall:
        duty = shift.duty
        return cls(team=team, primary=duty.primary, secondary=duty.secondary, manager=manager, layer=duty.layer,
                   since=shift.start, until=shift.end, overrides=duty.overrides)


def now(roster: Roster, teams: list[str], at: datetime) -> list[OnCall]:
    """Each team's shift holding at `at`."""
    return [OnCall.of(name, roster.teams[name].shift_at(at), roster.teams[name].manager) for name in teams]


def following(roster: Roster, teams: list[str], at: datetime) -> list[OnCall]:
    """Each team's next shift: the one that begins when the shift holding at `at` ends."""
    found = []
    for name in teams:
        team = roster.teams[name]
        found.append(OnCall.of(name, team.shift_at(team.shift_at(at).end), team.manager))
    return found
