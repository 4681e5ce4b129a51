"""The built-in status page provider: signal-with-start the StatusPageWorkflow singleton."""

from __future__ import annotations

from temporalio.client import Client

from activities.channels import StatusPage
from warroom.publicpage import PublicUpdate
from workflows.status_page import STATUS_PAGE_ID, StatusPageState, StatusPageWorkflow


class BuiltinStatusPage(StatusPage):
    def __init__(self, client: Client, task_queue: str):
        self.client, self.task_queue = client, task_queue

    async def publish(self, update: PublicUpdate) -> None:
        await self.client.start_workflow(
            StatusPageWorkflow.run,
            StatusPageState(),
            id=STATUS_PAGE_ID,
            task_queue=self.task_queue,
            start_signal="publish",
            start_signal_args=[update],
            static_summary="public status page",
        )
