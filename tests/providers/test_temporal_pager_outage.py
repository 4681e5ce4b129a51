"""Issue 15 on the real dev server: PagerDuty answers the SEV2's first page with 503 for a while.
The page is an open obligation, not a give-up: Temporal retries it until PagerDuty is back, the
timeline says how late it went out, and meanwhile the rest of the incident keeps its clock (the
re-page and the secondary's escalation go out on time beside the stuck page)."""

from __future__ import annotations

import asyncio
import threading
import time

from tests.providers.fakes import Answer, FakeService, Request
from tests.workflow.harness import Harness, new_settings, scaled
from warroom.actions import Keys
from workers.main import build_worker

ROUTING_KEY = "R0UT1NGKEY0000000000000000000002"
DOWN_FOR = 12.0  # seconds PagerDuty refuses the first page
LIVENESS = 60  # seconds: a bound on waiting, not a timing goal


class FlakyPagerDuty:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted: dict[str, float] = {}  # dedup_key -> when accepted (monotonic)
        self.refused = 0
        self.began = time.monotonic()

    def __call__(self, request: Request) -> Answer:
        assert request.method == "POST" and request.path == "/v2/enqueue"
        event = request.json
        assert event["routing_key"] == ROUTING_KEY and event["event_action"] == "trigger"
        key = event["dedup_key"]
        with self.lock:
            if ":page:SEV2:" in key and time.monotonic() - self.began < DOWN_FOR:
                self.refused += 1
                return Answer(503, {"status": "error", "message": "Service Unavailable"})
            self.accepted.setdefault(key, time.monotonic())
        return Answer(202, {"status": "success", "message": "Event processed", "dedup_key": key})


async def test_a_page_refused_by_a_pager_outage_goes_out_late_and_holds_back_nothing(
    temporal_env, tmp_path, monkeypatch
):
    monkeypatch.setenv("WARROOM_TEST_PD_ROUTING_KEY", ROUTING_KEY)
    pagerduty = FlakyPagerDuty()
    with FakeService(pagerduty) as service:
        config = tmp_path / "warroom.yaml"
        config.write_text(
            "providers:\n  pager:\n    type: pagerduty\n"
            "    routing_key: {env: WARROOM_TEST_PD_ROUTING_KEY}\n"
            f"    base_url: {service.url}\n"
        )
        client = temporal_env.client
        settings = new_settings(tmp_path, client).model_copy(update={"config_file": config})
        async with build_worker(client, settings):
            h = Harness(client=client, settings=settings, policy=scaled())
            pagerduty.began = time.monotonic()
            incident = await h.declare("SEV2")
            first = f"{incident}:{Keys.page('SEV2')}:"
            deadline = asyncio.get_running_loop().time() + LIVENESS
            while not any(k.startswith(first) for k in pagerduty.accepted):
                assert asyncio.get_running_loop().time() < deadline, "the page was never retried through"
                await asyncio.sleep(0.2)
            view = await h.wait_view(incident, lambda v: Keys.page("SEV2") in v.state.done)
    with pagerduty.lock:
        accepted, refused = dict(pagerduty.accepted), pagerduty.refused

    assert refused >= 3  # it was tried, and refused, several times
    def when(prefix: str) -> float:
        return min(t for k, t in accepted.items() if k.startswith(prefix))

    paged = when(first)
    assert when(f"{incident}:{Keys.REPAGE}:") < paged  # no head-of-line wait behind the stuck page
    assert when(f"{incident}:{Keys.ack_escalation('secondary')}:") < paged
    page = view.state.done[Keys.page("SEV2")]
    assert not page.failed
    [line] = [e for e in view.state.timeline if e.kind == "page" and "R-SEV-6" in e.text]
    assert "late" in line.text, line.text  # "…; went out 13s late"
    assert not [e for e in view.state.timeline if e.kind == "delivery-failed"]
