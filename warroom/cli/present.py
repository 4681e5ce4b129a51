"""Human-readable output of the REST API's answers (plain JSON values, no models): `show`, `list`,
`action list`, `report`, the outbox. rich is imported only when a table is printed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _table(*columns: str, title: str | None = None) -> Any:
    from rich.table import Table

    return Table(*columns, title=title, title_justify="left", box=None)


def _when(text: str | None, shape: str = "%m-%d %H:%M:%S") -> str:
    return datetime.fromisoformat(text).astimezone(UTC).strftime(shape) if text else ""


def _in(text: str, now: datetime) -> str:
    seconds = max(round((datetime.fromisoformat(text) - now).total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return "in " + (f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s")


def incident(view: dict[str, Any]) -> None:
    state, console, now = view["state"], _console(), datetime.now(UTC)
    severity = state["severities"][-1]["severity"]
    console.print(f"[bold]{state['id']}[/bold]  {severity} · {state['service']} · {state['title']}")
    acknowledged = f" · acknowledged by {state['acknowledged_by']}" if state.get("acknowledged_by") else \
        " · [bold red]NOT ACKNOWLEDGED[/bold red]"
    resolved = (
        f" · resolved {_when(state['resolved_at'])} UTC by {state['resolved_by']}" if state.get("resolved_at") else ""
    )
    console.print(
        f"stage [bold]{_stage(state)}[/bold] · detected {_when(state['detected_at'], '%Y-%m-%d %H:%M:%S')} UTC"
        f"{acknowledged}{resolved}"
    )
    smes = ", ".join(f"{s['handle']} ({s['track']})" if s.get("track") else s["handle"] for s in state["smes"]) or "—"
    console.print(f"IC {state.get('ic') or '—'} · comms {state.get('comms') or '—'} · SMEs {smes}")
    console.print(f"flags: {', '.join(state['flags']) or 'none'}")
    if view.get("checklist"):
        console.print("[bold]runbook checklist[/bold] (R-F15-11)")
        for n, item in enumerate(view["checklist"], start=1):
            by = f"  (ticked by {item['ticked_by']})" if item.get("ticked_by") else ""
            console.print(f"  {'[x]' if item['done'] else '[ ]'} {n}. {item['step']}{by}", markup=False)
        console.print("  [dim]tick a step: warroom check N[/dim]")
    if view.get("deadlines"):
        console.print("[bold]next deadlines[/bold]")
        for deadline in view["deadlines"][:6]:
            console.print(f"  {_in(deadline['at'], now):>10}  {deadline['title']}: {deadline['what']}  "
                          f"[dim]{deadline['rule']}[/dim]")
    table = _table("time (UTC)", "who", "what", title="timeline")
    folded = 0
    for event in state["timeline"]:
        if event["kind"] == "channel":
            folded += 1
            continue
        where = f" · {event['channel']}" if event.get("channel") else ""
        table.add_row(_when(event["at"]), event["actor"] + where, event["text"])
    console.print(table)
    if folded:
        console.print(f"[dim]({folded} channel post(s) folded)[/dim]")


def _stage(state: dict[str, Any]) -> str:
    if state.get("closed_at"):
        return "closed"
    if state.get("resolved_at"):
        return "in_review"
    return state["status"]


def incidents(rows: list[dict[str, Any]]) -> None:
    console = _console()
    if not rows:
        console.print("no incidents")
        return
    table = _table("id", "sev", "stage", "service", "IC", "detected (UTC)", "title")
    for row in rows:
        title = ("[GAME DAY] " if row.get("game_day") else "") + row["title"]
        table.add_row(row["id"], row["severity"], row["stage"], row["service"], row.get("commander") or "—",
                      _when(row.get("detected_at"), "%m-%d %H:%M"), title)
    console.print(table)


def items(found: list[dict[str, Any]]) -> None:
    console, now = _console(), datetime.now(UTC)
    if not found:
        console.print("no action items")
        return
    tracked = any(item.get("tracker") for item in found)
    table = _table("id", "owner", "due", "status", "title", *(("tracker",) if tracked else ()))
    for item in found:
        overdue = item["status"] == "open" and datetime.fromisoformat(item["due_at"]) < now
        issue = (item.get("tracker") or {}).get("url", "")  # its Jira or Linear issue, when it has one
        table.add_row(item["id"], item["owner"], item["due"], "overdue" if overdue else item["status"], item["title"],
                      *((issue,) if tracked else ()))
    console.print(table)


def report(result: dict[str, Any]) -> None:
    console = _console()
    console.print(f"[bold]warroom report[/bold] {result['since'][:10]} → {result['until'][:10]}: "
                  f"{result['incidents']} incident(s)")
    console.print("by severity: " + ", ".join(f"{k} {v}" for k, v in result["by_severity"].items()))
    times = _table("", "median", "p90", "n")
    for name, key in (("time to acknowledge", "mtta"), ("time to mitigate", "mttm"), ("time to resolve", "mttr")):
        stat = result[key]
        times.add_row(name, _seconds(stat["median_s"]), _seconds(stat["p90_s"]), str(stat["count"]))
    console.print(times)
    pct = "—" if result["reviews_in_window_pct"] is None else f"{result['reviews_in_window_pct']}%"
    console.print(f"reviews within the window: {result['reviews_in_window']}/{result['reviews_due']} ({pct})")
    console.print(f"action items: {result['items_total']} total, {result['items_completed']} completed "
                  f"({result['items_completed_on_time']} on time), {result['items_open']} open, "
                  f"{len(result['items_overdue'])} overdue")
    for item in result["items_overdue"]:
        console.print(f"  overdue {item['id']} ({item['owner']}, due {item['due']}): {item['title']}")
    for team in result["completion_by_team"]:
        console.print(f"  {team['team']}: {team['completed']}/{team['total']} completed ({team['rate']}%)")
    if result.get("game_days"):
        console.print(f"game days: {result['game_days']} (not counted above: `warroom gameday list`)")


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    minutes, seconds = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def outbox(rows: list[Any]) -> None:
    console = _console()
    if not rows:
        console.print("the outbox is empty")
        return
    table = _table("#", "time (UTC)", "channel", "to", "incident", "action", "why")
    for row in rows:
        table.add_row(str(row.id), f"{row.created_at:%m-%d %H:%M:%S}", row.channel, row.recipient, row.incident,
                      row.action_key, (row.text.splitlines() + [""])[1])
    console.print(table)


def review(result: dict[str, Any]) -> None:
    """`review show`: who submitted it and when, its action items, then the document itself."""
    items = result.get("items") or []
    at = _when(result["at"], "%Y-%m-%d %H:%M")
    print(f"{result['incident_id']}: review submitted by {result['actor']} at {at} UTC; {len(items)} action item(s)")
    for item in items:
        print(f"  - {item['title']} (@{item['owner']}, due {item['due']})")
    print()
    print(result["document"])


def exercises(rows: list[dict[str, Any]]) -> None:
    console = _console()
    if not rows:
        console.print("no game days yet: `warroom gameday run SCENARIO`")
        return
    table = _table("exercise", "started", "scenario", "IC", "comms", "speed", "incident", "score")
    for r in rows:
        table.add_row(r["id"], r["started"][:16].replace("T", " "), r["scenario"], r["ic"], r["comms"],
                      f"{r['speed']}x", r["incident"] or "—", r["tally"] or ("running" if r["running"] else "—"))
    console.print(table)


def game_day_roster(rows: list[dict[str, Any]]) -> None:
    table = _table("turn", "person", "last IC", "last comms lead", "times IC", "now")
    for r in sorted(rows, key=lambda r: r["turn"]):
        table.add_row(str(r["turn"]), r["handle"], (r["last_ic"] or "never")[:10], (r["last_comms"] or "never")[:10],
                      str(r["times_ic"]), r["skipped"] or "")
    _console().print(table)


def debrief(result: dict[str, Any]) -> None:
    print(result["document"])


def _override(o: dict[str, Any]) -> str:
    instead = f" instead of {o['replaces']}" if o.get("replaces") else ""
    why = f" ({o['reason']})" if o.get("reason") else ""
    return f"{o['by']}{instead} {_when(o['start'], '%Y-%m-%d %H:%M')} – {_when(o['end'], '%Y-%m-%d %H:%M')} UTC{why}"


def on_call(rows: list[dict[str, Any]], title: str) -> None:
    """`oncall now|next`: one row per team; an override shows as the note under its row."""
    table = _table("team", "primary", "secondary", "manager", "from (UTC)", "until (UTC)", title=title)
    for r in rows:
        layer = f" ({r['layer']})" if r.get("layer") else ""
        table.add_row(r["team"], r["primary"] + layer, r["secondary"] or "—", r["manager"] or "—",
                      _when(r["since"], "%Y-%m-%d %H:%M"), _when(r["until"], "%Y-%m-%d %H:%M"))
        for o in r.get("overrides") or ():
            table.add_row("", f"[dim]override: {_override(o)}[/dim]", "", "", "", "")
    _console().print(table)


def overrides(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no overrides recorded: `warroom oncall override TEAM --to … --by HANDLE`")
    for o in rows:
        print(f"{_override(o)}  · recorded by {o.get('actor') or 'oncall.yaml'}")


def feeds(result: dict[str, Any], base: str) -> None:
    """`oncall feed`: subscribe to these in a calendar app; each holds your feed token."""
    base = base.rstrip("/")
    print(f"your shifts: {base}{result['person']}")
    for team, path in result["teams"].items():
        print(f"{team}: {base}{path}")
