"""Game days on Temporal: start one, list them, read who served (R-GAME-25), and keep each team's
quarterly Schedule (R-GAME-24). An exercise is a GameDayWorkflow whose memo says its team,
scenario, roles and incident, and whose search attributes mark it as a game day."""

from __future__ import annotations

import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.client import WorkflowExecutionStatus as Status
from temporalio.service import RPCError

from warroom.commands.base import Refused
from warroom.gamedays.debrief import Debrief
from warroom.gamedays.rotation import Served
from warroom.gamedays.scenario import Scenario
from warroom.policy import Policy
from warroom.temporal.connection import of_type, unavailable
from workflows.game_day import GameDayInput, GameDayWorkflow

LIMIT = 500


class ExerciseRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    team: str
    scenario: str
    title: str
    ic: str
    comms: str
    speed: int
    incident: str | None
    started: datetime
    running: bool
    tally: str  # "12 met, 2 missed…" once it ended


def schedule_id(team: str) -> str:
    return f"gameday-{team}"


def _input(policy: Policy, scenarios: dict[str, Scenario], team: str, actor: str, scenario: str | None = None,
           speed: int | None = None) -> GameDayInput:
    services = {s for s, r in policy.runbooks.items() if r.team == team}
    mine = {n: s for n, s in scenarios.items() if s.service in services}
    if not mine:
        raise Refused(f"team: {team} has no game-day scenario (runbooks/gamedays/*.yaml for "
                      f"{', '.join(sorted(services)) or 'its services'})")
    return GameDayInput(team=team, policy=policy, scenarios=mine, scenario=scenario, actor=actor,
                        speed=speed or policy.rules.game_days.speed)


async def run(client: Client, policy: Policy, scenarios: dict[str, Scenario], team: str, scenario: str, speed: int,
              actor: str, task_queue: str) -> str:
    """Start one exercise now; its id."""
    exercise = f"gameday-{team}-{secrets.token_hex(4)}"
    try:
        await client.start_workflow(GameDayWorkflow.run, _input(policy, scenarios, team, actor, scenario, speed),
                                    id=exercise, task_queue=task_queue,
                                    static_summary=f"[GAME DAY] {scenarios[scenario].title} ({speed}x)")
    except RPCError as exc:
        raise unavailable(exc) from None
    return exercise


async def schedule(client: Client, policy: Policy, scenarios: dict[str, Scenario], team: str, actor: str,
                   task_queue: str) -> str:
    """Create the team's Schedule, or bring it up to date (the policy's cron, zone and speed, and
    today's policy and scenarios): running it twice changes nothing more."""
    rules = policy.rules.game_days
    wanted = Schedule(
        action=ScheduleActionStartWorkflow(GameDayWorkflow.run, _input(policy, scenarios, team, actor),
                                           id=schedule_id(team), task_queue=task_queue,
                                           static_summary=f"[GAME DAY] {team}, scheduled"),
        spec=ScheduleSpec(cron_expressions=[rules.cron], time_zone_name=rules.timezone),
    )
    try:
        try:
            await client.create_schedule(schedule_id(team), wanted)
            return f"created {schedule_id(team)}: {rules.cron} ({rules.timezone})"
        except ScheduleAlreadyRunningError:
            def update(_: ScheduleUpdateInput) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=wanted)

            await client.get_schedule_handle(schedule_id(team)).update(update)
            return f"updated {schedule_id(team)}: {rules.cron} ({rules.timezone})"
    except RPCError as exc:
        raise unavailable(exc) from None


async def exercises(client: Client, task_queue: str, team: str | None = None) -> list[ExerciseRow]:
    """This deployment's exercises (its task queue), newest first."""
    rows = []
    try:
        query = f'{of_type(GameDayWorkflow)} AND TaskQueue="{task_queue}"'
        async for execution in client.list_workflows(query, limit=LIMIT):
            memo = await execution.memo()
            if "ic" not in memo or (team and memo.get("team") != team):
                continue  # not yet past picking its roles
            rows.append(ExerciseRow(
                id=execution.id, team=str(memo["team"]), scenario=str(memo["scenario"]), title=str(memo["title"]),
                ic=str(memo["ic"]), comms=str(memo["comms"]), speed=int(memo.get("speed", 1)),
                incident=memo.get("incident"), started=execution.start_time,
                running=execution.status == Status.RUNNING, tally=str(memo.get("tally", ""))))
    except RPCError as exc:
        raise unavailable(exc) from None
    return sorted(rows, key=lambda r: r.started, reverse=True)


async def served(client: Client, task_queue: str, team: str) -> list[Served]:
    return [Served(exercise=r.id, at=r.started, team=r.team, scenario=r.scenario, ic=r.ic, comms=r.comms)
            for r in await exercises(client, task_queue, team)]


async def result(client: Client, exercise: str) -> Debrief:
    """The debrief of an exercise that has ended."""
    handle = client.get_workflow_handle_for(GameDayWorkflow.run, exercise)
    try:
        described = await handle.describe()
    except RPCError as exc:
        if "not found" in exc.message.lower():
            raise Refused(f"no game day {exercise}") from None
        raise unavailable(exc) from None
    if described.status == Status.RUNNING:
        raise Refused(f"{exercise} is still running: its debrief comes when it ends")
    try:
        return await handle.result()
    except Exception as exc:  # a failed or terminated exercise
        raise Refused(f"{exercise} ended without a debrief: {exc}") from None
