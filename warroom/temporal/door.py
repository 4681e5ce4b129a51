"""The door as an object bound to one client and task queue: what activities are handed (by the
worker) when they must act on other workflows. Activities receive it rather than import the door,
because the door imports the workflows and the workflows name the activities they call."""

from __future__ import annotations

from temporalio.client import Client

from warroom.action_items import AddItem, ItemState
from warroom.alerts.events import AlertBatch
from warroom.commands import Command, Declare
from warroom.gamedays.rotation import Served
from warroom.policy import Policy
from warroom.temporal import alerts, gamedays, incidents, items, throttle
from warroom.throttle import Page, Verdict
from warroom.views import CommandResult, IncidentView


class Door:
    def __init__(self, client: Client, task_queue: str):
        self.client, self.task_queue = client, task_queue

    async def declare(self, policy: Policy, command: Declare, incident_id: str | None = None) -> CommandResult:
        return await incidents.declare(self.client, policy, command, self.task_queue, incident_id=incident_id)

    async def send(self, incident: str, command: Command, update_id: str | None = None) -> CommandResult:
        return await incidents.send(self.client, incident, command, update_id=update_id)

    async def view(self, incident: str) -> IncidentView:
        return await incidents.view(self.client, incident)

    async def add_item(self, policy: Policy, command: AddItem, origin: str | None = None) -> ItemState:
        return await items.add_item(self.client, policy, command, self.task_queue, origin=origin)

    async def alert(self, batch: AlertBatch, policy: Policy) -> None:
        await alerts.signal_group(self.client, batch, policy, self.task_queue)

    async def group_incident(self, group_id: str) -> str | None:
        return await alerts.group_incident(self.client, group_id)

    async def served(self, team: str) -> list[Served]:
        return await gamedays.served(self.client, self.task_queue, team)

    async def admit_page(self, page: Page) -> Verdict:
        return await throttle.admit(self.client, page, self.task_queue)
