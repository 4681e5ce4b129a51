"""The desk: every verb of the table carried out for an authenticated actor, through the door.
The REST routes and chat both come here with a verb, its subject and a body of plain values;
neither knows how the other reads its input, and neither talks to Temporal itself."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio.client import Client

from warroom import feeds, oncall
from warroom import report as reports
from warroom.action_items import AddItem, ItemState, normalize_item_id
from warroom.commands import Command, Declare, PostUpdate, Publish, Refused
from warroom.durations import parse_duration
from warroom.feeds import FeedKey
from warroom.gamedays import rotation
from warroom.gamedays.commands import RunGameDay, ScheduleGameDays, may_run
from warroom.gamedays.debrief import Debrief
from warroom.gamedays.rotation import Due
from warroom.gamedays.scenario import Scenario, ScenarioError, load_scenarios
from warroom.gateway.identity import Caller
from warroom.overrides import RecordOverride
from warroom.policy import Policy, load_policy
from warroom.requests import Invalid, build
from warroom.roster import HANDLE
from warroom.schedule import Override
from warroom.severity import Severity
from warroom.state import Status, normalize_incident_id
from warroom.temporal import gamedays, incidents, items
from warroom.temporal import oncall as oncall_door
from warroom.temporal.report import ReportFacts
from warroom.verbs import Verb
from warroom.views import CommandResult, IncidentView, SubmittedReview

LIST_PAGE, LIST_MAX = 200, 1000  # `warroom list`'s page: the rows one visibility call returns
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_EXERCISE = re.compile(r"^gameday-[a-z0-9][a-z0-9_-]{0,120}$")


class Desk:
    def __init__(self, client: Callable[[], Awaitable[Client]], policy: Policy, task_queue: str, runbooks: Any,
                 feeds: FeedKey | None = None):
        self.client, self.policy, self.task_queue, self.runbooks = client, policy, task_queue, runbooks
        self.feeds = feeds
        self.facts = ReportFacts()  # kept between reports: a closed incident is read once
        self.reads: dict[str, Callable[[str | None, Mapping[str, Any]], Awaitable[Any]]] = {
            "show": self._show, "list": self._list, "review draft": self._draft, "review show": self._review,
            "action list": self._items,
            "report": self._report,
            "gameday list": self._exercises, "gameday roster": self._roster, "gameday debrief": self._debrief,
            "oncall now": self._now, "oncall next": self._next, "oncall overrides": self._overrides,
        }

    async def run(self, verb: Verb, subject: str | None, body: Mapping[str, Any], caller: Caller) -> Any:
        """Carry out a mutating verb; Invalid, Refused (UnknownIncident) and Unavailable say why not."""
        policy = load_policy(self.runbooks) if verb.command == "policy-reload" else self.policy
        if verb.command == "policy-reload":  # the recorded overrides come along, as at declaration
            policy = await oncall_door.with_overrides(await self.client(), policy, self.task_queue)
        return await self.carry_out(through(build(verb, body, caller.handle, policy, subject), caller), subject)

    async def carry_out(self, command: Any, subject: str | None, request_id: str | None = None) -> Any:
        """A command already built (chat buttons build theirs directly). `request_id` (a signed
        request's own) makes a replay of the same request the same command, applied once."""
        client = await self.client()
        if isinstance(command, RunGameDay | ScheduleGameDays):
            return await self._game_day(client, command)
        if isinstance(command, RecordOverride):
            return await self._override(client, command)
        if isinstance(command, Declare):
            return await incidents.declare(client, self.policy, command, self.task_queue, request_id=request_id)
        if isinstance(command, Command):
            return await incidents.send(client, _incident(subject), command, update_id=request_id)
        if isinstance(command, AddItem):  # the subject is its incident
            command = command.model_copy(update={"incident_id": _incident(subject)})
            return await items.add_item(client, self.policy, command, self.task_queue, origin=request_id)
        try:
            item_id = normalize_item_id(subject or "")
        except ValueError as exc:
            raise Invalid([("item", str(exc))]) from None
        return await items.change_item(client, item_id, command, update_id=request_id, policy=self.policy)

    async def preview(self, verb: Verb, subject: str | None, body: Mapping[str, Any], caller: Caller) -> str:
        """The message a previewable verb would send; nothing is sent or recorded."""
        return await self.preview_command(build(verb, body, caller.handle, self.policy), subject)

    async def preview_command(self, command: Any, subject: str | None) -> str:
        assert isinstance(command, Publish | PostUpdate), command
        return await incidents.preview(await self.client(), _incident(subject), command)

    async def read(self, verb: Verb, subject: str | None, query: Mapping[str, Any],
                   caller: Caller | None = None) -> Any:
        if verb.name == "oncall feed":  # the one read that depends on who asks
            return self._feed(caller)
        return await self.reads[verb.name](subject, query)

    async def _show(self, subject: str | None, query: Mapping[str, Any]) -> IncidentView:
        return await incidents.view(await self.client(), _incident(subject))

    async def _list(self, subject: str | None, query: Mapping[str, Any]) -> incidents.IncidentPage:
        severity, status, service = query.get("severity"), query.get("status"), query.get("service")
        limit = LIST_PAGE if query.get("limit") is None else query["limit"]
        errors = [] if isinstance(limit, int) and 1 <= limit <= LIST_MAX else [
            ("limit", f"{limit!r} is not 1..{LIST_MAX}")]
        if severity is not None:
            try:
                severity = Severity.parse(str(severity)).value
            except ValueError as exc:
                errors.append(("severity", str(exc)))
        if status is not None and status not in {s.value for s in Status}:
            errors.append(("status", f"{status!r} is not a status ({', '.join(s.value for s in Status)})"))
        if service is not None and not _SERVICE.match(str(service)):
            errors.append(("service", f"{service!r} is not a service name"))
        if errors:
            raise Invalid(errors)
        game_day = query.get("game_day")
        exercises = None if game_day is None else str(game_day).lower() == "true"
        try:
            return await incidents.list_incidents(await self.client(), incidents.incident_query(
                severity, status, service, bool(query.get("all")), exercises), limit, query.get("page_token"))
        except incidents.BadPageToken as exc:
            raise Invalid([("page_token", str(exc))]) from None

    async def _draft(self, subject: str | None, query: Mapping[str, Any]) -> str:
        return await incidents.review_draft(await self.client(), _incident(subject))

    async def _review(self, subject: str | None, query: Mapping[str, Any]) -> SubmittedReview:
        state = (await incidents.view(await self.client(), _incident(subject))).state
        if state.review is None:
            if state.closed_at is not None:
                raise Refused(f"{state.id} closed without a review (its severity needs none)")
            raise Refused(f"{state.id} has no review yet: `warroom review draft {state.id}` prints the draft "
                          "to fill in, `warroom review submit` sends it (R-PIR-21)")
        review = state.review
        return SubmittedReview(incident_id=state.id, at=review.at, actor=review.actor, document=review.document,
                               items=review.items)

    async def _items(self, subject: str | None, query: Mapping[str, Any]) -> list[ItemState]:
        owner, incident = query.get("owner"), query.get("incident")
        if owner is not None and not HANDLE.match(str(owner).lower()):
            raise Invalid([("owner", f"{owner!r} is not a handle")])
        found = await items.items(await self.client(), items.item_query(
            str(owner).lower() if owner else None, _incident(incident) if incident else None, bool(query.get("all"))))
        now = datetime.now(UTC)
        if query.get("overdue"):
            found = [i for i in found if i.overdue(now)]
        return sorted(found, key=lambda i: (i.status != "open", i.due, i.id))

    async def _report(self, subject: str | None, query: Mapping[str, Any]) -> reports.Report:
        try:
            period = parse_duration(str(query.get("since") or "90d"))
            now = datetime.now(UTC)
            since = now - period
        except (ValueError, OverflowError) as exc:
            raise Invalid([("since", str(exc) if isinstance(exc, ValueError) else "too far back")]) from None
        return await self.report(since, now)

    async def report(self, since: datetime, now: datetime) -> reports.Report:
        """The report of incidents detected since `since` (the REST verb, `warroom report`, /report)."""
        found, chased, exercises = await self.facts.read(await self.client(), since)
        return reports.build(found, chased, self.policy, since, now, exercises)


    async def _game_day(self, client: Client, command: RunGameDay | ScheduleGameDays) -> Started:
        """R-GAME-24: run one now, or keep the team's schedule; the `gameday` permission decides who."""
        scenarios = self._scenarios()
        now = datetime.now(UTC)
        if isinstance(command, ScheduleGameDays):
            may_run(command.actor, command.team, self.policy, now)
            message = await gamedays.schedule(client, self.policy, scenarios, command.team, command.actor,
                                              self.task_queue)
            return Started(id=gamedays.schedule_id(command.team), message=message)
        scenario = scenarios.get(command.scenario)
        if scenario is None:
            raise Invalid([("scenario", f"no scenario {command.scenario!r} ({', '.join(sorted(scenarios)) or 'none'}"
                                        " under runbooks/gamedays/)")])
        team = command.team or self.policy.runbook(scenario.service).team
        may_run(command.actor, team, self.policy, now)
        exercise = await gamedays.run(client, self.policy, scenarios, team, command.scenario, command.speed,
                                      command.actor, self.task_queue)
        return Started(id=exercise, message=f"game day {exercise} started: {scenario.title} at {command.speed}x speed "
                                            f"(`warroom gameday list`, the board; nothing reaches customers)")

    def _scenarios(self) -> dict[str, Scenario]:
        try:
            return load_scenarios(Path(self.runbooks) / "gamedays", set(self.policy.runbooks))
        except ScenarioError as exc:
            raise Refused(f"the game-day scenarios do not load: {exc.problems[0]}") from None

    async def _exercises(self, subject: str | None, query: Mapping[str, Any]) -> list[gamedays.ExerciseRow]:
        team = query.get("team")
        return await gamedays.exercises(await self.client(), self.task_queue, self._team(team) if team else None)

    async def _roster(self, subject: str | None, query: Mapping[str, Any]) -> list[Due]:
        team = self._team(query.get("team"))
        served = await gamedays.served(await self.client(), self.task_queue, team)
        return rotation.roster(self.policy.roster.teams[team], self.policy.roster, served, datetime.now(UTC))

    async def _debrief(self, subject: str | None, query: Mapping[str, Any]) -> Debrief:
        exercise = str(query.get("exercise") or "")
        if not _EXERCISE.match(exercise):
            raise Invalid([("exercise", f"{exercise[:80]!r} is not a game day's id (gameday-TEAM-…)")])
        return await gamedays.result(await self.client(), exercise)

    def _team(self, team: Any) -> str:
        if team not in self.policy.roster.teams:
            known = ", ".join(sorted(self.policy.roster.teams))
            raise Invalid([("team", f"{str(team)[:80]!r} is not a team ({known})")])
        return str(team)


    async def _override(self, client: Client, command: RecordOverride) -> Started:
        """Checked whole before anything is recorded: the fields, then the `oncall` permission."""
        now = datetime.now(UTC)
        if errors := command.problems(self.policy, now):
            raise Invalid(errors)
        command.authorize(self.policy, now)
        recorded = await oncall_door.record(client, command.team, command.override(now), self.task_queue)
        return Started(id=oncall_door.workflow_id(command.team, self.task_queue),
                       message=f"override for {command.team} recorded: {recorded.line}")

    async def _now(self, subject: str | None, query: Mapping[str, Any]) -> list[oncall.OnCall]:
        return await self._on_call(query, oncall.now)

    async def _next(self, subject: str | None, query: Mapping[str, Any]) -> list[oncall.OnCall]:
        return await self._on_call(query, oncall.following)

    async def _on_call(self, query: Mapping[str, Any],
                       answer: Callable[..., list[oncall.OnCall]]) -> list[oncall.OnCall]:
        """`oncall now|next`: the gateway's roster with the overrides recorded, as an incident's is."""
        teams = [self._team(query["team"])] if query.get("team") else sorted(self.policy.roster.teams)
        policy = await oncall_door.with_overrides(await self.client(), self.policy, self.task_queue, teams)
        return answer(policy.roster, teams, datetime.now(UTC))

    async def _overrides(self, subject: str | None, query: Mapping[str, Any]) -> list[Override]:
        team = self._team(query.get("team"))
        return list(await oncall_door.recorded(await self.client(), team, self.task_queue))

    def _feed(self, caller: Caller | None) -> Feeds:
        if caller is None or self.feeds is None:
            raise Refused("calendar feeds are served by the gateway to a signed-in person")
        token = self.feeds.token(caller.handle)
        return Feeds(person=f"{feeds.person_path(caller.handle)}?token={token}",
                     teams={t: f"{feeds.team_path(t)}?token={token}" for t in sorted(self.policy.roster.teams)})


class Feeds(BaseModel):
    """The addresses of a person's calendar feeds, relative to the gateway's URL."""

    model_config = ConfigDict(frozen=True)
    person: str
    teams: dict[str, str]


class Started(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    message: str


def through(command: Any, caller: Caller) -> Any:
    """The command marked with where it came from (the timeline keeps it beside the actor)."""
    return command.model_copy(update={"through": caller.through}) if isinstance(command, Command) else command


def _incident(subject: str | None) -> str:
    try:
        return normalize_incident_id(subject or "")
    except ValueError as exc:
        raise Invalid([("incident", str(exc))]) from None


def result_line(result: Any) -> str:
    """A command's result in one line, as chat and the CLI print it."""
    if isinstance(result, CommandResult):
        return f"{result.incident_id}: {result.message}"
    if isinstance(result, ItemState):
        return f"{result.id}: {result.history[-1].text}"
    return str(result)
