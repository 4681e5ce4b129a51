"""The normalised form every alert source is parsed into."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

from warroom.limits import sane_instant, web_links

Instant = Annotated[AwareDatetime, AfterValidator(sane_instant)]
"""An alert's own time as sources send it: within 2000-01-01 … a year from now, else a 422 at the
edge (a `startsAt` of year 1 at +14:00 once stalled its whole alert group)."""

Source = Literal["alertmanager", "grafana", "pagerduty", "generic"]
AlertStatus = Literal["firing", "resolved", "acknowledged"]


class AlertEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    fingerprint: str  # identity of one alert inside its group
    status: AlertStatus
    name: str  # alertname, or the event's summary
    labels: dict[str, str] = {}
    starts_at: AwareDatetime | None = None
    links: Annotated[tuple[str, ...], AfterValidator(web_links)] = ()
    severity: str | None = None  # the source's own word (label value, PagerDuty severity, SEV2…)
    service: str | None = None  # a service the source names outright (routing key, generic field)


class AlertBatch(BaseModel):
    """One webhook request's news about one alert group: one signal, not one per alert."""

    model_config = ConfigDict(frozen=True)
    source: Source
    group_key: str  # Alertmanager and Grafana groupKey, PagerDuty dedup_key, generic dedup_key
    title: str
    alerts: tuple[AlertEvent, ...]
    truncated: int = 0  # alerts the sender left out (Alertmanager max_alerts)
    request_id: str | None = None  # a signed delivery's own id (webhook-id): a replay of it changes nothing
    exercise_speed: int | None = None  # a game day's alert (warroom.gamedays), at this speed; None: a real one

    @property
    def group_id(self) -> str:
        return group_workflow_id(self.source, self.group_key)


def group_workflow_id(source: str, group_key: str) -> str:
    """`alerts-<source>-<digest>`: group keys are long and full of braces and quotes."""
    digest = hashlib.sha256(group_key.encode()).hexdigest()[:24]
    return f"alerts-{source}-{digest}"
