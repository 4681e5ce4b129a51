"""A turn's pages, mails and reminders of one channel go as one activity (ChannelActivities.
deliver_batch, issue 15's catch-up after an outage). Each delivery of a batch keeps the outcome it
would have had alone: sent; refused for good with the provider's reason; or handed back to go
again alone when a retry may mend it. A retried attempt of the batch (its worker died) sends
nothing that the heartbeat recorded as sent. Run in the SDK's activity environment, with
providers that keep what they were given."""

from __future__ import annotations

import dataclasses

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels import Batch, ChannelActivities, Sent
from activities.outbox import OutboxProvider
from warroom.actions import Channel
from warroom.delivery import Delivery, Recipient
from warroom.outbox import Outbox


class Mail(OutboxProvider):
    """The outbox, refusing one action's mail for good and failing another's once."""

    def __init__(self, outbox: Outbox, refused: str = "", flaky: str = ""):
        super().__init__(outbox)
        self.refused, self.flaky, self.calls = refused, flaky, []

    async def notify(self, delivery: Delivery) -> None:
        self.calls.append(delivery.action_key)
        if delivery.action_key == self.refused:
            raise ApplicationError("smtp: 550 no such mailbox", non_retryable=True)
        if delivery.action_key == self.flaky:
            raise ConnectionResetError("smtp: connection reset")
        await self.send(delivery)


def mail(key: str) -> Delivery:
    return Delivery(incident_id="INC-B4TCH", action_key=key, channel=Channel.email,
                    recipients=(Recipient(handle="legal", name="Legal"),), subject="[INC-B4TCH]", text=key)


def activities(provider: OutboxProvider) -> ChannelActivities:
    return ChannelActivities(pager=provider, notifier=provider, messenger=provider, ticketing=provider,
                             statuspage=None, channels=provider)  # type: ignore[arg-type]


@pytest.fixture
def outbox(tmp_path) -> Outbox:
    return Outbox(tmp_path / "outbox.sqlite")


async def test_each_delivery_of_a_batch_comes_back_sent_refused_or_to_go_again_alone(outbox: Outbox) -> None:
    provider = Mail(outbox, refused="notify:legal", flaky="notify:executive")
    batch = Batch(deliveries=(mail("notify:SEV1"), mail("notify:legal"), mail("notify:executive")))
    sent = await ActivityEnvironment().run(activities(provider).deliver_batch, batch)
    assert sent == (
        Sent(key="notify:SEV1"),
        Sent(key="notify:legal", failure="smtp: 550 no such mailbox"),
        Sent(key="notify:executive", again=True),
    )
    assert [row.action_key for row in outbox.read()] == ["notify:SEV1"]  # only what went out


async def test_a_retried_batch_sends_nothing_its_heartbeat_recorded_as_sent(outbox: Outbox) -> None:
    """The first attempt sent notify:SEV1 and heartbeated so, then its worker died."""
    first = ActivityEnvironment()
    beats: list[tuple] = []
    first.on_heartbeat = lambda *details: beats.append(details)
    provider = Mail(outbox)
    batch = Batch(deliveries=(mail("notify:SEV1"),))
    await first.run(activities(provider).deliver_batch, batch)
    [recorded] = beats[-1]  # the progress set the next attempt is given
    assert mail("notify:SEV1").idempotency_key in recorded

    again = ActivityEnvironment()
    again.info = dataclasses.replace(again.info, attempt=2, heartbeat_details=[recorded], task_token=b"second")
    provider.calls.clear()
    batch = Batch(deliveries=(mail("notify:SEV1"), mail("notify:legal")))
    sent = await again.run(activities(provider).deliver_batch, batch)
    assert sent == (Sent(key="notify:SEV1"), Sent(key="notify:legal"))
    assert provider.calls == ["notify:legal"]
    assert sorted(row.action_key for row in outbox.read()) == ["notify:SEV1", "notify:legal"]
