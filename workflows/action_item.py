"""ActionItemWorkflow: one per action item, started on its own (not as a child), so it keeps
chasing its owner after the incident closed (R-PIR-23). A loop around warroom.action_items.

Since the `tracker-issues` patch, an item is also an issue in the worker's tracker (Jira, Linear)
when it has one: opened first, then kept in step with the item (done or cancelled here: done
there; reopened: open). What the tracker reports back arrives as a TrackerReport update, so an
item closed there is done here and the loop, and its reminders, end. A reopen after the run ended
starts a new run of the same id (warroom.temporal.items)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict

    from activities.channels import ChannelActivities
    from activities.tracking import TrackerActivities
    from warroom.action_items import ItemState, ItemUpdate, decide_item, item_carried_out, item_delivery, item_issue
    from warroom.actions import Action, Channel
    from warroom.commands import Refused
    from warroom.policy import Policy
    from warroom.temporal import board
    from warroom.tracker import TrackerSync
    from workflows.attempts import DELIVERY, TRACKER

DELIVER = {Channel.chat: ChannelActivities.remind, Channel.email: ChannelActivities.notify}
TRACKED = "tracker-issues"  # the patch: items kept in step with an issue in the worker's tracker


class ItemInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    policy: Policy
    item: ItemState


@workflow.defn
class ActionItemWorkflow:
    @workflow.init
    def __init__(self, start: ItemInput) -> None:
        self.item, self.policy, self.version = start.item, start.policy, 0
        self.untracked = False  # the worker has no tracker: ask no more in this run

    @workflow.run
    async def run(self, start: ItemInput) -> ItemState:
        tracked = workflow.patched(TRACKED)
        while True:
            await self._chase(tracked)
            if not tracked:
                break
            await self._keep_in_step()  # done there too; a reopen meanwhile chases again
            if self.item.closed:
                break
        workflow.upsert_search_attributes([board.ITEM_STATUS.value_set(self.item.status)])
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.item

    async def _chase(self, tracked: bool) -> None:
        """Remind and escalate until the item is closed."""
        while not self.item.closed:
            if tracked:
                await self._keep_in_step()
                if self.item.closed:
                    continue
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

    async def _keep_in_step(self) -> None:
        """Open the item's tracker issue once, then move it to match the item. The state is set
        before the move goes out, so the tracker's webhook about it is known for the echo it is;
        a move that failed is recorded and put back, to be tried again at the next wake."""
        ref = self.item.tracker
        if ref is None:
            if not (self.untracked or self.item.closed):
                await self._open_issue()
            return
        wanted = self.item.tracker_state
        if ref.state is wanted:
            return
        self.item = self.item.model_copy(update={"tracker": ref.model_copy(update={"state": wanted})})
        try:
            await workflow.execute_activity_method(
                TrackerActivities.set_tracker_state, TrackerSync(ref=ref, state=wanted), **TRACKER,
                summary=f"{ref.name} to {wanted.value}",
            )
        except ActivityError as exc:
            now = self.item.tracker  # put back, unless the tracker reported a change meanwhile
            back = ref if now is not None and now.reported_at == ref.reported_at else now
            self.item = self.item.record(workflow.now(), "warroom", "tracker-failed",
                                         f"could not move {ref.name} to {wanted.value}: {_cause(exc)}", tracker=back)
            return
        self.item = self.item.record(workflow.now(), "warroom", "tracker", f"{ref.name} moved to {wanted.value}")

    async def _open_issue(self) -> None:
        try:
            ref = await workflow.execute_activity_method(
                TrackerActivities.create_tracker_issue, item_issue(self.item), **TRACKER,
                summary=f"tracker issue for {self.item.id}",
            )
        except ActivityError as exc:
            self.item = self.item.record(workflow.now(), "warroom", "tracker-failed",
                                         f"could not open its tracker issue (tried again at the next wake): "
                                         f"{_cause(exc)}")
            return
        if ref is None:
            self.untracked = True
            return
        self.item = self.item.record(workflow.now(), "warroom", "tracked", f"tracked as {ref.name}: {ref.url}",
                                     tracker=ref)
        workflow.upsert_search_attributes([board.ITEM_TRACKER.value_set(ref.search_value)])

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


def _cause(exc: ActivityError) -> str:
    return exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc.cause or exc)
