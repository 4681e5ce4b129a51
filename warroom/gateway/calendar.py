"""The on-call calendar feeds (warroom.feeds) as `GET /v1/calendar/team/<team>.ics` and
`/v1/calendar/person/<handle>.ics`, for calendar apps: authenticated by the per-person token in
the URL (`?token=`, from `warroom oncall feed`), since a subscription sends no header. A person's
token reads their own feed and every team's, never another person's. 401 for a token that is not
one, 403 for another's feed, 404 for an unknown team, 503 when Temporal (which holds
the overrides) does not answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Query
from fastapi.responses import Response
from temporalio.client import Client

from warroom import feeds
from warroom.feeds import MOST_WEEKS, WEEKS, FeedKey
from warroom.gateway.api import error
from warroom.policy import Policy
from warroom.temporal import oncall
from warroom.temporal.connection import Unavailable

ICS = "text/calendar; charset=utf-8"


def router(policy: Policy, client: Callable[[], Awaitable[Client]], task_queue: str, key: FeedKey) -> APIRouter:
    routes = APIRouter(tags=["calendar"])
    roster = policy.roster
    token_query = Query(..., min_length=1, max_length=200, description="your feed token (`warroom oncall feed`)")
    weeks_query = Query(WEEKS, ge=1, le=MOST_WEEKS, description="how many weeks ahead")

    async def served(teams: list[str], render: Callable[[Policy, datetime], bytes]) -> Response:
        try:
            current = await oncall.with_overrides(await client(), policy, task_queue, teams)
        except Unavailable as exc:
            return error(503, str(exc), retry=True)
        return Response(render(current, datetime.now(UTC)), media_type=ICS, headers={"Cache-Control": "no-store"})

    @routes.get("/v1/calendar/team/{team}.ics", summary="A team's on-call shifts (iCalendar)",
                response_class=Response)
    async def team_feed(team: str, token: str = token_query, weeks: int = weeks_query) -> Response:
        if key.holder(token, roster) is None:
            return error(401, "token: not a calendar feed token (`warroom oncall feed` prints your feeds)")
        if team not in roster.teams:
            return error(404, f"no team {team[:64]!r} ({', '.join(sorted(roster.teams))})")
        return await served([team], lambda p, now: feeds.team_feed(p.roster, team, now, weeks))

    @routes.get("/v1/calendar/person/{handle}.ics", summary="A person's own on-call shifts (iCalendar)",
                response_class=Response)
    async def person_feed(handle: str, token: str = token_query, weeks: int = weeks_query) -> Response:
        holder = key.holder(token, roster)
        if holder is None:
            return error(401, "token: not a calendar feed token (`warroom oncall feed` prints your feeds)")
        if holder != handle:
            return error(403, f"token: {holder}'s token reads {holder}'s own feed and the teams', not {handle[:64]}'s")
        return await served(list(roster.team_of(handle)),
                            lambda p, now: feeds.person_feed(p.roster, handle, now, weeks))

    return routes
