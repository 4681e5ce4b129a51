"""StatusPageWorkflow: the singleton that holds the built-in public status page. Customer updates
and resolutions arrive as signals (idempotent by key); the gateway reads it by query."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict

    from warroom.publicpage import PublicIncident, PublicStatus, PublicUpdate

STATUS_PAGE_ID = "warroom-status-page"
KEEP_RESOLVED = timedelta(days=7)  # resolved incidents stay on the page this long


class StatusPageState(BaseModel):
    model_config = ConfigDict(frozen=True)
    incidents: dict[str, PublicIncident] = {}
    applied: tuple[str, ...] = ()  # update keys already applied, newest last (bounded)


def apply(page: StatusPageState, update: PublicUpdate) -> StatusPageState:
    """Fold one update in; a key seen before changes nothing (retried activities, replays)."""
    if update.key in page.applied:
        return page
    known = page.incidents.get(update.incident_id)
    resolved = update.status is PublicStatus.resolved
    incident = PublicIncident(
        id=update.incident_id,
        title=update.title,
        status=update.status,
        components=update.components,
        updates=((known.updates if known else ()) + (update,)),
        started_at=known.started_at if known else update.at,
        resolved_at=update.at if resolved else None,
    )
    incidents = {
        key: value
        for key, value in {**page.incidents, update.incident_id: incident}.items()
        if value.resolved_at is None or update.at - value.resolved_at < KEEP_RESOLVED
    }
    return StatusPageState(incidents=incidents, applied=(page.applied + (update.key,))[-5000:])


@workflow.defn
class StatusPageWorkflow:
    @workflow.init
    def __init__(self, state: StatusPageState) -> None:
        self.page = state

    @workflow.signal
    def publish(self, update: PublicUpdate) -> None:
        self.page = apply(self.page, update)

    @workflow.query
    def current(self) -> StatusPageState:
        return self.page

    @workflow.run
    async def run(self, state: StatusPageState) -> None:
        await workflow.wait_condition(lambda: workflow.info().is_continue_as_new_suggested())
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(self.page)
