"""What a restarted worker pays per incident: the recorded histories (tests/histories) replayed
with and without Temporal's workflow sandbox, the milliseconds per replay. A worker that dies
hands every incident that falls due to the next one, which replays each from its run's first
event; the worker in service runs without the sandbox for this (workers/main.py).

    .venv/bin/python bench/replay.py            # 20 replays of each history
    .venv/bin/python bench/replay.py --runs 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import WorkflowHistory  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, WorkflowRunner  # noqa: E402

from workers.main import SANDBOX, WORKFLOWS  # noqa: E402

HISTORIES = Path(__file__).resolve().parent.parent / "tests" / "histories"
CHOSEN = ("v8-sev1_full_lifecycle", "v8-continued_as_new", "v8-action_item_chased_until_done",
          "v8-alert_group_opens_and_folds")


async def per_replay(history: WorkflowHistory, runner: WorkflowRunner, runs: int) -> float:
    """Milliseconds per replay, after one replay to warm imports."""
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=runner)
    await replayer.replay_workflow(history)

    async def again() -> AsyncIterator[WorkflowHistory]:
        for _ in range(runs):
            yield history

    began = time.perf_counter()
    async with replayer.workflow_replay_iterator(again()) as results:
        async for result in results:
            if result.replay_failure:
                raise result.replay_failure
    return (time.perf_counter() - began) / runs * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"\n{platform.python_implementation()} {platform.python_version()}, {args.runs} replays each\n")
    print("| history | events | sandboxed ms | unsandboxed ms | ratio |\n|---|---|---|---|---|")
    for name in CHOSEN:
        recorded = json.loads((HISTORIES / f"{name}.json").read_text())
        history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
        boxed = await per_replay(history, SANDBOX, args.runs)
        bare = await per_replay(history, UnsandboxedWorkflowRunner(), args.runs)
        print(f"| {name} | {len(history.events)} | {boxed:.1f} | {bare:.1f} | {boxed / bare:.1f} |")
    print("\nreproduce: .venv/bin/python bench/replay.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    asyncio.run(main())
