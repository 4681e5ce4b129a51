"""R-GAME-25: exercise pages and posts never reach a real provider; they go to the outbox."""

from __future__ import annotations

import uuid
from pathlib import Path

from activities.channels import Messenger, Notifier, Pager, StatusPage, Ticketing
from activities.gameday import GameDayGuard
from activities.outbox import OutboxProvider
from activities.pagerduty import PagerDutyPager
from activities.throttle import ThrottledPager
from tests.providers.conftest import delivery, update
from tests.providers.fakes import Answer, FakeService
from warroom.config import Settings
from warroom.delivery import Delivery
from warroom.outbox import Outbox
from warroom.publicpage import PublicUpdate
from workers.main import build_worker, channels


class Real(Pager, Notifier, Messenger, Ticketing, StatusPage):
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def page(self, d: Delivery) -> None:
        self.calls.append(("page", d.idempotency_key))

    async def notify(self, d: Delivery) -> None:
        self.calls.append(("notify", d.idempotency_key))

    async def remind(self, d: Delivery) -> None:
        self.calls.append(("remind", d.idempotency_key))

    async def open_ticket(self, d: Delivery) -> None:
        self.calls.append(("open_ticket", d.idempotency_key))

    async def publish(self, u: PublicUpdate) -> None:
        self.calls.append(("publish", u.key))


async def test_game_day_deliveries_go_to_the_outbox_and_real_ones_to_the_provider(tmp_path):
    real, outbox = Real(), Outbox(tmp_path / "outbox.sqlite")
    guard = GameDayGuard(real, OutboxProvider(outbox))
    for method, channel in (("page", "pager"), ("notify", "email"), ("remind", "chat"), ("open_ticket", "ticket")):
        await getattr(guard, method)(delivery("bob", action_key=f"{method}:x", channel=channel, game_day=True))
    await guard.publish(update(game_day=True))
    assert real.calls == []
    rows = outbox.read("INC-7K2QD")
    assert [(r.channel, r.action_key, r.game_day) for r in rows] == [
        ("pager", "page:x", True),
        ("email", "notify:x", True),
        ("chat", "remind:x", True),
        ("ticket", "open_ticket:x", True),
        ("status", "customer-update:investigating", True),
    ]
    assert rows[-1].recipient == "status-page" and rows[-1].text.startswith("investigating: We are investigating")

    await guard.page(delivery("bob"))
    await guard.publish(update())
    assert real.calls == [("page", "INC-7K2QD:page:SEV1"), ("publish", "INC-7K2QD:customer-update:investigating")]
    assert len(outbox.read("INC-7K2QD")) == 5


def config(tmp_path: Path, text: str) -> Settings:
    (tmp_path / "warroom.yaml").write_text(text)
    return Settings(data_dir=tmp_path / "data", config_file=tmp_path / "warroom.yaml",
                    task_queue=f"test-{uuid.uuid4().hex[:12]}")


async def test_the_worker_guards_every_real_provider_and_throttles_the_pager(tmp_path, monkeypatch, temporal_env):
    """channels() from a warroom.yaml selecting PagerDuty (throttled) and webhooks: a game-day page,
    notice and status update reach no server; a real page does, once its person's throttle (a
    workflow, run by the worker) lets it through."""
    monkeypatch.setenv("WARROOM_TEST_PD_KEY", "R0UT1NGKEY0000000000000000000001")
    monkeypatch.setenv("WARROOM_TEST_HOOK", "whsec_dGVzdHRlc3R0ZXN0dGVzdA==")
    with FakeService(lambda r: Answer(202, {"status": "success", "message": "Event processed"})) as service:
        settings = config(
            tmp_path,
            f"""
providers:
  pager:
    type: pagerduty
    routing_key: {{env: WARROOM_TEST_PD_KEY}}
    base_url: "{service.url}"
    throttle_per_minute: 3
  email: {{type: webhook, url: "{service.url}/email", secret: {{env: WARROOM_TEST_HOOK}}}}
  statuspage: {{type: webhook, url: "{service.url}/status", secret: {{env: WARROOM_TEST_HOOK}}}}
""",
        )
        built = channels(temporal_env.client, settings)
        assert isinstance(built.pager, GameDayGuard) and isinstance(built.pager.real, ThrottledPager)
        assert isinstance(built.pager.real.inner, PagerDutyPager) and built.pager.real.limit == 3
        assert isinstance(built.messenger, OutboxProvider) and isinstance(built.ticketing, OutboxProvider)

        await built.pager.page(delivery("bob", game_day=True))
        await built.notifier.notify(delivery("frank", action_key="notify:SEV1", channel="email", game_day=True))
        await built.statuspage.publish(update(game_day=True))
        assert service.seen() == []
        assert [r.channel for r in Outbox(settings.outbox_path).read()] == ["pager", "email", "status"]

        async with build_worker(temporal_env.client, settings):
            await built.pager.page(delivery("bob"))
        assert [r.path for r in service.seen()] == ["/v2/enqueue"]
