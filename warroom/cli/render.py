"""Human-readable output with rich: `show`, `list`, `outbox`."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from warroom.outbox import OutboxRow
from warroom.action_items import ItemState
from warroom.brain import next_deadline_text
from warroom.temporal.incidents import IncidentRow
from warroom.views import IncidentView

console = Console(highlight=False)


def incident(view: IncidentView) -> None:
    state, now = view.state, datetime.now(UTC)
    console.print(f"[bold]{state.id}[/bold]  {state.summary}")
    console.print(
        f"stage [bold]{state.stage.value}[/bold] · detected {state.detected_at:%Y-%m-%d %H:%M:%S} UTC"
        + (f" · acknowledged by {state.acknowledged_by}" if state.acknowledged_by else " · not acknowledged")
        + (f" · resolved {state.resolved_at:%H:%M:%S} UTC by {state.resolved_by}" if state.resolved_at else "")
    )
    smes = ", ".join(f"{s.handle} ({s.track})" if s.track else s.handle for s in state.smes) or "—"
    console.print(f"IC {state.ic or '—'} · comms {state.comms or '—'} · SMEs {smes}")
    flags = ", ".join(state.flags) or "none"
    console.print(f"flags: {flags}")
    if view.upcoming:
        console.print("[bold]next deadlines[/bold]")
        for action in view.upcoming[:6]:
            console.print(f"  {next_deadline_text(action, now)}  [dim]{action.rule}[/dim]")
    table = Table("time (UTC)", "who", "what", title="timeline", title_justify="left", box=None)
    for event in state.timeline:
        table.add_row(f"{event.at:%m-%d %H:%M:%S}", event.actor, event.text)
    console.print(table)


def incidents(rows: list[IncidentRow]) -> None:
    if not rows:
        console.print("no incidents")
        return
    table = Table("id", "sev", "stage", "service", "IC", "detected (UTC)", "title", box=None)
    for row in rows:
        detected = f"{row.detected_at:%m-%d %H:%M}" if row.detected_at else ""
        table.add_row(row.id, row.severity, row.stage, row.service, row.commander or "—", detected, row.title)
    console.print(table)


def outbox(rows: list[OutboxRow]) -> None:
    if not rows:
        console.print("the outbox is empty")
        return
    table = Table("#", "time (UTC)", "channel", "to", "incident", "action", "why", box=None)
    for row in rows:
        table.add_row(
            str(row.id), f"{row.created_at:%m-%d %H:%M:%S}", row.channel, row.recipient, row.incident,
            row.action_key, (row.text.splitlines() + [""])[1],
        )
    console.print(table)


def items(found: list[ItemState], now: datetime) -> None:
    if not found:
        console.print("no action items")
        return
    table = Table("id", "owner", "due", "status", "title", box=None)
    for item in found:
        status = "overdue" if item.overdue(now) else item.status
        table.add_row(item.id, item.owner, item.due.isoformat(), status, item.title)
    console.print(table)
