"""`warroom report`: how the process is doing, from Temporal's own record (no second database):
incidents per severity, MTTA/MTTM/MTTR, reviews within the window, action-item completion."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from warroom.action_items import ItemState, team_of
from warroom.durations import format_duration
from warroom.policy import Policy
from warroom.severity import Severity
from warroom.state import IncidentState


class IncidentFacts(BaseModel):
    """What the report needs of an incident; an incident keeps these in its memo, so the report
    reads Temporal visibility instead of asking every workflow."""

    model_config = ConfigDict(frozen=True)
    id: str
    highest_severity: Severity
    detected_at: datetime
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    reviewed_at: datetime | None = None

    @classmethod
    def of(cls, state: IncidentState) -> IncidentFacts:
        return cls(
            id=state.id, highest_severity=state.highest_severity, detected_at=state.detected_at,
            acknowledged_at=state.acknowledged_at, mitigated_at=state.mitigated_at, resolved_at=state.resolved_at,
            reviewed_at=state.review.at if state.review else None,
        )


class ItemFacts(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    owner: str
    status: str
    due_at: datetime
    completed_at: datetime | None = None

    @classmethod
    def of(cls, item: ItemState) -> ItemFacts:
        return cls(id=item.id, title=item.title, owner=item.owner, status=item.status, due_at=item.due_at,
                   completed_at=item.completed_at)

    def overdue(self, now: datetime) -> bool:
        return self.status == "open" and now > self.due_at

    def on_time(self) -> bool:
        return self.status == "done" and self.completed_at is not None and self.completed_at <= self.due_at


class Stat(BaseModel):
    model_config = ConfigDict(frozen=True)
    count: int
    median_s: float | None
    p90_s: float | None


class Overdue(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    owner: str
    due: str
    title: str


class TeamRate(BaseModel):
    model_config = ConfigDict(frozen=True)
    team: str
    completed: int
    total: int
    rate: float | None


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)
    since: datetime
    until: datetime
    incidents: int
    by_severity: dict[str, int]
    mtta: Stat
    mttm: Stat
    mttr: Stat
    reviews_due: int
    reviews_in_window: int
    reviews_in_window_pct: float | None
    items_total: int
    items_completed: int
    items_completed_on_time: int
    items_open: int
    items_overdue: list[Overdue]
    completion_by_team: list[TeamRate]
    game_days: int = 0  # exercises in the period (R-GAME-25): shown apart, never in the figures above


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _stat(values: list[float]) -> Stat:
    return Stat(count=len(values), median_s=median(values), p90_s=percentile(values, 0.9))


def build(
    incidents: list[IncidentFacts], items: list[ItemFacts], policy: Policy, since: datetime, now: datetime,
    game_days: int = 0,
) -> Report:
    chosen = [i for i in incidents if i.detected_at >= since]

    def seconds(end: str) -> list[float]:
        return [(getattr(i, end) - i.detected_at).total_seconds() for i in chosen if getattr(i, end) is not None]

    window = policy.rules.review.within
    due = [
        i for i in chosen
        if i.resolved_at and i.highest_severity in policy.rules.review.required_for
        and (i.reviewed_at is not None or now >= i.resolved_at + window)
    ]
    in_window = [i for i in due if i.reviewed_at is not None and i.reviewed_at - i.resolved_at <= window]
    counts = Counter(i.highest_severity.value for i in chosen)
    done = [t for t in items if t.status == "done"]
    open_ = [t for t in items if t.status == "open"]
    teams: dict[str, list[ItemFacts]] = {}
    for item in items:
        if item.status != "cancelled":
            teams.setdefault(team_of(item.owner, policy), []).append(item)
    zone = ZoneInfo(policy.rules.business_hours.timezone)
    return Report(
        since=since, until=now, incidents=len(chosen),
        by_severity={s.value: counts.get(s.value, 0) for s in Severity},
        mtta=_stat(seconds("acknowledged_at")), mttm=_stat(seconds("mitigated_at")), mttr=_stat(seconds("resolved_at")),
        reviews_due=len(due), reviews_in_window=len(in_window),
        reviews_in_window_pct=round(100 * len(in_window) / len(due), 1) if due else None,
        items_total=len(items), items_completed=len(done), items_completed_on_time=sum(1 for t in done if t.on_time()),
        items_open=len(open_),
        items_overdue=[Overdue(id=t.id, owner=t.owner, due=t.due_at.astimezone(zone).date().isoformat(), title=t.title)
                       for t in sorted(open_, key=lambda t: t.due_at) if t.overdue(now)],
        completion_by_team=[
            TeamRate(team=team, completed=sum(1 for t in members if t.status == "done"), total=len(members),
                     rate=round(100 * sum(1 for t in members if t.status == "done") / len(members), 1))
            for team, members in sorted(teams.items())
        ],
        game_days=game_days,
    )


def human(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(timedelta(seconds=round(seconds)))
