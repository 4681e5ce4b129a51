"""The default provider for every channel: each message becomes a row of the outbox
(warroom.outbox), where `warroom outbox` and the gateway read it."""

from __future__ import annotations

import asyncio

from activities.channels import ChannelPost, IncidentChannels, Messenger, Notifier, OpenChannel, Pager, Ticketing
from warroom.delivery import Delivery, Recipient
from warroom.outbox import Outbox


class OutboxProvider(Pager, Notifier, Messenger, Ticketing, IncidentChannels):
    """Every channel, written to the outbox: the development default."""

    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    async def send(self, delivery: Delivery) -> None:
        await asyncio.to_thread(self.outbox.write, delivery)

    async def page(self, delivery: Delivery) -> None:
        await self.send(delivery)

    async def notify(self, delivery: Delivery) -> None:
        await self.send(delivery)

    async def remind(self, delivery: Delivery) -> None:
        await self.send(delivery)

    async def open_ticket(self, delivery: Delivery) -> None:
        await self.send(delivery)

    async def open(self, request: OpenChannel) -> str:
        channel = f"#{request.name}"
        await self.send(_channel_row(request.incident_id, "channel:open", channel,
                                     f"{request.summary}\n{request.detail}\ninvited: "
                                     + ", ".join(r.handle for r in request.invitees), request.game_day))
        return channel

    async def post(self, request: ChannelPost) -> None:
        await self.send(_channel_row(request.incident_id, request.key, request.channel, request.text,
                                     request.game_day))


def _channel_row(incident_id: str, key: str, channel: str, text: str, game_day: bool) -> Delivery:
    return Delivery(
        incident_id=incident_id, action_key=key, channel="chat",
        recipients=(Recipient(handle=channel, name=channel),), subject=channel, text=text, game_day=game_day,
    )
