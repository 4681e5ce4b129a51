"""The channels an incident speaks through, one abstract base each (as Netflix Dispatch's
plugins), and the activities that hand a Delivery to whichever provider the worker was given.

Providers raise to have Temporal retry (its retry policy, never a loop of their own); a
`temporalio.exceptions.ApplicationError(non_retryable=True)` says retrying cannot help.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import http
from activities.http import heartbeating
from activities.metered import counted
from warroom.actions import Channel
from warroom.delivery import Delivery, Recipient
from warroom.publicpage import PublicUpdate
from warroom.tracker import TrackerIssue, TrackerKind, TrackerRef, TrackerState


class Pager(ABC):
    """Wakes a person up: PagerDuty, Opsgenie, or the outbox."""

    @abstractmethod
    async def page(self, delivery: Delivery) -> None: ...


class Notifier(ABC):
    """Informs without paging: executives, legal, stakeholders (e-mail)."""

    @abstractmethod
    async def notify(self, delivery: Delivery) -> None: ...


class Messenger(ABC):
    """Nudges a role holder in chat when a deadline nears or passes."""

    @abstractmethod
    async def remind(self, delivery: Delivery) -> None: ...


class Ticketing(ABC):
    """Opens a ticket in the team's normal workflow (SEV4: nobody is paged). A tracker answers with
    the issue it opened, which the incident's timeline links to; the outbox and a webhook with None."""

    @abstractmethod
    async def open_ticket(self, delivery: Delivery) -> TrackerRef | None: ...


class Tracker(ABC):
    """The team's issue tracker (Jira Cloud, Linear): action items live there as issues too, kept in
    step both ways (warroom.tracker). Both calls are idempotent: `create_issue` finds the issue an
    earlier attempt opened for the same key, `set_state` does nothing when the issue is there already."""

    kind: TrackerKind

    @abstractmethod
    async def create_issue(self, issue: TrackerIssue) -> TrackerRef: ...

    @abstractmethod
    async def set_state(self, ref: TrackerRef, state: TrackerState) -> None: ...


class StatusPage(ABC):
    """Posts customer updates and resolutions: the built-in page, or Atlassian Statuspage."""

    @abstractmethod
    async def publish(self, update: PublicUpdate) -> None: ...


class OpenChannel(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    name: str  # inc-7k2qd-checkout-failing
    summary: str
    detail: str
    invitees: tuple[Recipient, ...]
    game_day: bool = False

    @property
    def idempotency_key(self) -> str:
        return f"{self.incident_id}:channel:open"


class ChannelPost(BaseModel):
    model_config = ConfigDict(frozen=True)
    incident_id: str
    channel: str
    key: str  # the action key: one post per key, however often the activity is retried
    text: str
    invitees: tuple[Recipient, ...] = ()  # people to bring in who are not there yet
    archive: bool = False
    game_day: bool = False  # an exercise's channel: the outbox, never a real workspace (R-GAME-25)

    @property
    def idempotency_key(self) -> str:
        return f"{self.incident_id}:{self.key}"


class Batch(BaseModel):
    """Deliveries of one channel (pager, e-mail or chat) that fell due in the same turn of one
    incident, sent side by side by one activity. One activity each cost the server a task and a
    workflow task apiece; after an outage an incident has a dozen or more due at once, and that
    catch-up, not the sending, is what one worker could not drain in seconds (bench/chaos.py)."""

    model_config = ConfigDict(frozen=True)
    deliveries: tuple[Delivery, ...]


class Sent(BaseModel):
    """What became of one delivery of a batch: sent; refused for good (`failure`: the provider
    said retrying cannot help); or `again`: it failed in a way a retry may mend, and the workflow
    sends it alone, through the single delivery's activity and its retry policy, so that one
    provider's outage holds back no other delivery of the batch."""

    model_config = ConfigDict(frozen=True)
    key: str  # the action's key
    failure: str | None = None
    again: bool = False


class IncidentChannels(ABC):
    """The incident's own chat channel: opened once, posted to, archived (R-COMM-12, R-F15-11).
    Idempotent: a retried open finds the channel it made, a retried post does not post twice."""

    @abstractmethod
    async def open(self, request: OpenChannel) -> str: ...

    @abstractmethod
    async def post(self, request: ChannelPost) -> None: ...


class ChannelActivities:
    """The activities; each heartbeats while its provider works (workflows/attempts.py says why)
    and counts its outcome (activities/metered.py: warroom_deliveries_total, the lateness histogram)."""

    def __init__(
        self, pager: Pager, notifier: Notifier, messenger: Messenger, ticketing: Ticketing, statuspage: StatusPage,
        channels: IncidentChannels, bundles: Pager | None = None,
    ):
        """`bundles` sends a throttle's bundled page: the pager without the throttle (it is
        `pager` itself when nothing is throttled)."""
        self.pager, self.notifier, self.messenger, self.ticketing = pager, notifier, messenger, ticketing
        self.statuspage, self.channels, self.bundles = statuspage, channels, bundles or pager

    @activity.defn(name="page")
    async def page(self, delivery: Delivery) -> None:
        async with heartbeating(), counted(delivery.channel, delivery.due_at):
            await self.pager.page(delivery)

    @activity.defn(name="page_bundle")
    async def page_bundle(self, bundle: Delivery) -> None:
        """The pages a person's throttle held, as one page (workflows/throttle.py)."""
        async with heartbeating(), counted(bundle.channel, bundle.due_at):
            await self.bundles.page(bundle)

    @activity.defn(name="notify")
    async def notify(self, delivery: Delivery) -> None:
        async with heartbeating(), counted(delivery.channel, delivery.due_at):
            await self.notifier.notify(delivery)

    @activity.defn(name="remind")
    async def remind(self, delivery: Delivery) -> None:
        async with heartbeating(), counted(delivery.channel, delivery.due_at):
            await self.messenger.remind(delivery)

    @activity.defn(name="open_ticket")
    async def open_ticket(self, delivery: Delivery) -> TrackerRef | None:
        async with heartbeating(), counted(delivery.channel, delivery.due_at):
            return await self.ticketing.open_ticket(delivery)

    @activity.defn(name="deliver_batch")
    async def deliver_batch(self, batch: Batch) -> tuple[Sent, ...]:
        """A Batch, side by side. A delivery that went out is marked in the heartbeat's progress
        set under its idempotency key, so a retried attempt (the worker died) sends it no more."""
        async with heartbeating():
            return tuple(await asyncio.gather(*(self._one(delivery) for delivery in batch.deliveries)))

    async def _one(self, delivery: Delivery) -> Sent:
        if http.already_done(delivery.idempotency_key):
            return Sent(key=delivery.action_key)
        try:
            async with counted(delivery.channel, delivery.due_at):
                await self._sender(delivery.channel)(delivery)
        except Exception as exc:  # noqa: BLE001 - a provider's fault of any kind concerns that delivery alone
            if isinstance(exc, ApplicationError) and exc.non_retryable:
                return Sent(key=delivery.action_key, failure=exc.message)
            why = exc.message if isinstance(exc, ApplicationError) else type(exc).__name__
            http.warn(f"{delivery.action_key}: {why}; it goes again alone")
            return Sent(key=delivery.action_key, again=True)
        http.mark_done(delivery.idempotency_key)
        return Sent(key=delivery.action_key)

    def _sender(self, channel: Channel) -> Callable[[Delivery], Awaitable[None]]:
        """The provider's call for a channel a Batch may carry (the same the single activities make)."""
        return {Channel.pager: self.pager.page, Channel.email: self.notifier.notify,
                Channel.chat: self.messenger.remind}[channel]

    @activity.defn(name="publish_status")
    async def publish_status(self, update: PublicUpdate) -> None:
        async with heartbeating(), counted("statuspage"):
            await self.statuspage.publish(update)

    @activity.defn(name="open_channel")
    async def open_channel(self, request: OpenChannel) -> str:
        async with heartbeating(), counted("incident_channel"):
            return await self.channels.open(request)

    @activity.defn(name="post_to_channel")
    async def post_to_channel(self, request: ChannelPost) -> None:
        async with heartbeating(), counted("incident_channel"):
            await self.channels.post(request)

    def all(self) -> list:
        return [self.page, self.page_bundle, self.notify, self.remind, self.open_ticket, self.deliver_batch,
                self.publish_status, self.open_channel, self.post_to_channel]
