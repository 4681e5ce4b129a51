"""What an alert group does to incidents, through the same command layer as the CLI: open one,
send it a command, ask whether it is still open."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from warroom.commands import Declare, IncidentCommand, Refused
from warroom.policy import Policy
from warroom.temporal import incidents
from warroom.temporal.connection import UnknownIncident


class OpenIncident(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    policy: Policy
    declare: Declare


class SendCommand(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    command: IncidentCommand


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    applied: bool
    ended: bool  # the incident is resolved or closed: it takes no more news
    message: str


class IncidentActivities:
    def __init__(self, client: Client, task_queue: str):
        self.client, self.task_queue = client, task_queue

    @activity.defn(name="open_incident")
    async def open_incident(self, request: OpenIncident) -> str:
        try:
            result = await incidents.declare(
                self.client, request.policy, request.declare, self.task_queue, incident_id=request.incident_id
            )
        except Refused as exc:
            raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None
        return result.incident_id

    @activity.defn(name="incident_command")
    async def incident_command(self, request: SendCommand) -> Outcome:
        try:
            info = activity.info()  # the same on every retry: the Update is applied once
            update_id = f"{info.workflow_id}:{info.workflow_run_id}:{info.activity_id}"
            result = await incidents.send(self.client, request.incident_id, request.command, update_id=update_id)
            return Outcome(applied=True, ended=False, message=result.message)
        except UnknownIncident as exc:
            return Outcome(applied=False, ended=True, message=str(exc))
        except Refused as exc:
            view = await incidents.view(self.client, request.incident_id)
            return Outcome(applied=False, ended=view.state.resolved, message=str(exc))

    @activity.defn(name="incident_is_open")
    async def incident_is_open(self, incident_id: str) -> bool:
        try:
            view = await incidents.view(self.client, incident_id)
        except UnknownIncident:
            return False
        return not view.state.resolved

    def all(self) -> list:
        return [self.open_incident, self.incident_command, self.incident_is_open]
