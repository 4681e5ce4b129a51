"""How fast the incident brain is: decide() calls per second on a mid-incident state, and the wall
time to simulate 72 h of an unanswered SEV1 (what `warroom policy simulate --sev SEV1` runs).

Run from the repository root:

    .venv/bin/python bench/brain.py

Each measurement is repeated (--repeats, default 7) and the median reported; nothing here is a
pass/fail threshold.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warroom.brain import decide  # noqa: E402
from warroom.commands import Command, Declare  # noqa: E402
from warroom.policy import Policy, load_policy  # noqa: E402
from warroom.simulate import Step, simulate  # noqa: E402
from warroom.state import IncidentState  # noqa: E402

START = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # Tuesday 02:00 Berlin
COMMAND = ".venv/bin/python bench/brain.py"


def step(at: int, event: str, actor: str, **fields: object) -> tuple[Step, Command]:
    line = Step.model_validate({"at": timedelta(seconds=at), "event": event, "actor": actor, **fields})
    return line, line.command()


def mid_incident(policy: Policy) -> tuple[IncidentState, datetime]:
    """SEV1, acknowledged, an IC and a comms lead, 3 SMEs on tracks, 10 updates, ~50 timeline
    events, a regulatory flag and a manual escalation, and the actions of its first 75 minutes
    carried out (their keys done)."""
    scenario = [
        step(30, "ack", "carol"),
        step(60, "role", "carol", role="ic", handle="carol"),
        step(120, "role", "carol", role="comms", handle="heidi"),
        step(180, "role", "carol", role="sme", handle="judy", track="database"),
        step(200, "role", "carol", role="sme", handle="bob", track="card processor"),
        step(220, "role", "carol", role="sme", handle="alice", track="payments api"),
        step(600, "flag", "carol", flag="regulatory", note="card data may be exposed"),
        step(900, "escalate", "erin", to="executives", reason="largest customer is down"),
    ]
    for n in range(10):
        scenario.append(step(300 + n * 420, "update", "heidi", impact=f"checkout failing ({n})",
                             theory="processor timeouts", next_steps="fail over", next_update_in="10m"))
    for n in range(9):
        for sme in ("judy", "bob", "alice"):
            scenario.append(step(400 + n * 480 + ("judy", "bob", "alice").index(sme) * 10, "note", sme,
                                 text=f"{sme}: finding {n}"))
    scenario.sort(key=lambda s: s[0].at)
    declare = Declare(actor="system:alert", title="checkout failing", service="payments", severity="SEV1")
    until = timedelta(minutes=75)
    _, state = simulate(policy, declare, START, until, scenario)
    return state, START + until


def per_second(policy: Policy, state: IncidentState, now: datetime, seconds: float = 0.5) -> float:
    calls = 0
    began = time.perf_counter()
    while True:
        for _ in range(50):
            decide(state, policy, now)
        calls += 50
        elapsed = time.perf_counter() - began
        if elapsed >= seconds:
            return calls / elapsed


def simulate_72h(policy: Policy) -> tuple[float, int]:
    declare = Declare(actor="system:alert", title="checkout failing", service="payments", severity="SEV1")
    began = time.perf_counter()
    fired, _ = simulate(policy, declare, START, timedelta(hours=72))
    return time.perf_counter() - began, len(fired)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--runbooks", type=Path, default=ROOT / "runbooks")
    args = parser.parse_args()

    policy = load_policy(args.runbooks).for_service("payments")
    state, now = mid_incident(policy)
    decision = decide(state, policy, now)  # warm up, and describe the state
    rates = [per_second(policy, state, now) for _ in range(args.repeats)]
    simulate_72h(policy)  # warm up
    runs = [simulate_72h(policy) for _ in range(args.repeats)]
    walls = [wall for wall, _ in runs]

    described = (
        f"{state.severity}, acknowledged, IC {state.ic}, comms {state.comms}, {len(state.smes)} SMEs on tracks, "
        f"{len(state.updates)} updates, {len(state.timeline)} timeline events, {len(state.done)} done keys, "
        f"{len(decision.upcoming)} upcoming"
    )
    print(f"warroom brain benchmark — Python {platform.python_version()}, {platform.machine()}, "
          f"median of {args.repeats} runs\n")
    print("| measurement | median | min | max | workload |")
    print("|---|---:|---:|---:|---|")
    print(f"| decide() calls per second | {statistics.median(rates):,.0f} | {min(rates):,.0f} | {max(rates):,.0f} "
          f"| mid-incident state: {described} |")
    print(f"| simulate 72 h unanswered SEV1 (ms) | {statistics.median(walls) * 1000:.1f} | {min(walls) * 1000:.1f} "
          f"| {max(walls) * 1000:.1f} | {runs[0][1]} actions fired (warroom.simulate.simulate) |")
    print(f"\nReproduce: `{COMMAND}`")


if __name__ == "__main__":
    main()
