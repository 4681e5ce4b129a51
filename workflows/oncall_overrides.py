"""OnCallOverridesWorkflow: one per team (`oncall-overrides-<team>`), the durable record of the
team's on-call overrides (warroom.schedule.Override), so no database is needed beside Temporal.

`record` is an Update (update-with-start from the door): its validator refuses a full store
before anything is written. The overrides kept are also the workflow's memo, which every new
incident's declaration reads (warroom.temporal.oncall) by describing this workflow: that needs
no worker to answer, so a page is never held back by a query. Ended overrides are dropped a week
later; every RECORDS_PER_RUN records it continues as new, carrying the list."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict, Field

    from warroom.overrides import MOST, kept
    from warroom.schedule import Override

RECORDS_PER_RUN = 200  # a few events each: a history of about a thousand


class OverridesInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    team: str
    overrides: tuple[Override, ...] = ()  # carried over by continue-as-new
    records_per_run: int = Field(RECORDS_PER_RUN, ge=1)


def memo(overrides: tuple[Override, ...]) -> dict[str, object]:
    return {"overrides": [o.model_dump(mode="json") for o in overrides]}


@workflow.defn
class OnCallOverridesWorkflow:
    @workflow.init
    def __init__(self, start: OverridesInput) -> None:
        self.team = start.team
        self.overrides = start.overrides
        self.recorded = 0

    @workflow.update
    def record(self, override: Override) -> Override:
        self.overrides = (*kept(self.overrides, workflow.now()), override)
        workflow.upsert_memo(memo(self.overrides))
        self.recorded += 1
        return override

    @record.validator
    def _room(self, override: Override) -> None:
        if len(kept(self.overrides, workflow.now())) >= MOST:
            raise ApplicationError(f"{self.team} already has {MOST} overrides recorded; let some end first",
                                   type="Refused", non_retryable=True)

    @workflow.query
    def overrides(self) -> tuple[Override, ...]:
        return kept(self.overrides, workflow.now())

    @workflow.run
    async def run(self, start: OverridesInput) -> None:
        await workflow.wait_condition(
            lambda: self.recorded >= start.records_per_run or workflow.info().is_continue_as_new_suggested())
        await workflow.wait_condition(workflow.all_handlers_finished)
        carried = kept(self.overrides, workflow.now())
        workflow.continue_as_new(
            OverridesInput(team=self.team, overrides=carried, records_per_run=start.records_per_run),
            memo=memo(carried))
