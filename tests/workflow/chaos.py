"""A chaos run: real incidents on a real Temporal dev server while its workers are SIGKILLed, the
server itself is SIGKILLed and restarted on the same SQLite file, and once no worker runs at all
for longer than any timeout that can fire during an outage (heartbeat 5 s, workflow task 10 s).

Shared by tests/workflow/test_chaos.py (bounded, in `make test`) and bench/chaos.py (100
incidents, the table). What a user would check, counted afterwards from Temporal and the outbox:
- expected: every delivery the incidents' rules made due (done, or due and not done);
- missed: due and not done at the end, or recorded as failed;
- duplicates: an action scheduled twice in an incident's history (every run of it);
- lateness: when each page, mail and reminder went out against when it was due (the outbox keeps
  both), and its excess: seconds after the later of its deadline and the end of the last outage
  that overlapped it. Goal (issue 15): excess p99 within 5 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.workflow.harness import Harness, scaled
from warroom.actions import SPEC, ActionKind, Channel
from warroom.brain import decide
from warroom.config import Settings
from warroom.outbox import Outbox
from warroom.temporal import incidents as remote
from warroom.views import IncidentView
from workers.up import dev_server_command

WARROOM = str(Path(sys.executable).parent / "warroom")
QUEUE = "chaos"


@dataclass(frozen=True)
class Plan:
    incidents: int = 20
    worker_kills: int = 5
    server_kill: bool = True
    outage: float = 30.0  # seconds with no worker at all, once (0: none)
    chaos_for: float = 45.0  # seconds over which incidents are declared and the kills fall
    settle: float = 15.0  # seconds after the last recovery for what fell due to go out
    dead_for: float = 1.0  # seconds a killed worker stays dead before its replacement starts
    pace: float = 60.0  # the policy's seconds per second of the run: 60, a minute of it is a second
    seed: int = 1


@dataclass
class Outcome:
    expected: int = 0
    delivered: int = 0
    missed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)  # seconds after the deadline
    excess: list[float] = field(default_factory=list)  # seconds after the deadline or the outage's end
    held: dict[str, list[float]] = field(default_factory=dict)  # the excess by the outage that excused it
    timeline: list[tuple[float, str]] = field(default_factory=list)  # what the chaos did, seconds from start


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One dev server (its SQLite file in `root`) and at most one `warroom worker` at a time."""

    def __init__(self, root: Path, env: dict[str, str] | None = None, server_flags: tuple[str, ...] = ()):
        self.root, self.port, self.ui_port = root, free_port(), free_port()
        self.server_flags = server_flags  # bench/scale.py: the server's metrics port
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []  # every worker started, the newest last
        self.gateways: list[subprocess.Popen] = []
        self.env = {**os.environ, "WARROOM_DATA_DIR": str(root), "WARROOM_TASK_QUEUE": QUEUE, **(env or {})}
        self.outages: list[tuple[float, float | None, str]] = []  # (down, up, what) on the monotonic clock
        self.log = open(root / "processes.log", "ab")  # noqa: SIM115 - closed in stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def settings(self) -> Settings:
        return Settings(temporal_address=self.address, data_dir=self.root, task_queue=QUEUE)

    async def start_server(self) -> None:
        self.server = subprocess.Popen([*dev_server_command(self.root, self.port, self.ui_port), *self.server_flags],
                                       stdout=self.log, stderr=self.log)
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError("the dev server did not start")

    @property
    def worker(self) -> subprocess.Popen | None:
        return self.workers[-1] if self.workers else None

    def start_worker(self) -> subprocess.Popen:
        env = {**self.env, "WARROOM_TEMPORAL_ADDRESS": self.address}
        self.workers.append(subprocess.Popen([WARROOM, "worker"], env=env, stdout=self.log, stderr=self.log))
        return self.workers[-1]

    async def start_gateway(self, data_dir: Path) -> str:
        """A `warroom serve` of its own (its own data directory, as a replica has); its URL once
        /healthz says it reaches Temporal."""
        port = free_port()
        env = {**self.env, "WARROOM_TEMPORAL_ADDRESS": self.address, "WARROOM_DATA_DIR": str(data_dir)}
        self.gateways.append(subprocess.Popen([WARROOM, "serve", "--port", str(port)], env=env,
                                              stdout=self.log, stderr=self.log))
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                try:
                    if (await http.get(f"{url}/healthz")).status_code == 200:
                        return url
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("the gateway did not come up")

    def down(self, what: str) -> None:
        self.outages.append((time.monotonic(), None, what))

    def up(self) -> None:
        began, _, what = self.outages[-1]
        self.outages[-1] = (began, time.monotonic(), what)

    @staticmethod
    def kill(process: subprocess.Popen | None) -> None:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for process in self.workers + self.gateways:
            self.kill(process)
        self.kill(self.server)
        self.log.close()


async def connect(address: str) -> Client:
    for _ in range(100):
        try:
            return await Client.connect(address, data_converter=pydantic_data_converter)
        except RuntimeError:
            await asyncio.sleep(0.2)
    raise RuntimeError("Temporal did not answer")


async def run(plan: Plan, root: Path | None = None) -> Outcome:
    """Run the plan and count what went out. Every incident is an unanswered SEV1 or SEV2 under the
    shipped policy scaled 1/60 (a minute is a second), so pages, escalations and reminders keep
    falling due the whole time."""
    with tempfile.TemporaryDirectory(prefix="warroom-chaos-") as tmp:
        cluster = Cluster(Path(root or tmp))
        try:
            return await _run(plan, cluster)
        finally:
            cluster.stop()


async def _run(plan: Plan, cluster: Cluster) -> Outcome:
    rng = random.Random(plan.seed)
    outcome = Outcome()
    began = time.monotonic()

    def say(what: str) -> None:
        outcome.timeline.append((round(time.monotonic() - began, 1), what))

    await cluster.start_server()
    client = await connect(cluster.address)
    harness = Harness(client=client, settings=cluster.settings(), policy=scaled(1 / plan.pace))
    cluster.start_worker()
    events = sorted(
        [(rng.uniform(3, plan.chaos_for), "kill worker") for _ in range(plan.worker_kills)]
        + ([(plan.chaos_for * 0.5, "kill server")] if plan.server_kill else [])
        + ([(plan.chaos_for * 0.8, "outage")] if plan.outage else [])
    )
    declared: list[str] = []
    declare_at = [plan.chaos_for * 0.7 * i / max(plan.incidents, 1) for i in range(plan.incidents)]

    async def declarer() -> None:
        for i, at in enumerate(declare_at):
            await asyncio.sleep(max(0.0, began + at - time.monotonic()))
            for _ in range(100):  # the server may be down this moment: a user would retry
                try:
                    declared.append(await harness.declare("SEV1" if i % 2 else "SEV2", title=f"Chaos {i}"))
                    break
                except Exception:
                    await asyncio.sleep(0.5)

    declaring = asyncio.create_task(declarer())
    for at, what in events:
        await asyncio.sleep(max(0.0, began + at - time.monotonic()))
        if what == "kill server":
            say("SIGKILL the dev server")
            cluster.down("the server kill")
            cluster.kill(cluster.server)
            await asyncio.sleep(2)
            await cluster.start_server()
            cluster.up()
            say("dev server restarted on the same SQLite file")
            continue
        pause = plan.outage if what == "outage" else plan.dead_for
        say(f"SIGKILL the worker; a new one in {pause:g}s")
        cluster.down(f"the {pause:g}-s outage" if what == "outage" else "a worker kill")
        cluster.kill(cluster.worker)
        await asyncio.sleep(pause)
        cluster.start_worker()
        cluster.up()
    await declaring
    await asyncio.sleep(plan.settle)
    say("counting")
    await _count(harness, declared, cluster, outcome, began)
    return outcome


async def _count(harness: Harness, incidents: list[str], cluster: Cluster, outcome: Outcome, began: float) -> None:
    now = datetime.now(UTC)
    wall_offset = time.time() - time.monotonic()
    outages = [(d + wall_offset, (u or time.monotonic()) + wall_offset, what) for d, u, what in cluster.outages]
    for incident in incidents:
        state = (await view(harness.client, incident)).state
        sent = {k: d for k, d in state.done.items() if _delivered(d.kind)}
        due = [a.key for a in decide(state, harness.policy, now - timedelta(seconds=1)).actions
               if a.spec.channel is not Channel.internal]
        failed = [k for k, d in sent.items() if d.failed]
        outcome.expected += len(sent) + len(due)
        outcome.delivered += len(sent) - len(failed)
        why = [e.text for e in state.timeline if e.kind == "delivery-failed"]
        outcome.missed += [f"{incident} {k}" for k in due] + [f"{incident} {k} failed: {why}" for k in failed]
        outcome.duplicates += await _duplicates(harness.client, incident)
    for row in Outbox(cluster.root / "outbox.sqlite").read():
        if row.due_at is None or row.incident not in incidents:
            continue
        late = row.late or 0.0
        outcome.lateness.append(late)
        due, out = row.due_at.timestamp(), row.created_at.timestamp()
        # an outage that began before it went out and ended after (or just before) its deadline
        overlapping = [(up, what) for down, up, what in outages if down <= out and up >= due - 2]
        excuse = max([due] + [up for up, _ in overlapping])
        outcome.excess.append(max(0.0, out - excuse))
        held = " + ".join(sorted({what for _, what in overlapping})) or "no fault"  # kills chained: one episode
        outcome.held.setdefault(held, []).append(outcome.excess[-1])


async def view(client: Client, incident: str) -> IncidentView:
    """The incident's view, asked again when the answer fails (a query on a worker starved of CPU
    trips the SDK's 2-s deadlock detector): a user would ask again too."""
    for _ in range(10):
        try:
            return await remote.view(client, incident)
        except Exception:  # noqa: BLE001 - any failure of the query: ask again
            await asyncio.sleep(1)
    return await remote.view(client, incident)


def _delivered(kind: ActionKind) -> bool:
    return SPEC[kind].channel is not Channel.internal


async def _duplicates(client: Client, incident: str) -> list[str]:
    """Actions scheduled more than once in the incident's history, over all its runs."""
    scheduled: Counter[str] = Counter()
    async for execution in client.list_workflows(f'WorkflowId="{incident}"'):
        history = await client.get_workflow_handle(incident, run_id=execution.run_id).fetch_history()
        for event in history.events:
            if not event.HasField("activity_task_scheduled_event_attributes"):
                continue
            attributes = event.activity_task_scheduled_event_attributes
            payload = json.loads(attributes.input.payloads[0].data) if attributes.input.payloads else {}
            for part in payload.get("deliveries") or [payload]:  # a batch counts each of its deliveries
                key = part.get("action_key") or part.get("key") or part.get("incident_id", "")
                scheduled[f"{part.get('channel') or attributes.activity_type.name}:{key}"] += 1
    return [f"{incident} {k} x{n}" for k, n in scheduled.items() if n > 1]
