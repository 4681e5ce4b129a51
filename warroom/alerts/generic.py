"""warroom's own alert format, for anything that can POST JSON (signed per Standard Webhooks):

    {"dedup_key": "disk-full-db-1", "status": "firing", "summary": "Disk 95% on db-1",
     "service": "payments", "severity": "SEV2", "labels": {"host": "db-1"},
     "links": ["https://grafana.example/d/disk"], "started_at": "2026-11-28T02:14:00Z"}

`status` is firing or resolved; `service` and `severity` are optional (then the runbooks' label
matchers and severity maps decide, as for Alertmanager); `severity` may be SEV1..SEV4 or any word
a runbook's severity_map knows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from warroom.alerts.events import AlertBatch, AlertEvent, Instant


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    dedup_key: str = Field(min_length=1, max_length=255)
    status: Literal["firing", "resolved"]
    summary: str = Field(min_length=1, max_length=1024)
    service: str | None = None
    severity: str | None = None
    labels: dict[str, str] = {}
    links: list[str] = []
    started_at: Instant | None = None

    def to_batch(self) -> AlertBatch:
        return AlertBatch(
            source="generic",
            group_key=self.dedup_key,
            title=self.summary,
            alerts=(
                AlertEvent(
                    fingerprint=self.dedup_key,
                    status=self.status,
                    name=self.summary,
                    labels=self.labels,
                    starts_at=self.started_at,
                    links=tuple(self.links),
                    severity=self.severity,
                    service=self.service,
                ),
            ),
        )
