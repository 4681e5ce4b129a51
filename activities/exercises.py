"""What a game day does outside its own workflow (R-GAME-24/25): read who served before, send the
exercise's alerts into the same alert-group path a real alert takes, find the incident an alert
opened, read the incident, and call the operator's fault-injection tool."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import http
from warroom.alerts.events import AlertBatch
from warroom.gamedays.rotation import Roles, choose
from warroom.gamedays.scenario import Webhook
from warroom.policy import Policy
from warroom.state import IncidentState

if TYPE_CHECKING:
    from warroom.temporal.door import Door


class PickRoles(BaseModel):
    model_config = ConfigDict(frozen=True)
    team: str
    policy: Policy
    scenarios: tuple[str, ...]  # choose the least recently run of these when `scenario` is None
    scenario: str | None = None


class Picked(BaseModel):
    model_config = ConfigDict(frozen=True)
    roles: Roles
    scenario: str


class ExerciseAlert(BaseModel):
    model_config = ConfigDict(frozen=True)
    batch: AlertBatch
    policy: Policy  # the exercise's, compressed: the incident the alert opens runs under it


class GameDayActivities:
    def __init__(self, door: Door):
        self.door = door

    @activity.defn(name="game_day_roles")
    async def roles(self, request: PickRoles) -> Picked:
        served = await self.door.served(request.team)
        team = request.policy.roster.teams[request.team]
        roles = choose(team, request.policy.roster, served, activity.info().current_attempt_scheduled_time)
        if request.scenario is not None:
            return Picked(roles=roles, scenario=request.scenario)
        last = {s.scenario: s.at for s in sorted(served, key=lambda s: s.at)}
        names = list(request.scenarios)
        scenario = sorted(names, key=lambda n: (n in last, last.get(n), names.index(n)))[0]
        return Picked(roles=roles, scenario=scenario)

    @activity.defn(name="game_day_alert")
    async def alert(self, request: ExerciseAlert) -> None:
        await self.door.alert(request.batch, request.policy)

    @activity.defn(name="game_day_incident")
    async def incident_of(self, group_id: str) -> str:
        """The incident the exercise's first alert opened: asked a few times, then retried by Temporal."""
        for _ in range(20):
            incident = await self.door.group_incident(group_id)
            if incident is not None:
                return incident
            await asyncio.sleep(0.25)
        raise ApplicationError(f"{group_id} has opened no incident yet", type="NotYet")

    @activity.defn(name="game_day_state")
    async def state(self, incident_id: str) -> IncidentState:
        return (await self.door.view(incident_id)).state

    @activity.defn(name="game_day_fault")
    async def fault(self, webhook: Webhook) -> str:
        """POST the inject to the operator's tool; its answer is recorded, never trusted further."""
        response = await http.request(None, "POST", webhook.url, "fault injection", json=webhook.body)
        return f"HTTP {response.status_code}"

    def all(self) -> list:
        return [self.roles, self.alert, self.incident_of, self.state, self.fault]
