"""An alert group's memory and what each batch of news does to it: pure, like the incident brain.

Re-sends change nothing (Alertmanager repeats whole groups every group_interval and
repeat_interval); the first firing alert opens an incident; later changes are folded into it; a
group whose incident has ended opens a new one, linked to it, on its next firing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AwareDatetime

from warroom.alerts.events import AlertBatch, AlertEvent, Source
from warroom.alerts.routing import service_of, severity_of
from warroom.commands import Ack, Declare, RecordAlerts
from warroom.policy import Policy
from warroom.severity import Severity
from warroom.state import AlertOrigin, Model

SEEN = 1000  # delivery ids remembered per group: far beyond any sender's retry horizon


class AlertRecord(Model):
    status: str
    name: str
    severity: Severity
    changed_at: AwareDatetime
    links: tuple[str, ...] = ()


class GroupState(Model):
    group_id: str
    source: Source
    group_key: str
    alerts: dict[str, AlertRecord] = {}
    service: str | None = None  # decided by the first firing alert
    incident: str | None = None  # the open incident this group feeds
    previous: str | None = None  # its last incident that ended
    last_news_at: AwareDatetime | None = None
    seen_requests: tuple[str, ...] = ()  # the last signed deliveries' ids, newest last (replays change nothing)

    @property
    def firing(self) -> int:
        return sum(1 for a in self.alerts.values() if a.status == "firing")


class Open(Model):
    declare: Declare


class Send(Model):
    command: RecordAlerts | Ack
    new_firing: bool = False  # if the incident has ended, this news opens the next one


Effect = Open | Send


def ingest(group: GroupState, batch: AlertBatch, policy: Policy, now: datetime) -> tuple[GroupState, list[Effect]]:
    """Fold one batch into the group; return what must happen to incidents because of it. A batch
    whose delivery id the group has seen is a replay: it changes nothing, whatever its body says."""
    if batch.request_id is not None:
        if batch.request_id in group.seen_requests:
            return group, []
        group = group.model_copy(update={"seen_requests": (group.seen_requests + (batch.request_id,))[-SEEN:]})
    actor = f"system:{batch.source}"
    service = group.service or service_of(_first_firing(batch) or batch.alerts[0], policy)
    runbook = policy.runbook(service)
    alerts = dict(group.alerts)
    changes: list[str] = []
    acknowledged = False
    new_firing = False
    for alert in batch.alerts:
        if alert.status == "acknowledged":
            acknowledged = True
            continue
        known = alerts.get(alert.fingerprint)
        if known is not None and known.status == alert.status:
            continue  # a re-send
        alerts[alert.fingerprint] = AlertRecord(
            status=alert.status, name=alert.name, severity=severity_of(alert, runbook, policy),
            changed_at=now, links=alert.links,
        )
        new_firing |= alert.status == "firing"
        changes.append(f"{alert.status}: {_describe(alert)}")
    if not changes and not acknowledged:
        return group, []
    group = group.model_copy(update={"alerts": alerts, "service": service, "last_news_at": now})
    if group.incident is None:
        return (group, [Open(declare=opening(group, batch, policy, now))]) if new_firing else (group, [])
    effects: list[Effect] = []
    if changes:
        effects.append(Send(command=record(group, changes, batch, actor), new_firing=new_firing))
    if acknowledged:
        effects.append(Send(command=Ack(actor=actor)))
    return group, effects


def ended(
    group: GroupState, send: Send, batch: AlertBatch, policy: Policy, now: datetime
) -> tuple[GroupState, list[Effect]]:
    """The group's incident refused the news because it had ended: remember it, and open a new
    incident, linked to it, if the news was a new firing alert."""
    group = group.model_copy(update={"previous": group.incident, "incident": None})
    return (group, [Open(declare=opening(group, batch, policy, now))]) if send.new_firing else (group, [])


def merge(earlier: Send | None, later: Send) -> Send:
    """Two batches' news as one RecordAlerts: the changes of both, the counts of the later."""
    if earlier is None:
        return later
    assert isinstance(earlier.command, RecordAlerts) and isinstance(later.command, RecordAlerts)
    changes = earlier.command.changes + later.command.changes
    if len(changes) > 10:
        changes = changes[:10] + (f"… {len(changes) - 10} more",)
    return Send(
        command=later.command.model_copy(update={"changes": changes}),
        new_firing=earlier.new_firing or later.new_firing,
    )


def opened(group: GroupState, incident_id: str) -> GroupState:
    return group.model_copy(update={"incident": incident_id})


OLDEST_START = timedelta(days=30)


def _credible(starts_at: datetime | None, now: datetime) -> bool:
    """An alert's own start counts as the detection time when it is plausible: within the last 30
    days and not in the future. Anything else (year 1 at +14:00 once poisoned a group: comparing it
    overflows) is ignored and the incident counts from when warroom opens it."""
    if starts_at is None:
        return False
    try:
        return now - OLDEST_START <= starts_at <= now
    except OverflowError:
        return False


def opening(group: GroupState, batch: AlertBatch, policy: Policy, now: datetime) -> Declare:
    firing = [a for a in group.alerts.values() if a.status == "firing"]
    severity = Severity.highest([a.severity for a in firing]) if firing else policy.rules.alerts.default_severity
    starts = [a.starts_at for a in batch.alerts if a.status == "firing" and _credible(a.starts_at, now)]
    return Declare(
        actor=f"system:{batch.source}",
        title=batch.title[:200],
        service=group.service,
        severity=severity,
        detected_at=min([*starts, now]),
        origin=AlertOrigin(
            group_id=group.group_id, source=group.source, firing=group.firing, seen=len(group.alerts),
            links=_links(group),
        ),
        previous=group.previous,
        game_day=batch.exercise_speed is not None,
        speed=batch.exercise_speed or 1,
    )


def record(group: GroupState, changes: list[str], batch: AlertBatch, actor: str) -> RecordAlerts:
    firing = [a for a in group.alerts.values() if a.status == "firing"]
    more = f" (+{batch.truncated} not sent)" if batch.truncated else ""
    return RecordAlerts(
        actor=actor, group_id=group.group_id, source=group.source, firing=group.firing, seen=len(group.alerts),
        changes=tuple(changes[:10]) + ((f"… {len(changes) - 10} more{more}",) if len(changes) > 10 else ()),
        links=_links(group),
        severity=Severity.highest([a.severity for a in firing]) if firing else None,
    )


def _first_firing(batch: AlertBatch) -> AlertEvent | None:
    return next((a for a in batch.alerts if a.status == "firing"), None)


def _describe(alert: AlertEvent) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k not in ("alertname", "severity"))
    return f"{alert.name} {{{detail[:120]}}}" if detail else alert.name


def _links(group: GroupState) -> tuple[str, ...]:
    return tuple(dict.fromkeys(link for a in group.alerts.values() for link in a.links))[:10]
