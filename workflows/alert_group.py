"""AlertGroupWorkflow: one per alert group (source + dedup key), fed by signal-with-start from the
gateway, one signal per group per request. The rules are in warroom.alerts.group; this file only
moves batches in and effects out."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict

    from activities.incidents import IncidentActivities, OpenIncident, SendCommand
    from warroom.alerts import group as rules
    from warroom.alerts.events import AlertBatch, Source
    from warroom.commands import RecordAlerts
    from warroom.policy import Policy
    from warroom.state import new_incident_id
    from workflows.attempts import CALL



class GroupInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    group_id: str
    source: Source
    group_key: str
    policy: Policy
    state: rules.GroupState | None = None  # carried over by continue-as-new


@workflow.defn
class AlertGroupWorkflow:
    @workflow.init
    def __init__(self, start: GroupInput) -> None:
        self.policy = start.policy
        self.group = start.state or rules.GroupState(
            group_id=start.group_id, source=start.source, group_key=start.group_key
        )
        self.inbox: list[AlertBatch] = []

    @workflow.signal
    def alerts(self, batch: AlertBatch) -> None:
        self.inbox.append(batch)

    @workflow.query
    def state(self) -> rules.GroupState:
        return self.group

    @workflow.run
    async def run(self, start: GroupInput) -> rules.GroupState:
        retention = self.policy.rules.alerts.group_retention
        while True:
            try:
                await workflow.wait_condition(lambda: bool(self.inbox), timeout=retention, timeout_summary="idle")
            except TimeoutError:
                if self.group.incident is None or not await self._still_open(self.group.incident):
                    return self.group  # quiet for the whole retention: a later alert starts afresh
                continue
            while self.inbox:  # everything queued meanwhile is folded into one message per incident
                batches, self.inbox = self.inbox, []
                news: rules.Send | None = None
                for batch in batches:
                    self.group, effects = rules.ingest(self.group, batch, self.policy, workflow.now())
                    for effect in effects:
                        if isinstance(effect, rules.Send) and isinstance(effect.command, RecordAlerts):
                            news = rules.merge(news, effect)
                            continue
                        if news is not None:
                            await self._carry_out([news], batch)
                            news = None
                        await self._carry_out([effect], batch)
                if news is not None:
                    await self._carry_out([news], batches[-1])
            if workflow.info().is_continue_as_new_suggested() and not self.inbox:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    GroupInput(group_id=self.group.group_id, source=self.group.source,
                               group_key=self.group.group_key, policy=self.policy, state=self.group)
                )

    async def _carry_out(self, effects: list[rules.Effect], batch: AlertBatch) -> None:
        for effect in effects:
            if isinstance(effect, rules.Open):
                incident_id = new_incident_id(workflow.random().choice)
                snapshot = self.policy.for_service(effect.declare.service)
                opened = await workflow.execute_activity_method(
                    IncidentActivities.open_incident,
                    OpenIncident(incident_id=incident_id, policy=snapshot, declare=effect.declare),
                    summary=f"open {incident_id}", **CALL,
                )
                self.group = rules.opened(self.group, opened)
                continue
            assert self.group.incident is not None
            outcome = await workflow.execute_activity_method(
                IncidentActivities.incident_command,
                SendCommand(incident_id=self.group.incident, command=effect.command),
                summary=f"{effect.command.verb} → {self.group.incident}", **CALL,
            )
            if outcome.ended:
                self.group, more = rules.ended(self.group, effect, batch, self.policy, workflow.now())
                await self._carry_out(more, batch)
                return

    async def _still_open(self, incident_id: str) -> bool:
        return await workflow.execute_activity_method(IncidentActivities.incident_is_open, incident_id, **CALL)
