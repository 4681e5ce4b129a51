"""PagerDuty Events API v2 (`POST /v2/enqueue`): trigger, acknowledge and resolve by dedup_key.
warroom answers as PagerDuty does, so any PagerDuty-speaking sender can point at it."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warroom.alerts.events import AlertBatch, AlertEvent, Instant


class Link(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    href: str
    text: str = ""


class EventPayload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: Instant | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: Any = None


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    routing_key: str = Field(min_length=1)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    payload: EventPayload | None = None
    links: list[Link] = []
    client: str | None = None
    client_url: str | None = None

    @model_validator(mode="after")
    def _needs(self) -> Event:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("payload is required for event_action trigger")
        if self.event_action != "trigger" and not self.dedup_key:
            raise ValueError(f"dedup_key is required for event_action {self.event_action}")
        return self

    def key(self) -> str:
        """The dedup_key, or a new one for a trigger without one (PagerDuty makes one up too)."""
        return self.dedup_key or uuid.uuid4().hex

    def to_batch(self, dedup_key: str, service: str) -> AlertBatch:
        payload = self.payload
        labels = {"source": payload.source, "severity": payload.severity} if payload else {}
        if payload:
            labels |= {k: v for k, v in (("component", payload.component), ("group", payload.group),
                                          ("class", payload.class_)) if v}
        status = {"trigger": "firing", "acknowledge": "acknowledged", "resolve": "resolved"}[self.event_action]
        links = tuple(link.href for link in self.links) + ((self.client_url,) if self.client_url else ())
        return AlertBatch(
            source="pagerduty",
            group_key=dedup_key,
            title=payload.summary if payload else dedup_key,
            alerts=(
                AlertEvent(
                    fingerprint=dedup_key,
                    status=status,
                    name=payload.summary if payload else dedup_key,
                    labels=labels,
                    starts_at=payload.timestamp if payload else None,
                    links=links,
                    severity=payload.severity if payload else None,
                    service=service,
                ),
            ),
        )
