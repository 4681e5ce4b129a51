"""Scale (issue 16.4): many open incidents with live timers on ONE worker, and many closed ones in
visibility, measured against the goals: worker RSS < 1 GiB, deadline lateness p99 < 2 s, a
SIGKILLed worker's successor resumed within 60 s, and `warroom list`, the REST list and `/report`
answering within 1 s however many incidents there are (the list by pages).

Run from the repository root (not in `make test`: it takes minutes and wants the machine):

    .venv/bin/python bench/scale.py                             # 5 000 open, 50 000 closed
    .venv/bin/python bench/scale.py --open 1000 --closed 2000   # what fits in ~20 min on 2 cores

What it does, on its own dev server (SQLite in a temporary dir; tests/workflow/chaos.py Cluster):
1. closes --closed real incidents: a SEV4 declared, then resolved by leadership with a reason
   (R-ROLE-4); a SEV4 needs no review, so it closes at once with its real search attributes and
   memo, as `warroom resolve` leaves it;
2. declares --open unanswered SEV2s, spread evenly over --spread seconds, under the shipped
   policy with every duration multiplied by --factor (default 1: the shipped pace, so the actions
   per incident-hour need no extrapolation). Why SEV2: an unanswered SEV2 is the steadiest stream
   the policy makes (about 45 deliveries an hour for its first three hours: pages, escalations,
   notices, reminders chasing every 10 min; a SEV1 front-loads more, a SEV3 is quiet for hours),
   so deadlines keep falling for the whole run. Why spread over 5 min: incidents declared in the
   same second keep falling due in the same second (every 10 min), a herd no real set of incidents
   makes. The load is N x 45 / 3600 deliveries a second: 1 000 make ~12/s, which one worker on 2
   shared cores carries; 5 000 at x1 make ~60/s (pass --factor 4 for ~15/s, and the actions per
   incident-hour are then printed also times --factor, at the shipped pace). The expected rate is
   printed with the table;
3. waits --warmup seconds for the declarations' own deliveries to go out, then over --minutes:
   - worker RSS: VmRSS of the worker process (/proc/<pid>/status), sampled every 2 s: peak and end;
   - lateness: every outbox row (one per recipient) due inside the window, its created_at against
     its due_at. Rows due in the last 30 s of the window are left out, so anything up to 30 s late
     is seen when the outbox is read at the window's end (a worker that falls further behind
     leaves rows out, so its p99 reads low: compare the deliveries counted with the expected rate);
   - Temporal actions: the dev server's own `action` counter (its /metrics, namespace default,
     every action_type summed) over the window, per open incident per hour; also at the shipped
     pace (x --factor: the rate scales with 1/factor);
4. SIGKILLs the worker, starts a new one --dead seconds later, and counts "resumed" when every
   open incident has answered `warroom show` (a query: the new worker has replayed it and holds
   its state), asked for all of them at once with bounded concurrency from the new worker's start.
   Beside it, the lateness p99 of deliveries due from the kill to 60 s after the restart;
5. with everything still there, starts `warroom serve` (a token for erin) and times, 3 runs each,
   median: `warroom list` (open, first page), `warroom list --all` (first page of everything),
   the REST list's first page and the page after it (`X-Next-Page-Token`), and `/v1/report`:
   once right after the gateway's start (it reads every incident of the period) and then as it
   answers from then on (closed incidents kept by the gateway, warroom/temporal/report.py).

Nothing is asserted: goals live here (the table's last column), never in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from tests.workflow.chaos import QUEUE, WARROOM, Cluster, connect, free_port, percentile  # noqa: E402
from tests.workflow.harness import Harness, scaled  # noqa: E402
from warroom.commands import Declare, Resolve  # noqa: E402
from warroom.outbox import Outbox  # noqa: E402
from warroom.simulate import simulate  # noqa: E402
from warroom.temporal import incidents as remote  # noqa: E402

SEVERITY = "SEV2"
LEADER = "erin"  # leadership: may resolve with a reason (R-ROLE-4)
SETTLE_S = 30.0  # rows due this close to a window's end are not counted: they may not be out yet
GiB = 1024**3


@dataclass
class Measured:
    rows: list[tuple[str, str, str, bool | None]] = field(default_factory=list)  # metric, measured, goal, met

    def add(self, metric: str, measured: str, goal: str = "—", met: bool | None = None) -> None:
        self.rows.append((metric, measured, goal, met))

    def say(self, what: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {what} (load {os.getloadavg()[0]:.2f})", flush=True)


def rss(pid: int) -> int:
    """The process's resident set in bytes, as the kernel counts it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def scrape(port: int, name: str, **labels: str) -> float:
    """The sum of a Prometheus counter's samples on localhost:`port`/metrics matching `labels`."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:  # noqa: S310
        text = answer.read().decode()
    return sum(s.value for family in text_string_to_metric_families(text) if family.name == name
               for s in family.samples if s.name in (name, f"{name}_total")
               and all(s.labels.get(k) == v for k, v in labels.items()))


def per_hour_unanswered(factor: float) -> float:
    """Deliveries an unanswered SEV2 makes per hour over its first three policy hours, at `factor`."""
    fired, _ = simulate(scaled(1), Declare(actor="dana", title="t", service="payments", severity=SEVERITY),
                        datetime(2030, 1, 1, tzinfo=UTC), timedelta(hours=3))
    return len(fired) / 3 / factor


async def bounded(count: int, concurrency: int, work, pace: float = 0.0, attempts: int = 5) -> float:
    """Run work(i) for i < count, `concurrency` at a time, the i-th not before `pace` x i seconds,
    each tried up to `attempts` times; the seconds it took."""
    began, gate = time.monotonic(), asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, began + pace * i - time.monotonic()))
        async with gate:
            for attempt in range(attempts):
                try:
                    return await work(i)
                except Exception:  # noqa: BLE001 - a busy server times out now and then: a user retries
                    if attempt == attempts - 1:
                        raise
                    await asyncio.sleep(1)

    await asyncio.gather(*(one(i) for i in range(count)))
    return time.monotonic() - began


async def close_many(h: Harness, count: int, concurrency: int, out: Measured) -> None:
    async def close(i: int) -> None:
        incident = await h.declare("SEV4", actor="dana", title=f"Closed {i}")
        await h.send(incident, Resolve(actor=LEADER, reason="bench: a closed incident"))

    took = await bounded(count, concurrency, close)
    out.add("closed incidents set up (SEV4 declared + resolved)", f"{count} in {took:.0f} s ({count / took:.1f}/s)")


async def open_many(h: Harness, count: int, concurrency: int, spread: float, out: Measured) -> list[str]:
    opened: list[str] = [""] * count

    async def declare(i: int) -> None:
        opened[i] = await h.declare(SEVERITY, actor="dana", title=f"Open {i}")

    took = await bounded(count, concurrency, declare, pace=spread / count)
    out.add(f"open incidents declared (unanswered {SEVERITY}, spread over {spread:g} s)", f"{count} in {took:.0f} s")
    return opened


async def steady(cluster: Cluster, metrics_port: int, args: argparse.Namespace, out: Measured) -> None:
    """RSS, lateness and actions over the steady window."""
    pid = cluster.worker.pid  # type: ignore[union-attr]
    actions0, began_wall, began = scrape(metrics_port, "action", namespace="default"), time.time(), time.monotonic()
    samples = []
    while time.monotonic() - began < args.minutes * 60:
        samples.append(rss(pid))
        await asyncio.sleep(2)
    hours = (time.monotonic() - began) / 3600
    actions = scrape(metrics_port, "action", namespace="default") - actions0
    late = lateness(cluster, began_wall, time.time() - SETTLE_S)
    peak, end = max(samples), samples[-1]
    out.add("worker RSS peak / end", f"{peak / 2**20:.0f} / {end / 2**20:.0f} MiB", "< 1 GiB", peak < GiB)
    out.add(f"timer lateness p50 / p99 / max ({len(late)} deliveries in {args.minutes:g} min)",
            f"{percentile(late, 50):.2f} / {percentile(late, 99):.2f} / {max(late, default=0):.2f} s", "p99 < 2 s",
            bool(late) and percentile(late, 99) < 2)
    rate = actions / (args.open * hours)
    out.add(f"Temporal actions per incident-hour (dev server `action` counter, x{args.factor:g} policy)",
            f"{rate:.0f}; at the shipped pace ~{rate * args.factor:.0f}")


def lateness(cluster: Cluster, since: float, until: float) -> list[float]:
    """Seconds late of every outbox row due between `since` and `until` (wall clock)."""
    return [row.late or 0.0 for row in Outbox(cluster.root / "outbox.sqlite").read()
            if row.due_at is not None and since <= row.due_at.timestamp() <= until]


async def resume(cluster: Cluster, h: Harness, opened: list[str], args: argparse.Namespace, out: Measured) -> None:
    """SIGKILL the worker, start another, time until every open incident answers `show`."""
    killed = time.time()
    cluster.kill(cluster.worker)
    await asyncio.sleep(args.dead)
    cluster.start_worker()
    restarted = time.time()

    async def shown(i: int) -> None:
        await remote.view(h.client, opened[i])

    # a query times out after 15 s while the worker replays others: asked again, as a user would
    took = await bounded(len(opened), args.concurrency, shown, attempts=100)
    out.add(f"resume: all {len(opened)} answer `show` after SIGKILL (from the new worker's start)", f"{took:.1f} s",
            "< 60 s", took < 60)
    out.add("new worker RSS after resuming", f"{rss(cluster.worker.pid) / 2**20:.0f} MiB",  # type: ignore[union-attr]
            "< 1 GiB", rss(cluster.worker.pid) < GiB)  # type: ignore[union-attr]
    await asyncio.sleep(max(0.0, restarted + 60 + SETTLE_S - time.time()))
    late = lateness(cluster, killed, restarted + 60)
    out.add(f"lateness p99 / max of {len(late)} deliveries due from the kill to 60 s after "
            f"({args.dead:g} s without a worker)", f"{percentile(late, 99):.1f} / {max(late, default=0):.1f} s")


def serve(cluster: Cluster) -> tuple[subprocess.Popen, str, str]:
    """`warroom serve` on a free port and a token of erin's for it."""
    env = {**os.environ, "WARROOM_TEMPORAL_ADDRESS": cluster.address, "WARROOM_DATA_DIR": str(cluster.root),
           "WARROOM_TASK_QUEUE": QUEUE}
    token = subprocess.run([WARROOM, "token", "create", LEADER, "--label", "bench"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    port = free_port()
    gateway = subprocess.Popen([WARROOM, "serve", "--port", str(port)], env=env, stdout=cluster.log,
                               stderr=cluster.log)
    return gateway, f"http://127.0.0.1:{port}", token


def timed(work, runs: int = 3) -> float:
    took = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        took.append(time.perf_counter() - began)
    return statistics.median(took)


def reads(cluster: Cluster, out: Measured) -> None:
    gateway, url, token = serve(cluster)
    try:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        for _ in range(300):
            try:
                if api.get("/v1/whoami").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        env = {**os.environ, "WARROOM_URL": url, "WARROOM_TOKEN": token}

        def cli(*words: str) -> None:
            subprocess.run([WARROOM, *words], env=env, check=True, capture_output=True)

        first = api.get("/v1/incidents", params={"all": "true"})
        after = first.headers.get("x-next-page-token")
        out.add("REST GET /v1/report, the first after the gateway started (reads every incident once)",
                f"{timed(lambda: api.get('/v1/report').raise_for_status(), runs=1):.2f} s")
        for metric, work in (
            ("`warroom list` (open, first page)", lambda: cli("list")),
            ("`warroom list --all` (first page)", lambda: cli("list", "--all")),
            (f"REST GET /v1/incidents?all=true, first page ({len(first.json())} rows)",
             lambda: api.get("/v1/incidents", params={"all": "true"}).raise_for_status()),
            ("REST list, the next page (X-Next-Page-Token)" if after else "REST list: NO next page offered",
             lambda: api.get("/v1/incidents", params={"all": "true", "page_token": after}).raise_for_status()),
            ("REST GET /v1/report, later (closed incidents kept; the open ones read)",
             lambda: api.get("/v1/report").raise_for_status()),
        ):
            took = timed(work)
            out.add(metric, f"{took:.2f} s", "< 1 s", took < 1)
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)


def table(out: Measured, args: argparse.Namespace) -> None:
    print(f"\n{args.open} open, {args.closed} closed; {SEVERITY} policy x{args.factor:g} (expected "
          f"~{args.open * per_hour_unanswered(args.factor) / 3600:.1f} deliveries/s); one worker; "
          f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
          f"load at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| metric | measured | goal | met? |\n|---|---|---|---|")
    for metric, measured, goal, met in out.rows:
        print(f"| {metric} | {measured} | {goal} | {'—' if met is None else 'yes' if met else 'NO'} |")
    print("\nreproduce: .venv/bin/python bench/scale.py " + " ".join(sys.argv[1:]))


async def run(args: argparse.Namespace, root: Path, out: Measured) -> None:
    server_metrics, worker_metrics = free_port(), free_port()
    cluster = Cluster(root, env={"WARROOM_METRICS_PORT": str(worker_metrics)},
                      server_flags=("--metrics-port", str(server_metrics)))
    try:
        await cluster.start_server()
        h = Harness(client=await connect(cluster.address), settings=cluster.settings(), policy=scaled(args.factor))
        cluster.start_worker()
        out.say(f"closing {args.closed}")
        await close_many(h, args.closed, args.concurrency, out)
        out.say(f"declaring {args.open}")
        opened = await open_many(h, args.open, args.concurrency, args.spread, out)
        out.say(f"warm-up {args.warmup:g} s")
        await asyncio.sleep(args.warmup)
        out.say(f"steady window {args.minutes:g} min")
        await steady(cluster, server_metrics, args, out)
        out.say("SIGKILL the worker; resume")
        await resume(cluster, h, opened, args, out)
        out.say("reads")
        await asyncio.to_thread(reads, cluster, out)
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=5000, help="open incidents with live timers")
    parser.add_argument("--closed", type=int, default=50000, help="closed incidents in visibility")
    parser.add_argument("--factor", type=float, default=1, help="every policy duration times this")
    parser.add_argument("--spread", type=float, default=300, help="seconds over which the open ones are declared")
    parser.add_argument("--minutes", type=float, default=5, help="the steady window")
    parser.add_argument("--warmup", type=float, default=60, help="seconds after the last declaration")
    parser.add_argument("--dead", type=float, default=5, help="seconds without a worker")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight while setting up")
    args = parser.parse_args()
    out = Measured()
    try:
        with tempfile.TemporaryDirectory(prefix="warroom-scale-") as tmp:
            asyncio.run(run(args, Path(tmp), out))
    finally:  # what was measured before a failure is printed too
        table(out, args)


if __name__ == "__main__":
    main()
