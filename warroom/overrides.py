"""`warroom oncall override TEAM --from … --to … --by HANDLE`: someone takes a shift for a while.
The command as the front-ends build it, everything wrong with it named by field (a refused one
records nothing), and who may give it: policy.yaml's `oncall` permission, by default the team
(everyone in its rotations, and its manager) and leadership.

The one taking the shift must be in the team: the runbooks, the access and the knowledge of the
service go with the team, so someone from elsewhere joins a rotation in oncall.yaml first."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AwareDatetime, Field

from warroom.commands.authority import for_team
from warroom.model import Model
from warroom.policy import Policy
from warroom.schedule import Override

AHEAD = timedelta(days=90)  # an override ends within this: further out, oncall.yaml is the place for it
KEEP_ENDED = timedelta(days=7)  # ended overrides are kept this long (`oncall overrides`, the feeds)
MOST = 100  # overrides kept per team (in its store's memo): a bound on what each incident's snapshot carries


class RecordOverride(Model):
    actor: str
    team: str = Field(min_length=1, max_length=64)
    start: AwareDatetime | None = None  # default: now
    end: AwareDatetime
    by: str = Field(min_length=1, max_length=64)
    replaces: str | None = Field(None, max_length=64)
    reason: str = Field("", max_length=500)

    def problems(self, policy: Policy, now: datetime) -> list[tuple[str, str]]:
        """Each field that does not fit, as (field, why): an unknown team, someone not in it, an
        override that ends before it starts, is already over, or ends too far ahead."""
        team = policy.roster.teams.get(self.team)
        if team is None:
            return [("team", f"{self.team[:64]!r} is not a team ({', '.join(sorted(policy.roster.teams))})")]
        members = (*team.members, *((team.manager,) if team.manager else ()))
        found = []
        for field in ("by", "replaces"):
            handle = getattr(self, field)
            if handle is not None and handle not in members:
                where = "not on the roster" if policy.roster.person(handle) is None else f"not in {self.team}"
                found.append((field, f"{handle[:64]!r} is {where} ({', '.join(members)})"))
        if self.replaces is not None and self.replaces == self.by:
            found.append(("replaces", f"{self.by} cannot replace themselves"))
        start = self.start or now
        if self.end <= start:
            found.append(("end", f"{self.end.isoformat()} is not after the start {start.isoformat()}"))
        elif self.end <= now:
            found.append(("end", f"{self.end.isoformat()} is past: the override would change nothing"))
        elif self.end > now + AHEAD:
            found.append(("end", f"more than {AHEAD.days} days ahead: write a planned change into oncall.yaml"))
        return found

    def authorize(self, policy: Policy, now: datetime) -> None:
        for_team("oncall", self.actor, self.team, policy, now)

    def override(self, now: datetime) -> Override:
        """The override to record, once the checks passed."""
        return Override(start=self.start or now, end=self.end, by=self.by, replaces=self.replaces,
                        reason=self.reason.strip(), actor=self.actor, recorded_at=now)


def kept(overrides: tuple[Override, ...], now: datetime) -> tuple[Override, ...]:
    """What a team's store keeps: those not ended more than KEEP_ENDED ago. A store holding MOST
    refuses the next (nothing is dropped to make room: a current override must not vanish)."""
    return tuple(o for o in overrides if o.end > now - KEEP_ENDED)
