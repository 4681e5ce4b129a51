"""The on-call calendar feeds (iCalendar, RFC 5545, written by the `icalendar` package): a team's
shifts or a person's, from the shift holding now for the next weeks, an override's stretch as an
event of its own that says whose place it takes and why.

A calendar app cannot send a bearer token, so each feed URL carries a per-person token
(`?token=…`): an HMAC of the handle under a key derived from the gateway's secret. Nothing is
stored; a person's token reads their own feed and every team's; rotating the secret
(warroom.yaml `api.session_secret`, else `session.key` in the data dir) revokes them all."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event

from warroom.roster import Roster
from warroom.schedule import Override, Shift

WEEKS, MOST_WEEKS = 8, 26
Position = Literal["primary", "secondary"]


class FeedKey:
    """Derives and checks the feeds' per-person tokens."""

    def __init__(self, secret: str):
        self._key = hmac.new(secret.encode(), b"warroom calendar feeds", hashlib.sha256).digest()

    def token(self, handle: str) -> str:
        mac = hmac.new(self._key, handle.encode(), hashlib.sha256).digest()
        return f"{handle}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def holder(self, token: str, roster: Roster) -> str | None:
        """Whose token this is, if it is a real one of a roster person's."""
        handle = token.rpartition(".")[0]
        if roster.person(handle) is None or not hmac.compare_digest(self.token(handle).encode(), token.encode()):
            return None
        return handle


def team_path(team: str) -> str:
    return f"/v1/calendar/team/{team}.ics"


def person_path(handle: str) -> str:
    return f"/v1/calendar/person/{handle}.ics"


@dataclass(frozen=True)
class _Stretch:
    """One person on one position of one team's schedule, as one event."""

    team: str
    position: Position
    holder: str
    start: datetime
    end: datetime
    override: Override | None


def _stretches(team: str, shifts: list[Shift]) -> list[_Stretch]:
    """The shifts as who holds each position when, adjacent stretches of the same person and the
    same override joined (a change of the secondary does not cut the primary's event)."""
    found: list[_Stretch] = []
    for position in ("primary", "secondary"):
        for shift in shifts:
            holder = getattr(shift.duty, position)
            if holder is None:
                continue
            override = next((o for o in reversed(shift.duty.overrides) if o.by == holder), None)
            last = found[-1] if found else None
            if last and (last.position, last.holder, last.override, last.end) == (position, holder, override,
                                                                                  shift.start):
                found[-1] = _Stretch(team, position, holder, last.start, shift.end, override)
            else:
                found.append(_Stretch(team, position, holder, shift.start, shift.end, override))
    return found


def _event(stretch: _Stretch, summary: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"{stretch.team}-{stretch.position}-{stretch.holder}-{stretch.start:%Y%m%dT%H%M%SZ}@warroom")
    event.add("dtstamp", now)
    event.add("dtstart", stretch.start)
    event.add("dtend", stretch.end)
    override = stretch.override
    event.add("summary", ("Override: " if override else "") + summary)
    lines = [f"{stretch.team} {stretch.position}: {stretch.holder}"]
    if override is not None:
        lines.append(f"override: {override.line}")
        if override.actor:
            lines.append(f"recorded by {override.actor}"
                         + (f" at {override.recorded_at:%Y-%m-%d %H:%M %Z}" if override.recorded_at else ""))
    event.add("description", "\n".join(lines))
    event.add("categories", ["on-call", stretch.position] + (["override"] if override else []))
    return event


def _calendar(name: str, events: list[Event]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//warroom//on-call feeds//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def _team_stretches(roster: Roster, team: str, now: datetime, weeks: int) -> list[_Stretch]:
    return _stretches(team, list(roster.teams[team].shifts(now, now + timedelta(weeks=weeks))))


def team_feed(roster: Roster, team: str, now: datetime, weeks: int = WEEKS) -> bytes:
    """Who holds the team's primary and secondary, shift by shift."""
    events = [_event(s, f"{team} {s.position}: {s.holder}", now) for s in _team_stretches(roster, team, now, weeks)]
    return _calendar(f"on call · {team}", events)


def person_feed(roster: Roster, handle: str, now: datetime, weeks: int = WEEKS) -> bytes:
    """The person's own shifts, on every team they are on call for."""
    events = [_event(s, f"on call: {team} {s.position}", now)
              for team in roster.team_of(handle) for s in _team_stretches(roster, team, now, weeks)
              if s.holder == handle]
    return _calendar(f"on call · {handle}", events)
