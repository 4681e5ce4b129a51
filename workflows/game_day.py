"""GameDayWorkflow: one exercise (R-GAME-24), from a person's `warroom gameday run` or the team's
quarterly Schedule. It picks the roles (R-GAME-25), opens the incident as a game day through the
same path a real one takes (an alert into an alert group, or a declaration), fires the scenario's
injects on their timeline, ends at resolution or the scenario's limit, and returns the debrief.

At `speed` N every duration runs N times faster: the incident's policy snapshot is the policy
scaled by 1/N and the injects fall at their times divided by N; every message says so
("[GAME DAY, 4x speed]"). Thin, as the incident workflow: the rules are warroom.gamedays.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict, Field

    from activities.exercises import ExerciseAlert, GameDayActivities, Picked, PickRoles
    from activities.incidents import IncidentActivities, OpenIncident, SendCommand
    from warroom.commands import AddNote, Declare, IncidentCommand, Resolve, SetFlag
    from warroom.commands.verbs import GAME_DAY_ACTOR
    from warroom.durations import format_duration
    from warroom.gamedays.debrief import Debrief, debrief
    from warroom.gamedays.scenario import Inject, Scenario
    from warroom.policy import Policy
    from warroom.state import IncidentState, new_incident_id
    from warroom.temporal import board
    from workflows.attempts import CALL, TOOL

ACTOR = GAME_DAY_ACTOR
POLL = timedelta(minutes=1)  # in policy time: how often the exercise looks whether it was resolved


class GameDayInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    team: str
    policy: Policy  # the whole policy, as the starter read it
    scenarios: dict[str, Scenario]  # those it may run
    scenario: str | None = None  # None (a scheduled run): the team's least recently run one
    speed: int = Field(1, ge=1, le=60)
    actor: str  # who started it: a person, or system:schedule


@workflow.defn
class GameDayWorkflow:
    @workflow.run
    async def run(self, start: GameDayInput) -> Debrief:
        exercise = workflow.info().workflow_id
        picked: Picked = await workflow.execute_activity_method(
            GameDayActivities.roles, PickRoles(team=start.team, policy=start.policy, scenarios=tuple(start.scenarios),
                                               scenario=start.scenario), summary="pick the IC and comms lead", **CALL)
        scenario = start.scenarios[picked.scenario]
        policy = start.policy.for_service(scenario.service).scaled(1 / start.speed)
        roles = picked.roles
        memo = {"team": start.team, "scenario": scenario.name, "title": scenario.title, "ic": roles.ic,
                "comms": roles.comms, "speed": start.speed, "actor": start.actor}
        workflow.upsert_memo(memo)
        workflow.upsert_search_attributes([board.SERVICE.value_set(scenario.service),
                                           board.COMMANDER.value_set(roles.ic), board.GAME_DAY.value_set(True)])
        began = workflow.now()
        incident = await self._open(exercise, scenario, policy, start.speed)
        workflow.upsert_memo({"incident": incident})
        await self._note(incident, f"game day {exercise}: {scenario.title}. This exercise's IC is {roles.ic} and its "
                                   f"comms lead {roles.comms} (R-GAME-25): `warroom role ic {roles.ic} {incident}`."
                         + (f" Time runs {start.speed}x faster." if start.speed > 1 else ""))
        state = await self._exercise(exercise, incident, scenario, policy, start.speed, began)
        result = debrief(exercise, state, policy, scenario, roles)
        workflow.upsert_memo({"tally": ", ".join(f"{n} {o}" for o, n in sorted(result.tally.items()))})
        return result

    async def _open(self, exercise: str, scenario: Scenario, policy: Policy, speed: int) -> str:
        """Through the path a real incident takes: the alert into its group, or a declaration."""
        if scenario.start.alert is not None:
            batch = scenario.start.alert.batch(workflow.now(), exercise, speed)
            await workflow.execute_activity_method(GameDayActivities.alert, ExerciseAlert(batch=batch, policy=policy),
                                                   summary="the first alert", **CALL)
            return await workflow.execute_activity_method(GameDayActivities.incident_of, batch.group_id,
                                                          summary="the incident it opened", **CALL)
        declared = scenario.start.declare
        assert declared is not None
        command = Declare(actor=ACTOR, title=declared.title, service=scenario.service, severity=declared.severity,
                          game_day=True, speed=speed)
        request = OpenIncident(incident_id=new_incident_id(workflow.random().choice), policy=policy, declare=command)
        return await workflow.execute_activity_method(IncidentActivities.open_incident, request,
                                                      summary="declare", **CALL)

    async def _exercise(self, exercise: str, incident: str, scenario: Scenario, policy: Policy, speed: int,
                        began: datetime) -> IncidentState:
        """Fire the injects at their times; stop at resolution or the limit (then resolve it)."""
        pending = sorted(scenario.injects, key=lambda i: i.at)
        ends = began + scenario.limit / speed
        while True:
            while pending and began + pending[0].at / speed <= workflow.now():
                await self._inject(exercise, incident, pending.pop(0), policy, speed)
            open_ = await workflow.execute_activity_method(IncidentActivities.incident_is_open, incident,
                                                           summary="still open?", **CALL)
            if not open_ or workflow.now() >= ends:
                break
            wake = min([began + pending[0].at / speed] if pending else [], default=ends)
            wake = min(wake, ends, workflow.now() + max(POLL / speed, timedelta(seconds=2)))
            await workflow.sleep(max(wake - workflow.now(), timedelta(milliseconds=1)), summary="next inject or check")
        if open_:
            await self._command(incident, Resolve(actor=ACTOR, reason=f"the game day's limit "
                                                  f"({format_duration(scenario.limit)}) was reached"))
        return await self._state(incident)  # once: the whole state is large, the polls ask yes or no

    async def _inject(self, exercise: str, incident: str, inject: Inject, policy: Policy, speed: int) -> None:
        await self._note(incident, f"inject at +{format_duration(inject.at)}: {inject.what} "
                                   f"(meant to provoke: {inject.provokes})")
        if inject.alert is not None:
            batch = inject.alert.batch(workflow.now(), exercise, speed)
            await workflow.execute_activity_method(GameDayActivities.alert, ExerciseAlert(batch=batch, policy=policy),
                                                   summary="inject: an alert", **CALL)
        elif inject.flag is not None:
            await self._command(incident, SetFlag(actor=ACTOR, flag=inject.flag, note=inject.provokes))
        elif inject.webhook is not None:
            try:
                answer = await workflow.execute_activity_method(GameDayActivities.fault, inject.webhook,
                                                                summary="inject: fault", **TOOL)
                await self._note(incident, f"the fault-injection tool answered {answer}")
            except ActivityError as exc:
                await self._note(incident, f"the fault-injection tool could not be reached: {exc.cause or exc}")

    async def _state(self, incident: str) -> IncidentState:
        return await workflow.execute_activity_method(GameDayActivities.state, incident, summary="look", **CALL)

    async def _note(self, incident: str, text: str) -> None:
        await self._command(incident, AddNote(actor=ACTOR, text=text[:2000]))

    async def _command(self, incident: str, command: IncidentCommand) -> None:
        await workflow.execute_activity_method(IncidentActivities.incident_command,
                                               SendCommand(incident_id=incident, command=command),
                                               summary=f"{command.verb} → {incident}", **CALL)
