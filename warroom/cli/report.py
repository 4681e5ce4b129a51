"""`warroom report`: incidents, response times, reviews and action items over a period."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from warroom import report as reports
from warroom.cli.incident import Json, run
from warroom.cli.output import USAGE, emit_json, fail
from warroom.cli.policy import load
from warroom.cli.render import console
from warroom.temporal import incidents as remote, items as remote_items, report as remote_report
from warroom.durations import parse_duration


async def gather(client, policy, since: datetime, now: datetime) -> reports.Report:  # noqa: ANN001
    incidents, items = await remote_report.report_facts(client, since)
    return reports.build(incidents, items, policy, since, now)


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        since: Annotated[str, typer.Option(help="how far back, e.g. 30d, 90d")] = "90d",
        as_json: Json = False,
    ) -> None:
        """Incidents per severity, MTTA/MTTM/MTTR (median, p90), reviews within the window,
        action items completed, on time, open, overdue, and completion per team."""
        try:
            period = parse_duration(since)
        except ValueError as exc:
            fail(f"--since: {exc}", USAGE)
        policy = load(None)
        now = datetime.now(UTC)
        result = run(lambda client: gather(client, policy, now - period, now))
        if as_json:
            emit_json(result)
            return
        h = reports.human
        console.print(f"[bold]warroom report[/bold] {result.since:%Y-%m-%d} → {result.until:%Y-%m-%d}: {result.incidents} incident(s)")
        console.print("by severity: " + ", ".join(f"{k} {v}" for k, v in result.by_severity.items()))
        times = Table("", "median", "p90", "n", box=None)
        for name, stat in (("time to acknowledge", result.mtta), ("time to mitigate", result.mttm), ("time to resolve", result.mttr)):
            times.add_row(name, h(stat.median_s), h(stat.p90_s), str(stat.count))
        console.print(times)
        pct = "—" if result.reviews_in_window_pct is None else f"{result.reviews_in_window_pct}%"
        console.print(f"reviews within the window: {result.reviews_in_window}/{result.reviews_due} ({pct})")
        console.print(
            f"action items: {result.items_total} total, {result.items_completed} completed "
            f"({result.items_completed_on_time} on time), {result.items_open} open, {len(result.items_overdue)} overdue"
        )
        for item in result.items_overdue:
            console.print(f"  overdue {item.id} ({item.owner}, due {item.due}): {item.title}")
        for team in result.completion_by_team:
            console.print(f"  {team.team}: {team.completed}/{team.total} completed ({team.rate}%)")
