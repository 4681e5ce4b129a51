"""/report: the same report as `warroom report`, as a page with charts drawn server-side as SVG
(no script, no external asset)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from warroom import report as reports
from warroom.durations import parse_duration
from warroom.gateway.desk import Desk
from warroom.temporal.connection import Unavailable

COLOURS = {"SEV1": "#cf222e", "SEV2": "#d1570f", "SEV3": "#bf8700", "SEV4": "#57606a"}


def bars(title: str, values: list[tuple[str, float, str]], maximum: float, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG."""
    height = 28 * len(values) + 30
    rows = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
            f'viewBox="0 0 420 {height}" width="100%">',
            f'<text x="0" y="16" font-size="14" font-weight="600">{escape(title)}</text>']
    for index, (label, value, colour) in enumerate(values):
        y = 30 + index * 28
        width = 0 if maximum <= 0 else 260 * value / maximum
        rows.append(f'<text x="0" y="{y + 15}" font-size="13">{escape(label)}</text>')
        rows.append(
            f'<rect x="110" y="{y + 2}" width="{width:.1f}" height="18" fill="{colour}" data-value="{value:g}"/>'
        )
        rows.append(f'<text x="{115 + width:.1f}" y="{y + 15}" font-size="13">{value:g}{unit}</text>')
    rows.append("</svg>")
    return "\n".join(rows)


def page(result: reports.Report) -> str:
    h = reports.human
    severity_chart = bars("Incidents per severity", [(k, v, COLOURS[k]) for k, v in result.by_severity.items()],
                          max(result.by_severity.values(), default=0))
    team_chart = bars("Action items completed per team",
                      [(t.team, t.rate or 0, "#1f883d") for t in result.completion_by_team],
                      100, "%")
    overdue = "".join(f"<li>{escape(i.id)} — {escape(i.owner)}, due {i.due}: {escape(i.title)}</li>"
                      for i in result.items_overdue)
    pct = "—" if result.reviews_in_window_pct is None else f"{result.reviews_in_window_pct}%"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>warroom report</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#1d2330}}
table{{border-collapse:collapse}}\
td,th{{padding:.25rem .75rem;text-align:left;border-bottom:1px solid #e5e7eb}}</style></head>
<body><h1>warroom report</h1>
<p>{result.since:%Y-%m-%d} → {result.until:%Y-%m-%d}: <strong>{result.incidents}</strong> incident(s)</p>
{severity_chart}
<table><tr><th></th><th>median</th><th>p90</th><th>n</th></tr>
<tr><td>time to acknowledge</td><td>{h(result.mtta.median_s)}</td><td>{h(result.mtta.p90_s)}</td>\
<td>{result.mtta.count}</td></tr>
<tr><td>time to mitigate</td><td>{h(result.mttm.median_s)}</td><td>{h(result.mttm.p90_s)}</td>\
<td>{result.mttm.count}</td></tr>
<tr><td>time to resolve</td><td>{h(result.mttr.median_s)}</td><td>{h(result.mttr.p90_s)}</td>\
<td>{result.mttr.count}</td></tr></table>
<p>Reviews within the window: {result.reviews_in_window}/{result.reviews_due} ({pct})</p>
<p>Action items: {result.items_total} total, {result.items_completed} completed \
({result.items_completed_on_time} on time),
{result.items_open} open, {len(result.items_overdue)} overdue.</p>
<p>Game days: {result.game_days} (exercises, not counted above).</p>
{team_chart}
<h2>Overdue</h2><ul>{overdue or "<li>none</li>"}</ul>
</body></html>"""


def router(desk: Desk) -> APIRouter:
    routes = APIRouter(tags=["report"])

    @routes.get("/report", response_class=HTMLResponse, summary="The process report, with charts")
    async def report_page(since: str = Query("90d", description="how far back, e.g. 30d")) -> Response:
        try:
            period = parse_duration(since)
        except ValueError as exc:
            return JSONResponse({"error": f"since: {exc}"}, status_code=422)
        now = datetime.now(UTC)
        try:
            result = await desk.report(now - period, now)
        except Unavailable as exc:
            return JSONResponse({"error": f"{exc}; retry later"}, status_code=503, headers={"Retry-After": "10"})
        return HTMLResponse(page(result))

    return routes
