"""`oncall.yaml`: people, teams with weekly rotations and escalation chains, and the groups that
PROCESS.md names (leadership, executives, legal, the comms-lead pool)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from warroom.durations import Duration
from warroom.rules import Frozen

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


class Rotation(Frozen):
    """Members take turns as primary; the next one in the list is secondary."""

    handoff: AwareDatetime  # any past hand-over instant; the rotation repeats from it
    every: Duration = timedelta(days=7)
    members: tuple[str, ...] = Field(min_length=1)

    def shift(self, at: datetime) -> int:
        return int((at - self.handoff) // self.every)

    def primary(self, at: datetime) -> str:
        return self.members[self.shift(at) % len(self.members)]

    def secondary(self, at: datetime) -> str | None:
        if len(self.members) < 2:
            return None
        return self.members[(self.shift(at) + 1) % len(self.members)]


class Team(Frozen):
    manager: str | None = None
    rotation: Rotation
    escalation: tuple[Layer, ...] = ("primary", "secondary", "manager")

    def layer(self, layer: Layer, at: datetime) -> str | None:
        """Who holds a layer at `at`; None when nobody does (that step is skipped)."""
        if layer == "primary":
            return self.rotation.primary(at)
        if layer == "secondary":
            return self.rotation.secondary(at)
        return self.manager

    def chain(self, at: datetime) -> list[tuple[Layer, str]]:
        """The escalation chain at `at`, steps with nobody (or someone already on it) left out."""
        steps: list[tuple[Layer, str]] = []
        for layer in self.escalation:
            who = self.layer(layer, at)
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

    def by_slack_id(self, slack_user_id: str) -> Person | None:
        return next((p for p in self.people if p.slack_user_id == slack_user_id), None)
