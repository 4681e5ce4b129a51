"""Recovery from dead workers and a dead server (issue 15), measured: the same run twice, once
with no faults and once with worker SIGKILLs, a dev-server SIGKILL (restarted on its SQLite file)
and one outage with no worker at all, then the table: expected, delivered, missed, duplicates,
lateness p50/p99/max, and the excess over what the outages explain (goal: p99 within 5 s).

Run from the repository root:

    .venv/bin/python bench/chaos.py                 # 100 incidents, 15 kills, a 30-s outage: ~4 min
    .venv/bin/python bench/chaos.py --incidents 20  # smaller
    .venv/bin/python bench/chaos.py --pace 15       # a minute of policy in 4 s: a quarter of the deliveries

Each run starts its own dev server and `warroom worker` processes (tests/workflow/chaos.py) under
the shipped policy scaled 1/60 (`--pace`): every incident is an unanswered SEV1 or SEV2, so pages,
escalations and reminders keep falling due during the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.workflow.chaos import Outcome, Plan, percentile, run  # noqa: E402


def row(name: str, outcome: Outcome) -> str:
    late, excess = outcome.lateness, outcome.excess
    return (f"| {name} | {outcome.expected} | {outcome.delivered} | {len(outcome.missed)} | "
            f"{len(outcome.duplicates)} | {percentile(late, 50):.2f} | {percentile(late, 99):.2f} | "
            f"{max(late, default=0):.2f} | {percentile(excess, 99):.2f} | {max(excess, default=0):.2f} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--kills", type=int, default=15)
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=90.0, help="how long the faults go on")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds after the last fault before counting")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pace", type=float, default=60.0, help="the policy's seconds per second of the run")
    args = parser.parse_args()
    calm = Plan(incidents=args.incidents, worker_kills=0, server_kill=False, outage=0, chaos_for=args.seconds,
                settle=args.settle, seed=args.seed, pace=args.pace)
    stormy = Plan(incidents=args.incidents, worker_kills=args.kills, server_kill=True, outage=args.outage,
                  chaos_for=args.seconds, settle=args.settle, seed=args.seed, pace=args.pace)
    results = [("no faults", await run(calm)), (f"{args.kills} worker kills, 1 server kill, "
                                                f"{args.outage:g}-s outage", await run(stormy))]
    print(f"\n{args.incidents} incidents at pace {args.pace:g}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}; lateness in seconds after the deadline; "
          "excess: after the later of the deadline and the end of the outage that held it back\n")
    print("| run | expected | delivered | missed | duplicates | late p50 | late p99 | late max | excess p99 "
          "| excess max |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, outcome in results:
        print(row(name, outcome))
    print("\nThe faulty run's deliveries by the faults that held them back (every outage between its deadline "
          "and its going out; the excess counts from the last one's end; 'no fault': due and sent outside every "
          "outage, late only behind the backlog the others left)\n")
    print("| held back by | deliveries | excess p50 | excess p99 | excess max | over 5 s |\n|---|---|---|---|---|---|")
    for what, excess in sorted(results[1][1].held.items()):
        print(f"| {what} | {len(excess)} | {percentile(excess, 50):.2f} | {percentile(excess, 99):.2f} | "
              f"{max(excess):.2f} | {sum(e > 5 for e in excess)} |")
    print("\nfaults:", "; ".join(f"{t:g}s {what}" for t, what in results[1][1].timeline))
    print("\nreproduce: .venv/bin/python bench/chaos.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    asyncio.run(main())
