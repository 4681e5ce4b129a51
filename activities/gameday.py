"""R-GAME-25: exercise pages and posts never reach real customers or real status pages.

`GameDayGuard` wraps a real provider (PagerDuty, Slack, SMTP, a webhook, Atlassian Statuspage…):
a delivery or status update marked `game_day` goes to the outbox instead, where the exercise can
read it (`warroom outbox`); everything else passes through. The worker wraps every real provider
in one (workers.main.channels); the outbox needs no guard. Game-day status updates are written
to the outbox as rows of channel `status`.
"""

from __future__ import annotations

from activities.channels import (
    ChannelPost,
    IncidentChannels,
    Messenger,
    Notifier,
    OpenChannel,
    Pager,
    StatusPage,
    Ticketing,
)
from activities.outbox import OutboxProvider
from warroom.delivery import Delivery, Recipient
from warroom.publicpage import PublicUpdate
from warroom.tracker import TrackerRef

PUBLIC = Recipient(handle="status-page", name="public status page")


def status_row(update: PublicUpdate) -> Delivery:
    """A status update as an outbox row (channel `status`, which no real Delivery has: built
    without validation for that reason, every other field as a Delivery holds it)."""
    action_key = update.key.removeprefix(f"{update.incident_id}:")
    components = ", ".join(f"{name}: {status.label}" for name, status in update.components.items())
    text = f"{update.status.value}: {update.body}" + (f"\nComponents: {components}" if components else "")
    return Delivery.model_construct(
        incident_id=update.incident_id,
        action_key=action_key,
        channel="status",
        recipients=(PUBLIC,),
        subject=update.title,
        text=text,
        game_day=True,
    )


class GameDayGuard(Pager, Notifier, Messenger, Ticketing, StatusPage, IncidentChannels):
    """`real` for real incidents, the outbox for game days. `real` need implement only the
    interfaces its channel uses (the incident's chat channels included)."""

    def __init__(self, real: object, outbox: OutboxProvider):
        self.real, self.outbox = real, outbox

    async def page(self, delivery: Delivery) -> None:
        if delivery.game_day:
            return await self.outbox.page(delivery)
        await self.real.page(delivery)  # type: ignore[attr-defined]

    async def notify(self, delivery: Delivery) -> None:
        if delivery.game_day:
            return await self.outbox.notify(delivery)
        await self.real.notify(delivery)  # type: ignore[attr-defined]

    async def remind(self, delivery: Delivery) -> None:
        if delivery.game_day:
            return await self.outbox.remind(delivery)
        await self.real.remind(delivery)  # type: ignore[attr-defined]

    async def open_ticket(self, delivery: Delivery) -> TrackerRef | None:
        if delivery.game_day:
            return await self.outbox.open_ticket(delivery)
        return await self.real.open_ticket(delivery)  # type: ignore[attr-defined]

    async def open(self, request: OpenChannel) -> str:
        if request.game_day:
            return await self.outbox.open(request)
        return await self.real.open(request)  # type: ignore[attr-defined]

    async def post(self, request: ChannelPost) -> None:
        if request.game_day:
            return await self.outbox.post(request)
        await self.real.post(request)  # type: ignore[attr-defined]

    async def publish(self, update: PublicUpdate) -> None:
        if update.game_day:
            return await self.outbox.send(status_row(update))
        await self.real.publish(update)  # type: ignore[attr-defined]
