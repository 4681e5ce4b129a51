"""Pages under a limit into Temporal: each is one update-with-start to its person's
PagerThrottleWorkflow (`throttle-<handle>@<task queue>`), whose answer says whether the activity pages now or
the person's bundle carries the page. The update's id is the page's key, so a retried activity
asking again is answered from the same decision."""

from __future__ import annotations

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from warroom.throttle import Page, ThrottleState, Verdict
from workflows.throttle import PagerThrottleWorkflow, ThrottleInput


def workflow_id(handle: str, task_queue: str) -> str:
    """One per person and deployment (its task queue): two warrooms on one namespace keep apart."""
    return f"throttle-{handle}@{task_queue}"


async def admit(client: Client, page: Page, task_queue: str) -> Verdict:
    """Raises what Temporal raises: the pager activity fails and is retried, as for a provider."""
    start = WithStartWorkflowOperation(
        PagerThrottleWorkflow.run,
        ThrottleInput(state=ThrottleState(recipient=page.recipient, per_minute=page.per_minute, window=page.window)),
        id=workflow_id(page.recipient.handle, task_queue),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=f"pager throttle · {page.recipient.handle} · {page.per_minute}/min",
    )
    return await client.execute_update_with_start_workflow(
        PagerThrottleWorkflow.admit, page, start_workflow_operation=start, id=f"{page.recipient.handle}:{page.key}",
    )
