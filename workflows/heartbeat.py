"""HeartbeatWorkflow: one per monitor (`heartbeat-<name>`), fed a signal-with-start per beat by the
gateway. It waits `interval + grace` for the next beat as a durable timer; when none came, it
sends the monitor's firing alert into the alert-group path (an activity), so an incident opens
exactly as for a real alert; the next beat sends the resolved one. Thin: the alert's words are
warroom.alerts.heartbeat's.

A monitor is armed by its first beat: one that never beat has no workflow and cannot miss one.
While the alert fires the monitor waits without a timer (the group already has the news).
Every `beats_per_run` beats it continues as new, carrying whether its alert is firing, so a
monitor beaten every 10 s for a year keeps a history of a few thousand events."""

from __future__ import annotations

from typing import Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

    from activities.heartbeats import HeartbeatActivities, HeartbeatAlert
    from warroom.config_file import Heartbeat
    from warroom.durations import format_duration
    from warroom.policy import Policy
    from workflows.attempts import CALL

BEATS_PER_RUN = 500  # ≈ 3 500 history events per run: a timer, a signal and a task per beat


class HeartbeatInput(BaseModel):
    model_config = ConfigDict(frozen=True)
    monitor: Heartbeat
    policy: Policy  # narrowed to the monitor's service
    beats_per_run: int = Field(BEATS_PER_RUN, ge=1)
    firing: bool = False  # carried over by continue-as-new: the alert is out and not yet resolved
    beats: int = 0  # beats seen by earlier runs
    last_beat_at: AwareDatetime | None = None


class Beat(BaseModel):
    """One beat, carrying the monitor as the gateway reads warroom.yaml now."""

    model_config = ConfigDict(frozen=True)
    monitor: Heartbeat


class HeartbeatStatus(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    firing: bool
    beats: int
    last_beat_at: AwareDatetime | None


@workflow.defn
class HeartbeatWorkflow:
    @workflow.init
    def __init__(self, start: HeartbeatInput) -> None:
        self.monitor = start.monitor
        self.firing = start.firing
        self.beats = start.beats
        self.last_beat_at = start.last_beat_at
        self.pending = 0  # beats not yet taken by the loop

    @workflow.signal
    def beat(self, beat: Beat) -> None:
        self.monitor = beat.monitor
        self.pending += 1
        self.beats += 1
        self.last_beat_at = workflow.now()

    @workflow.query
    def status(self) -> HeartbeatStatus:
        return HeartbeatStatus(name=self.monitor.name, firing=self.firing, beats=self.beats,
                               last_beat_at=self.last_beat_at)

    @workflow.run
    async def run(self, start: HeartbeatInput) -> None:
        taken = 0
        while True:
            if self.firing:  # the group has the news; nothing more to say until a beat comes
                await workflow.wait_condition(lambda: self.pending > 0)
            else:
                try:
                    await workflow.wait_condition(
                        lambda: self.pending > 0, timeout=self.monitor.silence,
                        timeout_summary=f"next beat within {format_duration(self.monitor.silence)}",
                    )
                except TimeoutError:
                    await self._alert("firing", start.policy)
                    continue
            taken += self.pending
            self.pending = 0
            if self.firing:
                await self._alert("resolved", start.policy)
            due = taken >= start.beats_per_run or workflow.info().is_continue_as_new_suggested()
            if due and not self.pending:  # a beat that came meanwhile is taken first
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(HeartbeatInput(
                    monitor=self.monitor, policy=start.policy, beats_per_run=start.beats_per_run,
                    firing=self.firing, beats=self.beats, last_beat_at=self.last_beat_at,
                ))

    async def _alert(self, status: Literal["firing", "resolved"], policy: Policy) -> None:
        await workflow.execute_activity_method(
            HeartbeatActivities.alert, HeartbeatAlert(monitor=self.monitor, status=status, policy=policy),
            summary=f"{status}: {self.monitor.name}", **CALL,
        )
        self.firing = status == "firing"
