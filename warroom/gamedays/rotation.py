"""Who leads the next game day (R-GAME-25: everyone in the rotation serves as IC over time).

Least recently served first (never served comes first, then roster order); the people on call
at the exercise (primary and secondary: they are handling real pages) and those away that day are
skipped, unless that leaves nobody. The comms lead is chosen the same way among the others, by
when each last served as comms lead. Pure: the history comes from past exercises (the door
reads it from Temporal visibility) and the exercise's own start time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import AwareDatetime

from warroom.model import Model
from warroom.roster import Roster, Team


class Served(Model):
    """One past exercise's roles."""

    exercise: str
    at: AwareDatetime
    team: str
    scenario: str
    ic: str
    comms: str


class Roles(Model):
    ic: str
    comms: str


class Due(Model):
    """A row of `warroom gameday roster`: when each member last served, and their turn."""

    handle: str
    last_ic: AwareDatetime | None
    last_comms: AwareDatetime | None
    times_ic: int
    turn: int  # 1: next to serve as IC
    skipped: str = ""  # why they would be passed over at `at`: on call, away


def _last(served: Sequence[Served], role: str) -> dict[str, datetime]:
    last: dict[str, datetime] = {}
    for s in sorted(served, key=lambda s: s.at):
        last[getattr(s, role)] = s.at
    return last


def _why_not(handle: str, team: Team, roster: Roster, at: datetime) -> str:
    if handle in (team.primary(at), team.secondary(at)):
        return "on call"
    person = next((p for p in roster.people if p.handle == handle), None)
    return "away" if person is not None and person.away_on(at.date()) else ""


def order(members: Sequence[str], served: Sequence[Served], role: str) -> list[str]:
    last = _last(served, role)
    return sorted(members, key=lambda h: (h in last, last.get(h), members.index(h)))


def choose(team: Team, roster: Roster, served: Sequence[Served], at: datetime) -> Roles:
    members = list(team.members)
    free = [m for m in members if not _why_not(m, team, roster, at)] or members
    ic = order(free, served, "ic")[0]
    others = [m for m in free if m != ic] or [m for m in members if m != ic] or [ic]
    return Roles(ic=ic, comms=order(others, served, "comms")[0])


def roster(team: Team, people: Roster, served: Sequence[Served], at: datetime) -> list[Due]:
    members = list(team.members)
    ic, comms = _last(served, "ic"), _last(served, "comms")
    turns = {h: n for n, h in enumerate(order(members, served, "ic"), start=1)}
    return [Due(handle=h, last_ic=ic.get(h), last_comms=comms.get(h), times_ic=sum(s.ic == h for s in served),
                turn=turns[h], skipped=_why_not(h, team, people, at)) for h in members]
