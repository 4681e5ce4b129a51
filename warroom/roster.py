"""`oncall.yaml`: people, teams with their schedules (warroom.schedule: rotations, layers, overrides)
and escalation chains, and the groups that PROCESS.md names (leadership, executives, legal, the
comms-lead pool)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Literal

from pydantic import field_validator, model_validator

from warroom.rules import Frozen
from warroom.schedule import Duty, Override, Rotation, Shift, on_duty, shift_at, shifts

HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

Layer = Literal["primary", "secondary", "manager"]


class Away(Frozen):
    """Leave, both days included: nobody is picked for a game day then (R-GAME-25)."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Away:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Person(Frozen):
    handle: str
    name: str
    timezone: str = "UTC"
    contacts: dict[str, str] = {}  # channel -> address: email, phone, slack, pagerduty, opsgenie…
    slack_user_id: str | None = None
    away: tuple[Away, ...] = ()

    def away_on(self, day: date) -> bool:
        return any(a.start <= day <= a.end for a in self.away)

    @field_validator("handle")
    @classmethod
    def _handle_shape(cls, value: str) -> str:
        if not HANDLE.match(value):
            raise ValueError(f"{value!r} is not a handle: lower-case letters, digits, . _ -")
        return value


class Team(Frozen):
    """A team's schedule: its base rotation (always on), layers above it that hold the shift at
    their hours (the last listed wins where several do), and the overrides written here; the
    overrides recorded by `warroom oncall override` join them in an incident's policy snapshot."""

    manager: str | None = None
    rotation: Rotation
    layers: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    escalation: tuple[Layer, ...] = ("primary", "secondary", "manager")

    @model_validator(mode="after")
    def _base_always_on(self) -> Team:
        if self.rotation.active is not None:
            raise ValueError("the base rotation is always on: give active hours to a layer (layers: [...]) instead")
        return self

    @property
    def rotations(self) -> tuple[Rotation, ...]:
        return (self.rotation, *self.layers)

    @property
    def members(self) -> tuple[str, ...]:
        """Everyone in any of its rotations, in the order first listed."""
        return tuple(dict.fromkeys(h for rotation in self.rotations for h in rotation.members))

    def duty(self, at: datetime) -> Duty:
        return on_duty(self.rotations, self.overrides, at)

    def primary(self, at: datetime) -> str:
        return self.duty(at).primary

    def secondary(self, at: datetime) -> str | None:
        return self.duty(at).secondary

    def shift_at(self, at: datetime) -> Shift:
        return shift_at(self.rotations, self.overrides, at)

    def shifts(self, start: datetime, end: datetime) -> Iterator[Shift]:
        return shifts(self.rotations, self.overrides, start, end)

    def with_overrides(self, recorded: tuple[Override, ...]) -> Team:
        """This team with overrides recorded elsewhere after its own (recorded later: they win)."""
        return self.model_copy(update={"overrides": (*self.overrides, *recorded)}) if recorded else self

    def layer(self, layer: Layer, at: datetime) -> str | None:
        """Who holds a layer at `at`; None when nobody does (that step is skipped)."""
        if layer == "manager":
            return self.manager
        duty = self.duty(at)
        return duty.primary if layer == "primary" else duty.secondary

    def chain(self, at: datetime) -> list[tuple[Layer, str]]:
        """The escalation chain at `at`, steps with nobody (or someone already on it) left out."""
        steps: list[tuple[Layer, str]] = []
        duty = self.duty(at)
        holders = {"primary": duty.primary, "secondary": duty.secondary, "manager": self.manager}
        for layer in self.escalation:
            who = holders[layer]
            if who is not None and who not in (h for _, h in steps):
                steps.append((layer, who))
        return steps


class Roster(Frozen):
    people: tuple[Person, ...]
    teams: dict[str, Team]
    leadership: tuple[str, ...] = ()
    executives: tuple[str, ...] = ()
    legal: tuple[str, ...] = ()
    comms_pool: tuple[str, ...] = ()
    stakeholders: tuple[str, ...] = ()

    def person(self, handle: str) -> Person | None:
        return next((p for p in self.people if p.handle == handle), None)

    def team_of(self, handle: str) -> tuple[str, ...]:
        """The teams `handle` is in: a member of a rotation, or the manager."""
        return tuple(name for name, team in self.teams.items() if handle in team.members or handle == team.manager)

    def by_slack_id(self, slack_user_id: str) -> Person | None:
        return next((p for p in self.people if p.slack_user_id == slack_user_id), None)
