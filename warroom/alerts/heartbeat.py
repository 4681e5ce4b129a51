"""What a silent heartbeat monitor says: one alert in warroom's generic format, so it takes the
very path a real alert takes (its alert group routes it, opens the incident, folds the
resolution in). Pure: the workflow decides when, this decides what."""

from __future__ import annotations

from typing import Literal

from warroom.alerts import generic
from warroom.alerts.events import AlertBatch, group_workflow_id
from warroom.config_file import Heartbeat
from warroom.durations import format_duration


def dedup_key(name: str) -> str:
    """The generic dedup key of a monitor's alert: one alert group per monitor, for ever."""
    return f"heartbeat-{name}"


def group_id(name: str) -> str:
    """The alert group a monitor's alerts go to."""
    return group_workflow_id("generic", dedup_key(name))


def summary(monitor: Heartbeat) -> str:
    """"no heartbeat from prometheus for 3m": the fact, then the operator's own words if given."""
    fact = f"no heartbeat from {monitor.name} for {format_duration(monitor.silence)}"
    return f"{monitor.summary}: {fact}" if monitor.summary else fact


def alert(monitor: Heartbeat, status: Literal["firing", "resolved"]) -> AlertBatch:
    """The monitor's alert, firing when the beats stopped, resolved when one came again; its
    service and severity named outright, so no label matcher has to guess."""
    return generic.Event(
        dedup_key=dedup_key(monitor.name),
        status=status,
        summary=summary(monitor),
        service=monitor.service,
        severity=monitor.severity.value,
        labels={"heartbeat": monitor.name},
    ).to_batch()
