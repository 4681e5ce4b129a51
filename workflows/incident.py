"""IncidentWorkflow: one per incident, a durable loop around the pure brain (DESIGN.md).

apply commands (Temporal Updates, validated first) -> decide -> run the due actions as activities
-> record their keys -> wait for a change or the next deadline. Every timing rule is in
warroom.brain; this file only moves facts between Temporal and it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ParentClosePolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict, model_validator

    from warroom import board, review
    from warroom.brain import Action, carried_out, decide
    from warroom.commands import Declare, IncidentCommand, PostUpdate, Publish, Refused, ReloadPolicy, apply, validate
    from warroom.commands.internal import carry_out_internal, is_internal
    from activities.channels import ChannelPost, OpenChannel
    from warroom.brain import archive_time, channel_name
    from workflows.channel_archive import ArchiveLater, ChannelArchiveWorkflow
    from warroom.delivery import Recipient, delivery_for
    from warroom.publicpage import public_update
    from warroom.policy import Policy
    from warroom.state import IncidentState

ACTIVITY_OF = {
    "page": "page", "escalate": "page", "notify": "notify", "remind": "remind", "ticket": "open_ticket",
    "status": "publish_status",
}
DELIVERY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
DELIVERY_GIVE_UP = timedelta(minutes=10)  # then the timeline says so and the escalation chain goes on


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


class CommandResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    message: str
    stage: str


class IncidentView(BaseModel):
    """What `warroom show` prints: the state and the deadlines ahead."""

    model_config = ConfigDict(frozen=True)
    state: IncidentState
    upcoming: tuple[Action, ...]


@workflow.defn
class IncidentWorkflow:
    @workflow.init
    def __init__(self, start: IncidentInput) -> None:
        self.policy = start.policy
        now = workflow.now()
        self.state = start.state or start.declare.start(workflow.info().workflow_id, now, self.policy, start.version)  # type: ignore[union-attr]
        self.version = 0
        self.decision = decide(self.state, self.policy, now)
        self.published: dict[str, object] = {}

    @workflow.run
    async def run(self, start: IncidentInput) -> IncidentState:
        while True:
            self.decision = decide(self.state, self.policy, workflow.now())
            if self.decision.actions:
                await asyncio.gather(*(self._carry_out(a) for a in self.decision.actions))
                continue  # time passed and commands may have arrived: decide again
            self._publish()
            if self.state.closed_at is not None:
                break
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(IncidentInput(policy=self.policy, state=self.state))
            seen = self.version
            wake_at = self.decision.wake_at
            try:
                await workflow.wait_condition(
                    lambda: self.version != seen,
                    timeout=(wake_at - workflow.now()) if wake_at else None,
                    timeout_summary=self.decision.upcoming[0].key if self.decision.upcoming else None,
                )
            except asyncio.TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    @workflow.update
    def command(self, command: IncidentCommand) -> CommandResult:
        try:
            self.state = apply(command, self.state, self.policy, workflow.now())
        except Refused as exc:  # a plain exception here would fail the workflow task forever
            raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None
        if isinstance(command, ReloadPolicy):
            self.policy = command.policy.for_service(self.state.service)
        self.version += 1
        return CommandResult(incident_id=self.state.id, message=self.state.timeline[-1].text, stage=self.state.stage)

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
        return IncidentView(state=self.state, upcoming=self.decision.upcoming)

    async def _carry_out(self, action: Action) -> None:
        if is_internal(action):  # resolving itself, or sending an overdue message from its template
            now = workflow.now()
            try:
                changed = carry_out_internal(action, self.state, self.policy, now)
            except Refused as exc:  # e.g. a template missing a field: say so, never fail the workflow
                changed = self.state.record(now, "warroom", "action-refused", f"{action.key}: {exc}")
            self.state = carried_out(changed, action, now)
            self.version += 1
            return
        if action.kind == "channel":
            await self._channel(action)
            return
        if action.kind == "status":
            message = public_update(self.state, self.policy, action.key, workflow.now())
        else:
            message = delivery_for(self.state, self.policy, action)
        try:
            await workflow.execute_activity(
                ACTIVITY_OF[action.kind],
                message,
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=DELIVERY_GIVE_UP,
                retry_policy=DELIVERY_RETRY,
                summary=f"{action.kind} {', '.join(action.targets)}: {action.key}",
            )
        except ActivityError as exc:
            cause = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc.cause or exc)
            self.state = self.state.record(
                workflow.now(), "warroom", "delivery-failed", f"could not {action.kind} {', '.join(action.targets)}"
                f" for {action.key}: {cause}",
            )
        self.state = carried_out(self.state, action, workflow.now())

    async def _channel(self, action: Action) -> None:
        """Open the incident's channel (its id joins the state), post news to it, archive it."""
        state, invitees = self.state, tuple(Recipient.of(h, self.policy.roster) for h in action.targets)
        options = {"start_to_close_timeout": timedelta(seconds=30), "schedule_to_close_timeout": DELIVERY_GIVE_UP,
                   "retry_policy": DELIVERY_RETRY, "summary": action.key}
        try:
            if action.key == "channel:open":
                detail = f"{state.stage.value} · IC {state.ic or '—'} · runbook checklist pinned in the Temporal UI"
                request = OpenChannel(incident_id=state.id, name=channel_name(state), summary=state.summary,
                                      detail=detail, invitees=invitees, game_day=state.game_day)
                channel = await workflow.execute_activity("open_channel", request, result_type=str, **options)
                self.state = self.state.model_copy(update={"channel": channel})
            elif action.key == "channel:archive":
                text = f"Closed; this channel is archived now. The review: `warroom review draft {state.id}`"
                post = ChannelPost(incident_id=state.id, channel=state.channel or "", key=action.key, text=text,
                                   archive=True)
                await workflow.start_child_workflow(
                    ChannelArchiveWorkflow.run, ArchiveLater(post=post, at=archive_time(state, self.policy)),
                    id=f"{state.id}-channel-archive", parent_close_policy=ParentClosePolicy.ABANDON,
                    static_summary=f"archive {state.channel}",
                )
            else:
                post = ChannelPost(incident_id=state.id, channel=state.channel or "", key=action.key, text=action.body,
                                   invitees=invitees)
                await workflow.execute_activity("post_to_channel", post, **options)
        except ActivityError as exc:
            self.state = self.state.record(workflow.now(), "warroom", "delivery-failed", f"{action.key}: {exc.cause or exc}")
        self.state = carried_out(self.state, action, workflow.now())

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

