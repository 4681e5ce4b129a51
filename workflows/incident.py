"""IncidentWorkflow: one per incident, a durable loop around the pure brain (DESIGN.md).

apply commands (Temporal Updates, validated first) -> decide -> run the due actions as activities
-> record their keys -> wait for a change or the next deadline. Every timing rule is in
warroom.brain; this file only moves facts between Temporal and it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict, model_validator

    from activities.channels import Batch, ChannelActivities, ChannelPost, OpenChannel, Sent
    from activities.incidents import IncidentActivities, StartReviewItems
    from warroom import review
    from warroom.actions import Action, Channel, ChannelStep, ChannelWork
    from warroom.brain import archive_time, channel_name, decide
    from warroom.commands import Declare, IncidentCommand, PostUpdate, Publish, Refused, ReloadPolicy, apply, validate
    from warroom.delivery import Recipient, delivery_for, exercise_mark
    from warroom.loop import advance, delivered
    from warroom.policy import Policy
    from warroom.publicpage import public_update
    from warroom.state import IncidentState
    from warroom.temporal import board
    from warroom.tracker import TrackerRef
    from warroom.views import CommandResult, IncidentView, checklist
    from workflows.attempts import CALL, DELIVERY
    from workflows.channel_archive import ArchiveLater, ChannelArchiveWorkflow

DELIVER = {  # how each channel's actions leave the workflow (warroom.actions.SPEC names the channel)
    Channel.pager: ChannelActivities.page,
    Channel.email: ChannelActivities.notify,
    Channel.chat: ChannelActivities.remind,
    Channel.ticket: ChannelActivities.open_ticket,
}
# A workflow task that a dead worker had taken is handed on after this, not Temporal's default 10 s:
# an incident's task takes 0.03 s (p50) and at most 1.75 s in bench/chaos.py's restarts with 100
# busy incidents, where tasks lost in a SIGKILL held their incidents' deliveries back 9 s.
TASK_TIMEOUT = timedelta(seconds=5)
CONTINUE_AFTER_EVENTS = 1000  # v8: a restarted worker replays at most this much of an incident
TICKET_LINK = "ticket-link"  # the patch: a tracker's SEV4 ticket is linked from the timeline
ONE_TIMER = "one-timer"  # the patch: a timer per deadline, kept while the deadline stays (_wait)
BATCHES = "batches"  # the patch: a turn's due pages, mails and reminders go one activity per channel
BATCHED = frozenset({Channel.pager, Channel.email, Channel.chat})  # ChannelActivities.deliver_batch carries these
SERIAL = frozenset({Channel.incident_channel, Channel.status})  # posts read in order: one at a time


class IncidentInput(BaseModel):
    """A new incident (`declare`), or one carried over by continue-as-new (`state`)."""

    model_config = ConfigDict(frozen=True)
    policy: Policy
    declare: Declare | None = None
    state: IncidentState | None = None
    version: int = 1  # the brain's rules at declaration (BRAIN_VERSION); absent in older histories

    @model_validator(mode="after")
    def _one(self) -> IncidentInput:
        if (self.declare is None) == (self.state is None):
            raise ValueError("give either declare or state")
        return self


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, start: IncidentInput) -> None:
        self.policy = start.policy
        now = workflow.now()
        # v8: the clock starts when the declaration reached Temporal, not when a worker first ran it
        declared = workflow.info().workflow_start_time if start.version >= 8 else now
        self.state = start.state or start.declare.start(  # type: ignore[union-attr]
            workflow.info().workflow_id, declared, self.policy, start.version)
        self.version = 0
        self.decision = decide(self.state, self.policy, now)
        self.published: dict[str, object] = {}
        self.inflight: dict[str, Channel] = {}  # v8: deliveries on their way, by action key
        self.alarm: tuple[datetime, asyncio.Task[None]] | None = None  # ONE_TIMER: the deadline waited for

    @workflow.run
    async def run(self, start: IncidentInput) -> IncidentState:
        due: dict[str, Action] = {}  # BATCHES: what this workflow task's turns made due, sent at its end
        while True:
            turn = advance(self.state, self.policy, workflow.now())
            self.state, self.decision = turn.state, turn.decision
            if self.state.version >= 8 and workflow.patched(BATCHES):
                due.update((action.key, action) for action in turn.deliveries)
                if turn.applied:  # a published update's mails come a turn later: they join this batch
                    continue
                self._dispatch(tuple(due.values()), batch=True)
                due.clear()
            elif self.state.version >= 8:  # deliveries run beside the loop: a slow one holds back no deadline
                self._dispatch(turn.deliveries)
                if turn.applied:
                    continue
            elif turn.acted:
                await asyncio.gather(*(self._deliver(a) for a in turn.deliveries))
                continue  # time passed and commands may have arrived: decide again
            self._publish()
            if self.state.closed_at is not None and not self.decision.actions and not self.inflight:
                break
            if workflow.info().is_continue_as_new_suggested() or self._long():
                await workflow.wait_condition(self._settled)
                workflow.continue_as_new(IncidentInput(policy=self.policy, state=self.state))
            if workflow.patched(ONE_TIMER):
                await self._wait()
                continue
            seen = self.version
            wake_at = self.decision.wake_at
            try:
                await workflow.wait_condition(
                    lambda seen=seen: self.version != seen,  # bound now: the loop moves `seen` on
                    timeout=(wake_at - workflow.now()) if wake_at else None,
                    timeout_summary=self.decision.upcoming[0].key if self.decision.upcoming else None,
                )
            except TimeoutError:
                pass
        await workflow.wait_condition(self._settled)
        return self.state

    async def _wait(self) -> None:
        """Wait for a change or the next deadline, on one timer per deadline: a turn that leaves the
        deadline where it was (a delivery came back, a command changed nothing due) keeps the timer
        it has, where a timeout per wait cancelled and restarted one every turn: two events and a
        server timer each, a third of an incident's history (bench/chaos.py)."""
        seen, wake_at = self.version, self.decision.wake_at
        if self.alarm is not None and (self.alarm[0] != wake_at or self.alarm[1].done()):
            self.alarm[1].cancel()  # a done task ignores it
            self.alarm = None
        if self.alarm is None and wake_at is not None:
            summary = self.decision.upcoming[0].key if self.decision.upcoming else None
            self.alarm = (wake_at, asyncio.create_task(workflow.sleep(wake_at - workflow.now(), summary=summary)))
        alarm = self.alarm
        await workflow.wait_condition(lambda: self.version != seen or (alarm is not None and alarm[1].done()))

    def _long(self) -> bool:
        """v8: continue as new well before Temporal suggests it (at thousands of events): after a
        worker dies, the next one replays every incident that fell due from its first event, and on
        a busy incident that replay, not the delivery, is what made deliveries late."""
        return self.state.version >= 8 and workflow.info().get_current_history_length() > CONTINUE_AFTER_EVENTS

    def _settled(self) -> bool:
        """Nothing half done: no command being handled, no delivery on its way."""
        return workflow.all_handlers_finished() and not self.inflight

    def _dispatch(self, due: tuple[Action, ...], batch: bool = False) -> None:
        """v8: start each due delivery as its own task; the loop goes on timing the others. A key on
        its way is not started twice, and the channel's posts and the status page's go one at a
        time, in order. A finished delivery wakes the loop (`version`) to decide again. With
        `batch` (BATCHES), a channel's pages, mails or reminders due together go as one task."""
        starting = []
        for action in due:
            channel = action.spec.channel
            if action.key in self.inflight or (channel in SERIAL and channel in self.inflight.values()):
                continue
            self.inflight[action.key] = channel
            starting.append(action)
        together: dict[Channel, list[Action]] = {}
        for action in starting:
            if batch and action.spec.channel in BATCHED:
                together.setdefault(action.spec.channel, []).append(action)
        for action in starting:  # in the order due: the order their activities are scheduled in
            group = together.get(action.spec.channel, [])
            if len(group) < 2:
                asyncio.create_task(self._beside(action))
            elif action is group[0]:
                asyncio.create_task(self._batch(group))

    async def _beside(self, action: Action) -> None:
        try:
            await self._deliver(action)
        finally:
            del self.inflight[action.key]
            self.version += 1

    async def _batch(self, actions: list[Action]) -> None:
        """BATCHES: one channel's deliveries due in the same turn, as one activity (activities.
        channels.Batch says why). Each is recorded as it came back; one that may go out on a retry
        goes again alone, as any single delivery (and so does every one, should the batch itself
        fail for good)."""
        deliveries = tuple(delivery_for(self.state, self.policy, action) for action in actions)
        summary = f"{actions[0].spec.channel.value} x{len(actions)}: {', '.join(a.key for a in actions)}"
        sent: dict[str, Sent] = {}
        try:
            outcomes = await workflow.execute_activity_method(
                ChannelActivities.deliver_batch, Batch(deliveries=deliveries), summary=summary, **DELIVERY)
            sent = {outcome.key: outcome for outcome in outcomes}
        except ActivityError:
            pass
        for action in actions:
            outcome = sent.get(action.key)
            if outcome is None or outcome.again:
                asyncio.create_task(self._beside(action))
                continue
            failure = None if outcome.failure is None else _could_not(action, outcome.failure)
            self.state = delivered(self.state, action, workflow.now(), failure)
            del self.inflight[action.key]
        self.version += 1

    @workflow.update
    def command(self, command: IncidentCommand) -> CommandResult:
        try:
            self.state = apply(command, self.state, self.policy, workflow.now())
        except Refused as exc:  # a plain exception here would fail the workflow task forever
            raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None
        if isinstance(command, ReloadPolicy):
            self.policy = command.policy.for_service(self.state.service)
        self.version += 1
        return CommandResult(incident_id=self.state.id, message=self.state.timeline[-1].text, stage=self.state.stage,
                             warnings=command.notes(self.state, self.policy))

    @command.validator
    def _check(self, command: IncidentCommand) -> None:
        """A refused command is rejected here and writes nothing to history."""
        try:
            validate(command, self.state, self.policy, workflow.now())
        except Refused as exc:
            raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None

    @workflow.query
    def preview(self, command: Publish | PostUpdate) -> str:
        """The message a command would send, rendered against the incident now; writes nothing."""
        now = workflow.now()
        try:
            validate(command, self.state, self.policy, now)
        except Refused as exc:
            raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None
        return command.render(self.state, self.policy, now)

    @workflow.query
    def review_draft(self) -> str:
        return review.draft(self.state, self.policy)

    @workflow.query
    def view(self) -> IncidentView:
        return IncidentView(state=self.state, upcoming=self.decision.upcoming,
                            checklist=checklist(self.state, self.policy))

    async def _deliver(self, action: Action) -> None:
        """Hand one due action to its channel's activity; record it done when it has gone out."""
        options = DELIVERY  # retried through any outage; recorded as failed only when it cannot go out
        if action.spec.channel is Channel.incident_channel:
            await self._channel(action, options)
            return
        summary = f"{action.kind} {', '.join(action.audience)}: {action.key}"
        failure = None
        try:
            if action.spec.channel is Channel.action_items:
                await self._start_items(action, summary)
                return
            if action.spec.channel is Channel.status:
                update = public_update(self.state, self.policy, action, workflow.now())
                await workflow.execute_activity_method(
                    ChannelActivities.publish_status, update, summary=summary, **options
                )
            else:
                message = delivery_for(self.state, self.policy, action)
                opened = await workflow.execute_activity_method(
                    DELIVER[action.spec.channel], message, summary=summary, **options
                )
                if isinstance(opened, TrackerRef) and workflow.patched(TICKET_LINK):  # a SEV4 ticket in Jira/Linear
                    self.state = self.state.record(workflow.now(), "warroom", "ticket",
                                                   f"ticket opened as {opened.name}: {opened.url}")
        except ActivityError as exc:
            failure = _could_not(action, exc.cause.message if isinstance(exc.cause, ApplicationError)
                                 else str(exc.cause or exc))
        self.state = delivered(self.state, action, workflow.now(), failure)

    async def _start_items(self, action: Action, summary: str) -> None:
        """R-PIR-23: the review's items, each its own workflow that outlives the incident."""
        review = self.state.review
        assert review is not None
        request = StartReviewItems(
            incident_id=self.state.id, policy=self.policy, actor=review.actor, items=review.items
        )
        failure = None
        try:
            started = await workflow.execute_activity_method(  # a call to Temporal: no heartbeat
                IncidentActivities.start_review_items, request, summary=summary, **CALL)
            self.state = self.state.record(workflow.now(), "warroom", "items",
                                           f"action items started from the review: {', '.join(started)}")
        except ActivityError as exc:
            failure = f"could not start the review's action items: {exc.cause or exc}"
        self.state = delivered(self.state, action, workflow.now(), failure)

    async def _channel(self, action: Action, options: dict) -> None:
        """Open the incident's channel (its id joins the state), post news to it, archive it."""
        assert isinstance(action.payload, ChannelWork), action
        state, step = self.state, action.payload.step
        invitees = tuple(Recipient.of(h, self.policy.roster) for h in action.audience)
        failure = opened = None
        try:
            if step is ChannelStep.open:
                detail = f"{state.stage.value} · IC {state.ic or '—'} · runbook checklist pinned in the Temporal UI"
                request = OpenChannel(incident_id=state.id, name=channel_name(state), summary=state.summary,
                                      detail=detail, invitees=invitees, game_day=state.game_day)
                opened = await workflow.execute_activity_method(
                    ChannelActivities.open_channel, request, summary=action.key, **options)
            elif step is ChannelStep.archive:
                text = f"Closed; this channel is archived now. The review: `warroom review draft {state.id}`"
                post = ChannelPost(incident_id=state.id, channel=state.channel or "", key=action.key,
                                   text=exercise_mark(state) + text, archive=True, game_day=state.game_day)
                await workflow.start_child_workflow(
                    ChannelArchiveWorkflow.run, ArchiveLater(post=post, at=archive_time(state, self.policy)),
                    id=f"{state.id}-channel-archive", parent_close_policy=ParentClosePolicy.ABANDON,
                    static_summary=f"archive {state.channel}",
                )
            else:
                post = ChannelPost(incident_id=state.id, channel=state.channel or "", key=action.key,
                                   text=exercise_mark(state) + action.body, invitees=invitees, game_day=state.game_day)
                await workflow.execute_activity_method(ChannelActivities.post_to_channel, post, summary=action.key,
                                                       **options)
        except ActivityError as exc:
            failure = f"{action.key}: {exc.cause or exc}"
        self.state = delivered(self.state, action, workflow.now(), failure, channel=opened)

    def _publish(self) -> None:
        """Keep the board current: search attributes and memo when they change, details always."""
        wanted = {pair.key.name: (pair.key, pair.value) for pair in board.search_attributes(self.state)}
        changed = [key.value_set(value) for name, (key, value) in wanted.items() if self.published.get(name) != value]
        if changed:
            workflow.upsert_search_attributes(changed)
            self.published.update({name: value for name, (_, value) in wanted.items()})
        memo = board.memo(self.state)
        if self.published.get("memo") != memo:
            workflow.upsert_memo(memo)
            self.published["memo"] = memo
        workflow.set_current_details(board.details(self.state, self.decision.upcoming))



def _could_not(action: Action, cause: str) -> str:
    """The timeline's line for a delivery that failed for good."""
    return f"could not {action.kind} {', '.join(action.audience)} for {action.key}: {cause}"
