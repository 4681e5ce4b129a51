"""Issue 16.3: the pager throttle (at most N pages a minute to one person, the rest as ONE bundle)
keeps its state in Temporal, one PagerThrottleWorkflow per person, so the limit holds however
many workers page that person. Real dev server; two workers on one queue, each with its own
ThrottledPager (as two worker hosts have); the outbox is what the person would receive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from activities.channels import ChannelActivities
from activities.outbox import OutboxProvider
from activities.throttle import ThrottledPager
from tests.providers.conftest import delivery
from tests.workflow.harness import new_settings
from warroom.delivery import Delivery
from warroom.outbox import Outbox, OutboxRow
from warroom.temporal.door import Door
from workers.main import SANDBOX
from workflows.throttle import PagerThrottleWorkflow

WINDOW = timedelta(seconds=3)  # the minute, scaled: the bundle's wait is a real durable timer
LIVENESS = 30  # seconds: a bound on waiting for the bundle, not a timing goal


def pages(n: int, handle: str = "bob") -> list[Delivery]:
    return [delivery(handle, action_key=f"ack:repage:{i}", subject=f"[INC-7K2QD] page {i}") for i in range(1, n + 1)]


@asynccontextmanager
async def hosts(client: Client, tmp_path: Path, per_minute: int, count: int = 2) -> AsyncIterator[list[ThrottledPager]]:
    """`count` worker hosts on one queue: each runs the throttle workflows and sends bundles, and
    each has its own pager under the limit, all writing to one outbox."""
    settings = new_settings(tmp_path, client)
    outbox = OutboxProvider(Outbox(settings.outbox_path))
    activities = ChannelActivities(pager=outbox, notifier=outbox, messenger=outbox, ticketing=outbox,
                                   statuspage=outbox, channels=outbox)  # type: ignore[arg-type]
    pagers = []
    async with AsyncExitStack() as stack:
        for _ in range(count):  # a connection per host: one client may run one worker per queue
            own = await Client.connect(client.service_client.config.target_host, namespace=client.namespace,
                                       data_converter=client.data_converter)
            await stack.enter_async_context(Worker(
                own, task_queue=settings.task_queue, workflows=[PagerThrottleWorkflow],
                activities=[activities.page_bundle], workflow_runner=SANDBOX,
            ))
            pagers.append(ThrottledPager(outbox, Door(own, settings.task_queue).admit_page, per_minute, WINDOW))
        yield pagers


async def rows_until(outbox: Outbox, count: int) -> list[OutboxRow]:
    deadline = asyncio.get_running_loop().time() + LIVENESS
    while len(rows := outbox.read("INC-7K2QD")) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the outbox holds only {[r.action_key for r in rows]}")
        await asyncio.sleep(0.1)
    return rows


async def test_two_pages_then_one_bundle_with_the_other_three_across_two_workers(temporal_env, tmp_path):
    async with hosts(temporal_env.client, tmp_path, per_minute=2) as (first, second):
        outbox = first.inner.outbox
        before = datetime.now(UTC)  # before page 1 was let through
        for i, page in enumerate(pages(5)):
            await (first if i % 2 else second).page(page)
        assert [r.action_key for r in outbox.read("INC-7K2QD")] == ["ack:repage:1", "ack:repage:2"]
        rows = await rows_until(outbox, 3)
    bundle = rows[2]
    assert bundle.action_key.startswith("throttled:") and bundle.recipient == "bob"
    assert bundle.subject == "3 held page(s): INC-7K2QD"
    for i in (3, 4, 5):
        assert f"[INC-7K2QD] page {i} (INC-7K2QD:ack:repage:{i})" in bundle.text
    assert bundle.created_at >= before + WINDOW  # it waited until page 1 left the window


async def test_pages_at_once_from_two_workers_still_respect_the_limit(temporal_env, tmp_path):
    """Five pages for bob and one for carol, all at the same moment from two hosts: one page for
    each, then bob's bundle of four; with a file per host bob would have had two at once."""
    async with hosts(temporal_env.client, tmp_path, per_minute=1) as (first, second):
        outbox = first.inner.outbox
        bob = pages(5)
        await asyncio.gather(*(host.page(page) for host, page in zip([first, second] * 3, bob, strict=False)),
                             second.page(pages(1, "carol")[0]))
        immediate = outbox.read("INC-7K2QD")
        assert sorted(r.recipient for r in immediate) == ["bob", "carol"]
        rows = await rows_until(outbox, 3)
    assert rows[2].recipient == "bob" and rows[2].subject == "4 held page(s): INC-7K2QD"


async def test_retries_send_nothing_twice(temporal_env, tmp_path):
    """Every page asked about again (a retried activity, on either host), before and after the
    bundle went out: the person receives nothing more."""
    async with hosts(temporal_env.client, tmp_path, per_minute=2) as (first, second):
        outbox = first.inner.outbox
        for page in pages(5):
            await first.page(page)
        for page in pages(5):
            await second.page(page)
        sent = await rows_until(outbox, 3)
        for page in pages(5):
            await second.page(page)
        await asyncio.sleep(WINDOW.total_seconds() * 2)  # room for a wrong second bundle to appear
        assert outbox.read("INC-7K2QD") == sent


async def test_a_delivery_to_several_people_is_held_only_for_those_at_the_limit(temporal_env, tmp_path):
    async with hosts(temporal_env.client, tmp_path, per_minute=1, count=1) as (host,):
        outbox = host.inner.outbox
        await host.page(delivery("bob", action_key="page:SEV2"))
        await host.page(delivery("bob", "judy", action_key="page:SEV1"))
        assert [(r.action_key, r.recipient) for r in outbox.read("INC-7K2QD")] == [
            ("page:SEV2", "bob"), ("page:SEV1", "judy"),
        ]
        rows = await rows_until(outbox, 3)
    assert rows[2].recipient == "bob" and "INC-7K2QD:page:SEV1" in rows[2].text
