"""The pager under a limit (`providers.pager.throttle_per_minute` in warroom.yaml): at most N
pages a minute to one person, the rest as one bundled page (warroom.throttle says how).

`ThrottledPager` wraps any Pager. For each recipient it asks that person's throttle, which
lives in Temporal (workflows/throttle.py), so the limit holds across every worker: it pages the
recipients the throttle lets through now and leaves the others to their bundle, which the
person's workflow sends (`ChannelActivities.page_bundle`) when the window has room.

Idempotent: a retried activity is answered as the first attempt was (the update's id is the
page's key), and the wrapped provider de-duplicates by the delivery's idempotency key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from activities.channels import Pager
from warroom.delivery import Delivery
from warroom.throttle import WINDOW, Page, Verdict

Admit = Callable[[Page], Awaitable[Verdict]]  # Door.admit_page: the activity cannot import the door


class ThrottledPager(Pager):
    def __init__(self, inner: Pager, admit: Admit, per_minute: int, window: timedelta = WINDOW):
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.inner, self.admit, self.limit, self.window = inner, admit, per_minute, window

    async def page(self, delivery: Delivery) -> None:
        now = [
            recipient for recipient in delivery.recipients
            if await self.admit(Page(
                recipient=recipient, key=delivery.idempotency_key, incident_id=delivery.incident_id,
                subject=delivery.subject, text=delivery.text, per_minute=self.limit, window=self.window,
            )) is Verdict.send
        ]
        if now:
            await self.inner.page(delivery.model_copy(update={"recipients": tuple(now)}))
