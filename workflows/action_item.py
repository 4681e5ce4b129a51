"""ActionItemWorkflow: one per action item, started on its own (not as a child), so it keeps
chasing its owner after the incident closed (R-PIR-23). A loop around warroom.action_items."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict

    from activities.channels import ChannelActivities
    from warroom.action_items import ItemState, ItemUpdate, decide_item, item_carried_out, item_delivery
    from warroom.actions import Action, Channel
    from warroom.commands import Refused
    from warroom.policy import Policy
    from warroom.temporal import board
    from workflows.attempts import DELIVERY

DELIVER = {Channel.chat: ChannelActivities.remind, Channel.email: ChannelActivities.notify}


class ItemInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    policy: Policy
    item: ItemState


@workflow.defn
class ActionItemWorkflow:
    @workflow.init
    def __init__(self, start: ItemInput) -> None:
        self.item, self.policy, self.version = start.item, start.policy, 0

    @workflow.run
    async def run(self, start: ItemInput) -> ItemState:
        while not self.item.closed:
            decision = decide_item(self.item, self.policy, workflow.now())
            for action in decision.actions:
                await self._deliver(action)
            if decision.actions:
                continue
            workflow.upsert_search_attributes([
                board.ITEM_STATUS.value_set(self.item.status), board.ITEM_OWNER.value_set(self.item.owner),
                board.ITEM_DUE.value_set(self.item.due_at),
            ])
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(ItemInput(policy=self.policy, item=self.item))
            seen = self.version
            try:
                await workflow.wait_condition(
                    lambda seen=seen: self.version != seen,  # bound now: the loop moves `seen` on
                    timeout=(decision.wake_at - workflow.now()) if decision.wake_at else None,
                    timeout_summary=decision.upcoming[0].key if decision.upcoming else None,
                )
            except TimeoutError:
                pass
        workflow.upsert_search_attributes([board.ITEM_STATUS.value_set(self.item.status)])
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.item

    @workflow.update
    def change(self, command: ItemUpdate) -> ItemState:
        # validated at admission (below); a replay must not re-judge what history says was accepted
        self.item = command.apply(self.item, self.policy, workflow.now())
        self.version += 1
        return self.item

    @change.validator
    def _check(self, command: ItemUpdate) -> None:
        try:
            command.check(self.item, self.policy, workflow.now())
        except Refused as exc:
            raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None

    @workflow.query
    def current(self) -> ItemState:
        return self.item

    async def _deliver(self, action: Action) -> None:
        try:
            await workflow.execute_activity_method(
                DELIVER[action.spec.channel], item_delivery(self.item, self.policy, action),
                **DELIVERY,
                summary=f"{action.kind} {', '.join(action.targets)}: {action.key}",
            )
        except ActivityError as exc:
            self.item = self.item.record(
                workflow.now(), "warroom", "delivery-failed", f"{action.key}: {exc.cause or exc}"
            )
        self.item = item_carried_out(self.item, action, workflow.now())
