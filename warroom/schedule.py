"""On-call schedules: rotations kept in a time zone, layers that hold the shift at some hours, and
overrides; who holds the primary and the secondary at an instant, and the shifts over a period.

Pure and clock-free: the brain (who a page reaches), `warroom oncall now|next` and the calendar
feeds compute the same answer from the same facts.

Two ways to write a rotation's hand-over, both kept:
- `handoff: 2026-01-05T09:00:00+01:00` with no `timezone`: an instant, repeated every `every`
  exactly (168 h for a week). This is how older oncall.yaml files were read, and how incidents
  already running replay, so its meaning never changes; across a DST change the hand-over moves
  by an hour on the wall clock.
- with `timezone: Europe/Berlin` (and `handoff` written with or without an offset): a wall-clock
  time in that zone, repeated every `every` whole days of its calendar: Monday 09:00 stays
  Monday 09:00 in winter and in summer (a week across a DST change is 167 h or 169 h). A
  hand-over that falls in the hour a spring change skips happens when the clock shows it again
  an hour later (zoneinfo's reading of a time that does not exist).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, field_validator, model_validator

from warroom.durations import Duration
from warroom.rules import Frozen

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)  # "just before an instant": what held until it changed
_WALK = 400  # a shift is at most this many changes that change nobody (a layer's daily window)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)") from None


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant a wall clock in `tz` shows `at` on `day`, in UTC (a skipped time: an hour later)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


class Window(Frozen):
    """When a layer holds the shift, in its rotation's time zone: some weekdays, some hours. Hours
    whose end is not after their start cross midnight and belong to the day they start on
    (`hours: "18:00-06:00"` on `fri` is Friday evening to Saturday morning)."""

    days: tuple[Weekday, ...] = Field(WEEKDAYS, min_length=1)
    hours: tuple[time, time] | None = None  # written "HH:MM-HH:MM"; none: the whole day

    @field_validator("hours", mode="before")
    @classmethod
    def _read_hours(cls, value: object) -> object:
        if isinstance(value, str):
            opens, sep, closes = value.partition("-")
            try:
                if not sep:
                    raise ValueError
                return time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not hours like \"09:00-17:00\" or \"18:00-06:00\"") from None
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Window:
        if self.hours is not None and self.hours[0] == self.hours[1] and self.hours[0] != time(0):
            raise ValueError("hours open and close at the same time: write no hours for the whole day")
        return self

    def spans(self, day: date) -> tuple[datetime, datetime] | None:
        """The wall-clock span (naive, local) the window opens on `day`, if it opens that day."""
        if WEEKDAYS[day.weekday()] not in self.days:
            return None
        opens, closes = self.hours or (time(0), time(0))
        start = datetime.combine(day, opens)
        end = datetime.combine(day if closes > opens else day + DAY, closes)
        return start, end

    def holds(self, wall: datetime) -> bool:
        """Is the window open at this wall-clock time (naive, local)?"""
        for day in (wall.date(), wall.date() - DAY):
            span = self.spans(day)
            if span and span[0] <= wall < span[1]:
                return True
        return False


class Rotation(Frozen):
    """Members take turns as primary; the next one in the list is secondary. As a layer above a
    team's base rotation, it holds the shift only while its `active` window is open."""

    handoff: datetime  # with an offset: an instant; without: a wall-clock time in `timezone`
    every: Duration = timedelta(days=7)
    members: tuple[str, ...] = Field(min_length=1)
    timezone: str | None = None  # IANA zone: hand-overs keep their wall-clock time across DST
    active: Window | None = None  # a layer's hours; none: always
    name: str | None = Field(None, max_length=64)  # a layer's name in `oncall now` and the feeds

    @model_validator(mode="after")
    def _consistent(self) -> Rotation:
        if self.every <= timedelta(0):
            raise ValueError("every must be longer than nothing")
        if self.timezone is not None:
            zone(self.timezone)
            if self.every % DAY:
                raise ValueError("with a timezone, every is whole days (7d, 14d): hand-overs keep their local time")
        elif self.handoff.tzinfo is None or self.handoff.utcoffset() is None:
            raise ValueError("handoff has no UTC offset: add one (2026-01-05T09:00:00+01:00) or give a timezone")
        if self.active is not None and self.timezone is None:
            raise ValueError("a layer's active hours need the rotation's timezone")
        return self

    @property
    def local(self) -> bool:
        return self.timezone is not None

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or "UTC")

    def _start(self) -> tuple[date, time]:
        """The first hand-over as the zone's wall clock shows it."""
        wall = self.handoff.astimezone(self._zone()) if self.handoff.tzinfo else self.handoff
        return wall.date(), wall.time().replace(tzinfo=None)

    def handoff_at(self, shift: int) -> datetime:
        """When shift number `shift` begins (0: at `handoff`; negative: before it)."""
        if not self.local:
            return self.handoff + shift * self.every
        day, at = self._start()
        return local_instant(day + shift * self.every, at, self._zone())

    def shift(self, at: datetime) -> int:
        if not self.local:
            return int((at - self.handoff) // self.every)
        day, _ = self._start()
        number = (at.astimezone(self._zone()).date() - day).days // self.every.days
        return number - 1 if at < self.handoff_at(number) else number

    def primary(self, at: datetime) -> str:
        return self.members[self.shift(at) % len(self.members)]

    def secondary(self, at: datetime) -> str | None:
        if len(self.members) < 2:
            return None
        return self.members[(self.shift(at) + 1) % len(self.members)]

    def holds(self, at: datetime) -> bool:
        """Does this rotation hold the shift at `at` (its window open, or it has none)?"""
        return self.active is None or self.active.holds(at.astimezone(self._zone()).replace(tzinfo=None))

    def changes(self, at: datetime, forward: bool) -> datetime:
        """The first hand-over or window edge after `at` (forward), or the last at or before it."""
        shift = self.shift(at)
        found = self.handoff_at(shift + 1) if forward else self.handoff_at(shift)
        if self.active is None:
            return found
        tz, today = self._zone(), at.astimezone(self._zone()).date()
        for offset in range(-8, 9):  # a window repeats weekly: its edges within a week either side
            span = self.active.spans(today + offset * DAY)
            for edge in (local_instant(e.date(), e.time(), tz) for e in span or ()):
                if forward and at < edge < found or not forward and found < edge <= at:
                    found = edge
        return found


class Override(Frozen):
    """Someone takes a shift, for a while: the primary's (whoever holds it) or, with `replaces`,
    that person's wherever they are on call. Recorded by `warroom oncall override` (kept in
    Temporal) or written into oncall.yaml; where two overlap, the one recorded later wins."""

    start: AwareDatetime
    end: AwareDatetime
    by: str  # who takes the shift
    replaces: str | None = None
    reason: str = Field("", max_length=500)
    actor: str | None = None  # who recorded it; none: written into oncall.yaml
    recorded_at: AwareDatetime | None = None

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)  # compared as instants, never as one zone's wall clock

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if self.end <= self.start:
            raise ValueError("the override ends before it starts (end must be after start)")
        if self.replaces == self.by:
            raise ValueError(f"{self.by} cannot replace themselves")
        return self

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def line(self) -> str:
        instead = f" instead of {self.replaces}" if self.replaces else ""
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.by}{instead} {self.start:%Y-%m-%d %H:%M %Z} – {self.end:%Y-%m-%d %H:%M %Z}{why}"


class Duty(Frozen):
    """Who holds the primary and the secondary at an instant, and the overrides that put them there."""

    primary: str
    secondary: str | None
    layer: str | None = None  # the layer holding the shift; none: the base rotation
    overrides: tuple[Override, ...] = ()


class Shift(Frozen):
    """A stretch of time over which the duty stays the same."""

    start: AwareDatetime
    end: AwareDatetime
    duty: Duty


def on_duty(layers: tuple[Rotation, ...], overrides: Iterable[Override], at: datetime) -> Duty:
    """Who is on call at `at`: the highest layer holding the shift gives the primary and the
    secondary (a layer of one lends its secondary from the next layer down); then the overrides
    covering `at` apply, in the order recorded. Where the secondary took the primary, the next in
    turn who was not replaced becomes secondary (a swap of weeks leaves a secondary). A base
    rotation alone reads exactly as before layers and overrides existed, so incidents already
    running replay unchanged."""
    at = at.astimezone(UTC)
    holding = [layer for layer in reversed(layers[1:]) if layer.holds(at)] + [layers[0]]
    turns = list(dict.fromkeys(h for layer in holding for h in _in_turn(layer, at)))
    top = holding[0]
    if len(holding) == 1:
        primary, secondary = top.primary(at), top.secondary(at)
    else:
        primary, secondary = turns[0], next(iter(turns[1:]), None)
    applied = tuple(o for o in overrides if o.covers(at))
    replaced: set[str] = set()
    for override in applied:
        if override.replaces is None or override.replaces == primary:
            replaced.add(primary)
            primary = override.by
        elif override.replaces == secondary:
            replaced.add(secondary)
            secondary = override.by
    if applied and secondary == primary:
        secondary = next((h for h in turns if h != primary and h not in replaced), None)
    return Duty(primary=primary, secondary=secondary, layer=top.name if top is not layers[0] else None,
                overrides=tuple(o for o in applied if o.by in (primary, secondary)))


def _in_turn(layer: Rotation, at: datetime) -> list[str]:
    """The layer's members from this shift's primary on: primary, secondary, then the rest."""
    shift, members = layer.shift(at), layer.members
    return [members[(shift + k) % len(members)] for k in range(len(members))]


def _edge(layers: tuple[Rotation, ...], overrides: tuple[Override, ...], at: datetime, forward: bool) -> datetime:
    edges = [layer.changes(at, forward) for layer in layers]
    for override in overrides:
        edges += [e for e in (override.start, override.end) if (at < e if forward else e <= at)]
    return min(edges) if forward else max(edges)


def shift_at(layers: tuple[Rotation, ...], overrides: tuple[Override, ...], at: datetime) -> Shift:
    """The shift `at` falls in, from the change that began it to the change that ends it (edges
    that change nobody, as a layer's window opening on the same person, are walked past)."""
    at = at.astimezone(UTC)
    duty = on_duty(layers, overrides, at)
    start = _edge(layers, overrides, at, forward=False)
    for _ in range(_WALK):
        if on_duty(layers, overrides, start - _TICK) != duty:
            break
        start = _edge(layers, overrides, start - _TICK, forward=False)
    end = _edge(layers, overrides, at, forward=True)
    for _ in range(_WALK):
        if on_duty(layers, overrides, end) != duty:
            break
        end = _edge(layers, overrides, end, forward=True)
    return Shift(start=start.astimezone(UTC), end=end.astimezone(UTC), duty=duty)


def shifts(layers: tuple[Rotation, ...], overrides: tuple[Override, ...], start: datetime,
           end: datetime) -> Iterator[Shift]:
    """Every shift that overlaps [start, end), in order, the first and last whole."""
    at = start.astimezone(UTC)
    while at < end:
        found = shift_at(layers, overrides, at)
        yield found
        at = found.end
