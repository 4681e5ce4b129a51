"""Prometheus Alertmanager webhook payload, version 4 (Grafana's unified alerting sends the same
shape plus a few fields: warroom.alerts.grafana). Unknown fields are ignored: newer Alertmanagers
add some."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from warroom.alerts.events import AlertBatch, AlertEvent, Instant, Source


class Alert(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: Instant
    endsAt: AwareDatetime | None = None  # Alertmanager sends 0001-01-01 for "not yet": not used
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1)


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    version: str
    groupKey: str = Field(min_length=1)
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    alerts: list[Alert] = Field(min_length=1)

    def headline(self) -> str:
        first = self.alerts[0]
        return (
            self.commonAnnotations.get("summary")
            or first.annotations.get("summary")
            or self.commonLabels.get("alertname")
            or first.labels.get("alertname")
            or "alert"
        )

    def links(self, alert: Alert) -> tuple[str, ...]:
        return tuple(link for link in (alert.generatorURL, alert.annotations.get("runbook_url", "")) if link)

    def to_batch(self, source: Source = "alertmanager") -> AlertBatch:
        return AlertBatch(
            source=source,
            group_key=self.groupKey,
            title=self.headline(),
            truncated=self.truncatedAlerts,
            alerts=tuple(
                AlertEvent(
                    fingerprint=alert.fingerprint,
                    status=alert.status,
                    name=alert.labels.get("alertname") or alert.annotations.get("summary") or "alert",
                    labels=alert.labels,
                    starts_at=alert.startsAt,
                    links=self.links(alert),
                )
                for alert in self.alerts
            ),
        )
