"""The built-in status page provider: the StatusPageWorkflow singleton, through the door."""

from __future__ import annotations

from temporalio.client import Client

from activities.channels import StatusPage
from warroom.publicpage import PublicUpdate
from warroom.temporal import statuspage


class BuiltinStatusPage(StatusPage):
    def __init__(self, client: Client, task_queue: str):
        self.client, self.task_queue = client, task_queue

    async def publish(self, update: PublicUpdate) -> None:
        await statuspage.publish(self.client, update, self.task_queue)
