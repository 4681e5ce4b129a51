"""Grafana unified alerting webhook: the Alertmanager shape plus orgId, state, title, message
and per-alert dashboard, panel and silence links."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from warroom.alerts import alertmanager
from warroom.alerts.events import AlertBatch


class Alert(alertmanager.Alert):
    model_config = ConfigDict(extra="ignore", frozen=True)
    dashboardURL: str = ""
    panelURL: str = ""
    silenceURL: str = ""
    values: dict[str, float] | None = None
    valueString: str = ""


class Payload(alertmanager.Payload):
    model_config = ConfigDict(extra="ignore", frozen=True)
    orgId: int | None = None
    state: str = ""
    title: str = ""
    message: str = ""
    alerts: list[Alert] = Field(min_length=1)  # type: ignore[assignment]

    def links(self, alert: alertmanager.Alert) -> tuple[str, ...]:
        own = (alert.dashboardURL, alert.panelURL) if isinstance(alert, Alert) else ()
        return tuple(link for link in (*super().links(alert), *own) if link)

    def headline(self) -> str:
        first = self.alerts[0]
        return (
            self.commonAnnotations.get("summary")
            or first.annotations.get("summary")
            or self.title
            or super().headline()
        )

    def to_batch(self) -> AlertBatch:  # type: ignore[override]
        return super().to_batch("grafana")
