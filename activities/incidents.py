"""What an alert group does to incidents, through the same command layer as the CLI: open one,
send it a command, ask whether it is still open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from temporalio import activity
from temporalio.exceptions import ApplicationError

from warroom.action_items import AddItem
from warroom.commands import Declare, IncidentCommand, Refused
from warroom.policy import Policy
from warroom.state import ReviewItem
from warroom.temporal.connection import UnknownIncident

if TYPE_CHECKING:
    from warroom.temporal.door import Door


class OpenIncident(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    policy: Policy
    declare: Declare


class SendCommand(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    command: IncidentCommand


class StartReviewItems(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    policy: Policy
    actor: str  # who submitted the review: the items' creator
    items: tuple[ReviewItem, ...]


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    applied: bool
    ended: bool  # the incident is resolved or closed: it takes no more news
    message: str


class IncidentActivities:
    def __init__(self, door: Door):
        self.door = door

    @activity.defn(name="open_incident")
    async def open_incident(self, request: OpenIncident) -> str:
        try:
            result = await self.door.declare(request.policy, request.declare, incident_id=request.incident_id)
        except Refused as exc:
            raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None
        return result.incident_id

    @activity.defn(name="incident_command")
    async def incident_command(self, request: SendCommand) -> Outcome:
        try:
            info = activity.info()  # the same on every retry: the Update is applied once
            update_id = f"{info.workflow_id}:{info.workflow_run_id}:{info.activity_id}"
            result = await self.door.send(request.incident_id, request.command, update_id=update_id)
            return Outcome(applied=True, ended=False, message=result.message)
        except UnknownIncident as exc:
            return Outcome(applied=False, ended=True, message=str(exc))
        except Refused as exc:
            view = await self.door.view(request.incident_id)
            return Outcome(applied=False, ended=view.state.resolved, message=str(exc))

    @activity.defn(name="incident_is_open")
    async def incident_is_open(self, incident_id: str) -> bool:
        try:
            view = await self.door.view(incident_id)
        except UnknownIncident:
            return False
        return not view.state.resolved

    @activity.defn(name="start_review_items")
    async def start_review_items(self, request: StartReviewItems) -> list[str]:
        """R-PIR-23: each of the review's items its own chased workflow; a retry starts none twice."""
        started = []
        for item in request.items:
            command = AddItem(actor=request.actor, incident_id=request.incident_id, title=item.title,
                              owner=item.owner, due=item.due)
            try:
                added = await self.door.add_item(request.policy, command,
                                                 origin=f"{request.incident_id}:review:line-{item.line}")
            except Refused as exc:
                raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None
            started.append(added.id)
        return started

    def all(self) -> list:
        return [self.open_incident, self.incident_command, self.incident_is_open, self.start_review_items]
