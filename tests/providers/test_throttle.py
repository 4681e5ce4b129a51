"""ThrottledPager: at most N pages a minute to one person, the rest as ONE bundled page. Time is
a fake clock the test moves; the bundle's wait is a gate the test opens (no timed assertions)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels import Pager
from activities.outbox import OutboxProvider
from activities.throttle import ThrottledPager
from tests.providers.conftest import delivery
from warroom.delivery import Delivery
from warroom.outbox import Outbox

LIVENESS = 10  # seconds: a bound on waiting for the bundle task, not a timing goal


class Recorder(Pager):
    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    async def page(self, delivery: Delivery) -> None:
        self.sent.append(delivery)

    def to(self, handle: str) -> list[Delivery]:
        return [d for d in self.sent if handle in {r.handle for r in d.recipients}]


class Clock:
    """Wall time the test controls; `sleep` waits until the test opens the gate, then moves time."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.gate = asyncio.Event()
        self.sleeping = asyncio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeping.set()
        await self.gate.wait()
        self.now += seconds


def throttled(inner: Pager, clock: Clock, tmp_path, per_minute: int = 2) -> ThrottledPager:
    return ThrottledPager(inner, per_minute, tmp_path / "throttle.sqlite", clock=clock, sleep=clock.sleep)


def pages(n: int, handle: str = "bob") -> list[Delivery]:
    return [delivery(handle, action_key=f"ack:repage:{i}", subject=f"[INC-7K2QD] page {i}") for i in range(1, n + 1)]


async def five_pages_in_a_minute(pager: ThrottledPager, clock: Clock) -> asyncio.Task:
    first, second, third, fourth, fifth = pages(5)
    await pager.page(first)
    clock.now += 5
    await pager.page(second)
    clock.now += 5
    owner = asyncio.create_task(pager.page(third))  # opens the bundle and waits for the window
    await asyncio.wait_for(clock.sleeping.wait(), LIVENESS)
    clock.now += 5
    await asyncio.wait_for(pager.page(fourth), LIVENESS)  # joins the bundle, returns at once
    await asyncio.wait_for(pager.page(fifth), LIVENESS)
    return owner


async def test_two_pages_then_one_bundle_with_the_other_three(tmp_path):
    inner, clock = Recorder(), Clock()
    pager = throttled(inner, clock, tmp_path)
    owner = await five_pages_in_a_minute(pager, clock)
    assert [d.action_key for d in inner.sent] == ["ack:repage:1", "ack:repage:2"]  # the rest are held
    clock.gate.set()
    await asyncio.wait_for(owner, LIVENESS)
    assert clock.now >= 1_000_000.0 + 60  # it waited until the first page left the window
    assert len(inner.sent) == 3
    bundle = inner.sent[2]
    assert [r.handle for r in bundle.recipients] == ["bob"]
    assert bundle.action_key.startswith("throttled:") and bundle.channel == "pager"
    for i in (3, 4, 5):
        assert f"[INC-7K2QD] page {i} (INC-7K2QD:ack:repage:{i})" in bundle.text
    assert "page 1 " not in bundle.text and "page 2 " not in bundle.text
    assert bundle.subject.startswith("3 held page(s)")


async def test_retries_send_nothing_twice(tmp_path):
    inner, clock = Recorder(), Clock()
    pager = throttled(inner, clock, tmp_path)
    owner = await five_pages_in_a_minute(pager, clock)
    clock.gate.set()
    await asyncio.wait_for(owner, LIVENESS)
    sent = list(inner.sent)
    again = throttled(inner, clock, tmp_path)  # a retry, even from a fresh provider (same host)
    for page in pages(5):
        await asyncio.wait_for(again.page(page), LIVENESS)
    assert inner.sent == sent


async def test_a_retried_bundle_owner_sends_the_bundle_once(tmp_path):
    """The owner's attempt fails while sending the bundle; the retry sends it, with the same key."""

    class FailsOnBundle(Recorder):
        failed = False

        async def page(self, delivery: Delivery) -> None:
            if delivery.action_key.startswith("throttled:") and not self.failed:
                self.failed = True
                raise RuntimeError("the provider is down")
            await super().page(delivery)

    inner, clock = FailsOnBundle(), Clock()
    pager = throttled(inner, clock, tmp_path)
    owner = await five_pages_in_a_minute(pager, clock)
    clock.gate.set()
    try:
        await asyncio.wait_for(owner, LIVENESS)
        raise AssertionError("the first attempt should have failed")
    except RuntimeError:
        pass
    third = pages(3)[2]
    await asyncio.wait_for(pager.page(third), LIVENESS)  # the retry of the owner
    await asyncio.wait_for(pager.page(third), LIVENESS)  # and another one: nothing left to do
    bundles = [d for d in inner.sent if d.action_key.startswith("throttled:")]
    assert len(bundles) == 1 and "page 5" in bundles[0].text


async def test_the_limit_is_per_person(tmp_path):
    inner, clock = Recorder(), Clock()
    pager = throttled(inner, clock, tmp_path, per_minute=1)
    await pager.page(pages(1, "bob")[0])
    owner = asyncio.create_task(pager.page(pages(2, "bob")[1]))
    await asyncio.wait_for(clock.sleeping.wait(), LIVENESS)
    await asyncio.wait_for(pager.page(pages(1, "carol")[0]), LIVENESS)  # carol's first page is not held
    assert [(d.action_key, d.recipients[0].handle) for d in inner.sent] == [
        ("ack:repage:1", "bob"),
        ("ack:repage:1", "carol"),
    ]
    clock.gate.set()
    await asyncio.wait_for(owner, LIVENESS)
    assert len(inner.to("bob")) == 2 and len(inner.to("carol")) == 1


async def test_a_delivery_to_several_people_is_held_only_for_those_at_the_limit(tmp_path):
    inner, clock = Recorder(), Clock()
    pager = throttled(inner, clock, tmp_path, per_minute=1)
    await pager.page(delivery("bob", action_key="page:SEV2"))
    owner = asyncio.create_task(pager.page(delivery("bob", "judy", action_key="page:SEV1")))
    await asyncio.wait_for(clock.sleeping.wait(), LIVENESS)
    assert [(d.action_key, [r.handle for r in d.recipients]) for d in inner.sent] == [
        ("page:SEV2", ["bob"]),
        ("page:SEV1", ["judy"]),
    ]
    clock.gate.set()
    await asyncio.wait_for(owner, LIVENESS)
    assert [r.handle for r in inner.sent[-1].recipients] == ["bob"] and "page:SEV1" in inner.sent[-1].text


async def test_throttled_outbox_rows_are_unique_on_retry(tmp_path):
    """With the real outbox as the wrapped pager: two rows, then the bundle row, nothing more."""
    outbox = Outbox(tmp_path / "outbox.sqlite")
    clock = Clock()
    pager = throttled(OutboxProvider(outbox), clock, tmp_path)
    owner = await five_pages_in_a_minute(pager, clock)
    clock.gate.set()
    await asyncio.wait_for(owner, LIVENESS)
    for page in pages(5):
        await pager.page(page)
    rows = outbox.read("INC-7K2QD")
    assert [r.action_key for r in rows][:2] == ["ack:repage:1", "ack:repage:2"]
    assert len(rows) == 3 and rows[2].action_key.startswith("throttled:")


async def test_a_wait_longer_than_the_attempt_may_run_becomes_a_retry_at_the_right_time(tmp_path):
    """In an activity whose start-to-close (30 s) ends before the window opens, the bundle's owner
    ends the attempt with a retryable ProviderThrottled error that asks to be retried when the
    window opens; the retry sends the bundle."""
    inner, clock = Recorder(), Clock()
    pager = throttled(inner, clock, tmp_path, per_minute=1)
    first, second = pages(2)
    await pager.page(first)
    clock.now += 10
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, start_to_close_timeout=timedelta(seconds=30), started_time=datetime.now(UTC)
    )
    with pytest.raises(ApplicationError) as caught:
        await env.run(pager.page, second)
    error = caught.value
    assert error.type == "ProviderThrottled" and not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=50)  # the first page leaves the window then
    clock.gate.set()
    await asyncio.wait_for(pager.page(second), LIVENESS)  # the retry
    assert [d.action_key for d in inner.sent][0] == "ack:repage:1" and len(inner.sent) == 2
    assert "ack:repage:2" in inner.sent[1].text
