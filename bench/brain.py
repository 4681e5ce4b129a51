"""How fast the incident brain is: decide() calls per second on a mid-incident state at several
ages of the incident (its cost per call must not grow with age), and the wall time to simulate 72 h
of an unanswered SEV1 (what `warroom policy simulate --sev SEV1` runs).

Run from the repository root:

    .venv/bin/python bench/brain.py

The mid-incident state is a scenario's (`mid_incident`: SEV1, roles, SMEs, updates, notes, a flag
and an escalation in its first 75 minutes) at 15 min, 75 min (the state issue 16's goal names),
6 h and 72 h, every action carried out as it fell due; the unanswered SEV1 is the simulation's at
72 h. Each measurement is repeated (--repeats, default 7) and the median reported, with the min and
max; nothing here is a pass/fail threshold.
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


def mid_incident(policy: Policy, until: timedelta = timedelta(minutes=75)) -> tuple[IncidentState, datetime]:
    """SEV1, acknowledged, an IC and a comms lead, 3 SMEs on tracks, 10 updates, 27 notes, a
    regulatory flag and a manual escalation, and the actions of its first 75 minutes (or `until`)
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


def unanswered(policy: Policy, until: timedelta) -> tuple[IncidentState, datetime]:
    """A SEV1 from an alert that nobody answers, every action carried out as it fell due."""
    declare = Declare(actor="system:alert", title="checkout failing", service="payments", severity="SEV1")
    _, state = simulate(policy, declare, START, until)
    return state, START + until


def simulate_72h(policy: Policy) -> tuple[float, int]:
    declare = Declare(actor="system:alert", title="checkout failing", service="payments", severity="SEV1")
    began = time.perf_counter()
    fired, _ = simulate(policy, declare, START, timedelta(hours=72))
    return time.perf_counter() - began, len(fired)


def described(policy: Policy, state: IncidentState, now: datetime) -> str:
    decision = decide(state, policy, now)
    return (f"{len(state.timeline)} timeline events, {len(state.done)} done keys, {len(state.communications)} "
            f"messages; {len(decision.actions)} due, {len(decision.upcoming)} upcoming")


def row(measurement: str, values: list[float], workload: str, scale: float = 1, digits: int = 0) -> str:
    median, low, high = (f"{v * scale:,.{digits}f}" for v in (statistics.median(values), min(values), max(values)))
    return f"| {measurement} | {median} | {low} | {high} | {workload} |"


AGES = (("15 min", timedelta(minutes=15)), ("75 min", timedelta(minutes=75)), ("6 h", timedelta(hours=6)),
        ("72 h", timedelta(hours=72)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.5, help="how long each decide() measurement runs")
    parser.add_argument("--runbooks", type=Path, default=ROOT / "runbooks")
    args = parser.parse_args()

    policy = load_policy(args.runbooks).for_service("payments")
    rows = []
    states = [(f"decide() calls per second, mid-incident at {age}", mid_incident(policy, until)) for age, until in AGES]
    states.append(("decide() calls per second, unanswered SEV1 at 72 h", unanswered(policy, timedelta(hours=72))))
    for measurement, (state, now) in states:
        decide(state, policy, now)  # warm up
        rates = [per_second(policy, state, now, args.seconds) for _ in range(args.repeats)]
        rows.append(row(measurement, rates, described(policy, state, now)))
    simulate_72h(policy)  # warm up
    runs = [simulate_72h(policy) for _ in range(args.repeats)]
    rows.append(row("simulate 72 h unanswered SEV1 (ms)", [wall for wall, _ in runs],
                    f"{runs[0][1]} actions fired (warroom.simulate.simulate)", scale=1000, digits=1))

    state, now = states[1][1]
    print(f"warroom brain benchmark — Python {platform.python_version()}, {platform.machine()}, "
          f"median of {args.repeats} runs\n")
    print(f"The mid-incident state: {state.severity}, acknowledged, IC {state.ic}, comms {state.comms}, "
          f"{len(state.smes)} SMEs on tracks, {len(state.updates)} updates.\n")
    print("| measurement | median | min | max | workload |")
    print("|---|---:|---:|---:|---|")
    print("\n".join(rows))
    print(f"\nReproduce: `{' '.join([COMMAND, *sys.argv[1:]])}`")


if __name__ == "__main__":
    main()
