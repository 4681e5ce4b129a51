"""PagerThrottleWorkflow: one per person being paged under a limit (`throttle-<handle>@<task queue>`), so the
limit holds across every worker (issue 16.3: the state lived in a file per worker host before).

The pager activity asks it about each page with an update-with-start (`admit`): SEND, and the
activity pages the person; HELD, and this workflow carries the page in the person's bundle,
which it sends itself, as one page, when the window has room (`ChannelActivities.page_bundle`).
Thin: the window, the bundle and its words are warroom.throttle's.

It ends after KEEP without a page (a later page starts a new one), and continues as new when
its history grows, carrying the state."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ConfigDict

    from activities.channels import ChannelActivities
    from warroom.throttle import KEEP, Page, ThrottleState, Verdict, admit, is_idle, take_bundle
    from workflows.attempts import DELIVERY

PAGES_PER_RUN = 1_000  # ≈ 4 000 history events per run: an update and a task per page


class ThrottleInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    state: ThrottleState


@workflow.defn
class PagerThrottleWorkflow:
    @workflow.init
    def __init__(self, start: ThrottleInput) -> None:
        self.state = start.state
        self.pages = 0  # pages admitted by this run

    @workflow.update
    def admit(self, page: Page) -> Verdict:
        self.state, verdict = admit(self.state, page, workflow.now())
        self.pages += 1
        return verdict

    @workflow.run
    async def run(self, start: ThrottleInput) -> None:
        while True:
            if (due := self.state.bundle_due) is not None:
                if (wait := due - workflow.now()).total_seconds() > 0:
                    await workflow.sleep(wait, summary="until the window has room for the bundle")
                await self._send_bundle()
                continue
            if self.pages >= PAGES_PER_RUN or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(ThrottleInput(state=self.state))
            try:
                await workflow.wait_condition(lambda seen=self.pages: self.pages != seen, timeout=KEEP,
                                              timeout_summary="the next page")
            except TimeoutError:
                if is_idle(self.state, workflow.now()) and workflow.all_handlers_finished():
                    return

    async def _send_bundle(self) -> None:
        """Sent once: the state forgets the held pages before the activity, whose retries (and
        the provider, by the bundle's key) make sure it goes out."""
        self.state, bundle = take_bundle(self.state, workflow.now(), token=str(workflow.uuid4())[:8])
        await workflow.execute_activity_method(
            ChannelActivities.page_bundle, bundle, **DELIVERY, summary=bundle.subject,
        )
