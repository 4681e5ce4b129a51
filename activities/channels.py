"""The four channels an incident speaks through, one abstract base each (as Netflix Dispatch's
plugins), and the activities that hand a Delivery to whichever provider the worker was given.

Providers raise to have Temporal retry (its retry policy, never a loop of their own); a
`temporalio.exceptions.ApplicationError(non_retryable=True)` says retrying cannot help.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from temporalio import activity

from warroom.delivery import Delivery
from warroom.publicpage import PublicUpdate


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
    """Opens a ticket in the team's normal workflow (SEV4: nobody is paged)."""

    @abstractmethod
    async def open_ticket(self, delivery: Delivery) -> None: ...


class StatusPage(ABC):
    """Posts customer updates and resolutions: the built-in page, or Atlassian Statuspage."""

    @abstractmethod
    async def publish(self, update: PublicUpdate) -> None: ...


class ChannelActivities:
    def __init__(
        self, pager: Pager, notifier: Notifier, messenger: Messenger, ticketing: Ticketing, statuspage: StatusPage
    ):
        self.pager, self.notifier, self.messenger, self.ticketing = pager, notifier, messenger, ticketing
        self.statuspage = statuspage

    @activity.defn(name="page")
    async def page(self, delivery: Delivery) -> None:
        await self.pager.page(delivery)

    @activity.defn(name="notify")
    async def notify(self, delivery: Delivery) -> None:
        await self.notifier.notify(delivery)

    @activity.defn(name="remind")
    async def remind(self, delivery: Delivery) -> None:
        await self.messenger.remind(delivery)

    @activity.defn(name="open_ticket")
    async def open_ticket(self, delivery: Delivery) -> None:
        await self.ticketing.open_ticket(delivery)

    @activity.defn(name="publish_status")
    async def publish_status(self, update: PublicUpdate) -> None:
        await self.statuspage.publish(update)

    def all(self) -> list:
        return [self.page, self.notify, self.remind, self.open_ticket, self.publish_status]
