"""Scale-out (issue 16.3): three `warroom worker` processes and two `warroom serve` gateways on
one dev server; alerts for 100 incidents sent to the gateways in turn (as Alertmanager would,
retrying what a gateway did not take) while workers are SIGKILLed at random and restarted.

The workers share one outbox, standing for the paging provider (which de-duplicates by the
idempotency key as PagerDuty does); each gateway keeps a data directory of its own. The pager is
throttled (`throttle_per_minute`), so every on-call person gets a storm of pages from all three
workers: the limit must hold for the person, not per worker. Counted afterwards, as a user would:
every alert opened its incident; no action ran twice; nothing due was missed; every page the
throttle held went out in a bundle; no page reached the outbox without the person's throttle
letting it through; and no person's throttle let more through in a minute than the limit (told
by its history's event times: the outbox's own times add the delivery's delays, which a kill
makes seconds long).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.client import Client

from tests.workflow.chaos import QUEUE, Cluster, Outcome, _count, connect, view
from tests.workflow.harness import Harness
from warroom.actions import SPEC, Channel
from warroom.outbox import Outbox
from warroom.policy import load_policy
from warroom.temporal.throttle import workflow_id as throttle_workflow_id
from warroom.throttle import WINDOW, Verdict

ROOT = Path(__file__).resolve().parents[2]
BEARER_ENV = "WARROOM_SCALEOUT_BEARER"
DELIVERY_SLACK = timedelta(seconds=15)  # a page admitted at once may reach the outbox later (a kill)
CLOCK_SKEW = timedelta(seconds=1)  # between the throttle's clock (a task's start) and its events' times
# A held page waits at most one WINDOW: its bundle is due when the oldest of the person's last
# `per_minute` pages leaves the window, and that page was in the window when it was held.


@dataclass(frozen=True)
class Plan:
    incidents: int = 100
    workers: int = 3
    gateways: int = 2
    kills: int = 6
    alerts_for: float = 40.0  # seconds over which the alerts arrive and the kills fall
    dead_for: float = 1.0  # seconds a killed worker stays dead
    per_minute: int = 5  # the pager throttle
    settle: float = 75.0  # longer than the throttle's minute: the last bundles go out
    seed: int = 1


@dataclass
class ScaleOutcome(Outcome):
    alerts: int = 0
    incidents: int = 0
    pages: int = 0  # pager rows, bundles included
    bundles: int = 0
    held_lost: list[str] = field(default_factory=list)  # pages the throttle held that no bundle carried
    over_limit: list[str] = field(default_factory=list)  # let through past the limit, or round the throttle


def config(per_minute: int) -> str:
    return f"""
ingest:
  alertmanager: {{bearer_token: {{env: {BEARER_ENV}}}}}
providers:
  pager: {{type: outbox, throttle_per_minute: {per_minute}}}
"""


def alert(i: int) -> dict:
    """Alertmanager's webhook (payload version 4), one group per incident: critical (SEV1) and
    page (SEV2) in turn, for the payments service."""
    name = f"ScaleOut{i:03d}"
    severity = "critical" if i % 2 else "page"
    labels = {"alertname": name, "service": "payments", "severity": severity}
    starts = (datetime.now(UTC) - timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    return {
        "version": "4", "groupKey": '{}:{alertname="' + name + '"}', "truncatedAlerts": 0, "status": "firing",
        "receiver": "warroom", "groupLabels": {"alertname": name}, "commonLabels": labels,
        "commonAnnotations": {"summary": f"Scale-out alert {i}"}, "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": "firing", "labels": labels, "annotations": {"summary": f"Scale-out alert {i}"},
            "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": hashlib.sha256(name.encode()).hexdigest()[:16],
        }],
    }


async def run(plan: Plan) -> ScaleOutcome:
    with tempfile.TemporaryDirectory(prefix="warroom-scaleout-") as tmp:
        root = Path(tmp)
        (root / "warroom.yaml").write_text(config(plan.per_minute))
        token = secrets.token_urlsafe(24)
        (root / "workers").mkdir()
        cluster = Cluster(root / "workers", env={"WARROOM_CONFIG": str(root / "warroom.yaml"), BEARER_ENV: token})
        try:
            return await _run(plan, cluster, root, token)
        finally:
            cluster.stop()


async def _run(plan: Plan, cluster: Cluster, root: Path, token: str) -> ScaleOutcome:
    rng, outcome, began = random.Random(plan.seed), ScaleOutcome(), time.monotonic()

    def say(what: str) -> None:
        outcome.timeline.append((round(time.monotonic() - began, 1), what))

    await cluster.start_server()
    client = await connect(cluster.address)
    live = [cluster.start_worker() for _ in range(plan.workers)]
    urls = [await cluster.start_gateway(root / f"gateway-{i}") for i in range(plan.gateways)]
    say(f"{plan.workers} workers, {len(urls)} gateways")

    async def send_alerts() -> None:
        async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:
            for i in range(plan.incidents):
                await asyncio.sleep(max(0.0, began + plan.alerts_for * i / plan.incidents - time.monotonic()))
                for attempt in range(50):  # Alertmanager retries what the gateway did not take
                    url = urls[(i + attempt) % len(urls)]
                    try:
                        if (await http.post(f"{url}/v1/alerts/alertmanager", json=alert(i))).status_code == 200:
                            outcome.alerts += 1
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.5)

    sending = asyncio.create_task(send_alerts())
    for at in sorted(rng.uniform(3, plan.alerts_for) for _ in range(plan.kills)):
        await asyncio.sleep(max(0.0, began + at - time.monotonic()))
        victim = rng.randrange(len(live))
        say(f"SIGKILL worker {victim}; a new one in {plan.dead_for:g}s")
        cluster.kill(live[victim])
        await asyncio.sleep(plan.dead_for)
        live[victim] = cluster.start_worker()
    await sending
    await asyncio.sleep(plan.settle)
    say("counting")
    harness = Harness(client=client, settings=cluster.settings(), policy=load_policy(ROOT / "runbooks"))
    query = f'TaskQueue="{QUEUE}" AND WorkflowType="IncidentWorkflow"'
    incidents = sorted({w.id async for w in client.list_workflows(query)})
    outcome.incidents = len(incidents)
    await _count(harness, incidents, cluster, outcome, began)
    await _throttle(harness, incidents, Outbox(cluster.root / "outbox.sqlite"), plan.per_minute, outcome)
    return outcome


async def _throttle(harness: Harness, incidents: list[str], outbox: Outbox, per_minute: int,
                    outcome: ScaleOutcome) -> None:
    pages = [r for r in outbox.read() if r.channel == "pager"]
    outcome.pages, outcome.bundles = len(pages), sum(r.action_key.startswith("throttled:") for r in pages)
    direct = {(r.incident, r.action_key, r.recipient) for r in pages}
    bundled: dict[str, str] = {}
    for row in pages:
        if row.action_key.startswith("throttled:"):
            bundled[row.recipient] = bundled.get(row.recipient, "") + row.text
    counted_at = datetime.now(UTC)
    for incident in incidents:
        state = (await view(harness.client, incident)).state
        for key, done in state.done.items():
            if SPEC[done.kind].channel is not Channel.pager or done.failed:
                continue
            if done.at > counted_at - WINDOW - DELIVERY_SLACK:
                continue  # held now, its bundle may still be waiting for the window: not yet due
            for handle in done.targets:
                if (incident, key, handle) not in direct and f"({incident}:{key})" not in bundled.get(handle, ""):
                    outcome.held_lost.append(f"{incident} {key} {handle}")
    for person in sorted({r.recipient for r in pages}):
        sends, bundles = await _decisions(harness.client, person)
        for row in (r for r in pages if r.recipient == person):  # nothing went round the throttle
            if row.action_key.startswith("throttled:"):
                continue
            if f"{row.incident}:{row.action_key}" not in sends:
                outcome.over_limit.append(f"{person}: {row.incident} {row.action_key} paged without the throttle")
        times = sorted([*sends.values(), *bundles])
        for first, last in zip(times, times[per_minute:], strict=False):  # per_minute + 1 pages
            if last - first < WINDOW - CLOCK_SKEW:
                outcome.over_limit.append(f"{person}: {per_minute + 1} pages let through within {last - first}")


async def _decisions(client: Client, person: str) -> tuple[dict[str, datetime], list[datetime]]:
    """What the person's throttle let through, from its history (every run): when each page it
    answered SEND was admitted, by key, and when each bundle was sent."""
    sends: dict[str, datetime] = {}
    bundles: list[datetime] = []
    workflow_id = throttle_workflow_id(person, QUEUE)
    async for execution in client.list_workflows(f'WorkflowId="{workflow_id}"'):
        history = await client.get_workflow_handle(workflow_id, run_id=execution.run_id).fetch_history()
        accepted: dict[int, tuple[str, datetime]] = {}
        for event in history.events:
            at = event.event_time.ToDatetime(UTC)
            if event.HasField("workflow_execution_update_accepted_event_attributes"):
                request = event.workflow_execution_update_accepted_event_attributes.accepted_request
                accepted[event.event_id] = (json.loads(request.input.args.payloads[0].data)["key"], at)
            elif event.HasField("workflow_execution_update_completed_event_attributes"):
                done = event.workflow_execution_update_completed_event_attributes
                key, admitted = accepted[done.accepted_event_id]
                if json.loads(done.outcome.success.payloads[0].data) == Verdict.send:
                    sends.setdefault(key, admitted)
            elif (event.HasField("activity_task_scheduled_event_attributes")
                  and event.activity_task_scheduled_event_attributes.activity_type.name == "page_bundle"):
                bundles.append(at)
    return sends, bundles
