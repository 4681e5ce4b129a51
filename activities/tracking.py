"""The tracker's activities (warroom.tracker): open an action item's issue, move it to done or open.
A worker without `providers.tracker` answers the first with None, and the item is chased here
only, as before; the workflow then asks no more.

`TrackerTicketing` makes the same tracker the ticket channel (`providers.ticket: {type: tracker}`):
a SEV4 ticket is an issue there, keyed by `INC-XXXXX:ticket:open`, and its ref returns to the
incident, whose timeline links to it.
"""

from __future__ import annotations

from temporalio import activity

from activities.channels import Ticketing, Tracker
from activities.http import heartbeating, rejected, summary
from activities.metered import counted
from warroom.delivery import Delivery
from warroom.tracker import TrackerIssue, TrackerRef, TrackerSync

CHANNEL = "tracker"


class TrackerTicketing(Ticketing):
    def __init__(self, tracker: Tracker):
        self.tracker = tracker

    async def open_ticket(self, delivery: Delivery) -> TrackerRef | None:
        title = summary(delivery.subject, delivery.text, delivery.idempotency_key)
        return await self.tracker.create_issue(
            TrackerIssue(key=delivery.idempotency_key, title=title, text=delivery.text))


class TrackerActivities:
    def __init__(self, tracker: Tracker | None):
        self.tracker = tracker

    @activity.defn(name="create_tracker_issue")
    async def create_tracker_issue(self, issue: TrackerIssue) -> TrackerRef | None:
        if self.tracker is None:
            return None
        async with heartbeating(), counted(CHANNEL):
            return await self.tracker.create_issue(issue)

    @activity.defn(name="set_tracker_state")
    async def set_tracker_state(self, sync: TrackerSync) -> None:
        if self.tracker is None or self.tracker.kind is not sync.ref.kind:  # warroom.yaml changed since
            raise rejected(f"no {sync.ref.kind.label} tracker is configured on this worker (providers.tracker)")
        async with heartbeating(), counted(CHANNEL):
            await self.tracker.set_state(sync.ref, sync.state)

    def all(self) -> list:
        return [self.create_tracker_issue, self.set_tracker_state]
