"""On the real Temporal dev server: a worker built from a warroom.yaml that selects PagerDuty,
pointed at a local Events v2 server. A SEV1 declaration pages bob, judy and erin through PagerDuty
with stable dedup_keys; the server fails the third trigger with a 500, Temporal retries the
activity, and the retry sends only what was still missing: every dedup_key is accepted once."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from tests.providers.fakes import Answer, FakeService, Request
from tests.workflow.harness import Harness, new_settings, scaled
from workers.main import build_worker

ROUTING_KEY = "R0UT1NGKEY0000000000000000000001"
LIVENESS = 60  # seconds: a bound on waiting for the pages, not a timing goal


class PagerDuty:
    """Events v2 as PagerDuty answers it. The SEV1 page's third trigger fails once with a 500: the
    first two were accepted in the same attempt (the first heartbeat goes out at once, the second
    is held back by the SDK's heartbeat throttling and flushed when the attempt fails), so the
    retry must skip both."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.order: list[str] = []
        self.failed: str | None = None

    def __call__(self, request: Request) -> Answer:
        assert request.method == "POST" and request.path == "/v2/enqueue"
        event = request.json
        if event.get("routing_key") != ROUTING_KEY:
            return Answer(
                400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["routing_key"]}
            )
        assert event["event_action"] == "trigger" and event["payload"]["severity"] == "critical"
        key = event["dedup_key"]
        with self.lock:
            self.attempts[key] += 1
            if ":page:SEV1:" in key and key not in self.order:
                self.order.append(key)
            if len(self.order) == 3 and self.failed is None:
                self.failed = key
                return Answer(500, {"status": "error", "message": "internal error"})
            self.accepted[key] += 1
        return Answer(202, {"status": "success", "message": "Event processed", "dedup_key": key})


async def test_sev1_pages_through_pagerduty_and_a_retry_sends_no_duplicate(temporal_env, tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_TEST_PD_ROUTING_KEY", ROUTING_KEY)
    pagerduty = PagerDuty()
    with FakeService(pagerduty) as service:
        config = tmp_path / "warroom.yaml"
        config.write_text(
            "providers:\n"
            "  pager:\n"
            "    type: pagerduty\n"
            "    routing_key: {env: WARROOM_TEST_PD_ROUTING_KEY}\n"
            f"    base_url: {service.url}\n"
        )
        client = temporal_env.client
        settings = new_settings(tmp_path, client).model_copy(update={"config_file": config})
        async with build_worker(client, settings):
            h = Harness(client=client, settings=settings, policy=scaled())
            incident = await h.declare("SEV1")
            wanted = {f"{incident}:page:SEV1:{handle}" for handle in ("bob", "judy", "erin")}

            deadline = asyncio.get_running_loop().time() + LIVENESS
            while not wanted <= set(pagerduty.accepted):
                assert asyncio.get_running_loop().time() < deadline, f"PagerDuty saw only {dict(pagerduty.attempts)}"
                await asyncio.sleep(0.1)
            # the executive notice still goes to the outbox: only the pager was configured
            rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "notify:SEV1" for r in rows))
        with pagerduty.lock:
            accepted, attempts, failed = dict(pagerduty.accepted), dict(pagerduty.attempts), pagerduty.failed

    assert {k for k in accepted if k.startswith(f"{incident}:page:SEV1:")} == wanted
    assert set(accepted.values()) == {1}, f"a dedup_key was accepted twice: {accepted}"
    assert failed in wanted and attempts[failed] == 2  # the 500, then Temporal's retry
    assert pagerduty.order[2] == failed
    assert [attempts[k] for k in pagerduty.order[:2]] == [1, 1]  # accepted before the 500: not sent again
    assert [r.recipient for r in rows if r.action_key == "notify:SEV1"] == ["frank"]
    assert not any(r.channel == "pager" for r in rows)
