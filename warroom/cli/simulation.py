"""`warroom policy simulate`: the timeline a policy produces, printed (warroom.simulate runs it)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from warroom import explain as rules
from warroom.cli.output import USAGE, emit_json, fail
from warroom.commands import Declare
from warroom.durations import format_duration, parse_duration
from warroom.limits import sane_instant
from warroom.policy import Policy
from warroom.requests import field_errors
from warroom.simulate import ScenarioError, load_scenario, simulate


def run(policy: Policy, sev: str, service: str | None, scenario: Path | None, until: str, start: str | None,
        declared_by: str | None, as_json: bool, explain: bool = False) -> None:
    try:
        horizon = parse_duration(until)
        began = datetime.fromisoformat(start) if start else datetime.now(UTC).replace(microsecond=0)
    except ValueError as exc:
        fail(str(exc), USAGE)
    if began.tzinfo is None:
        fail("--start needs a time zone, e.g. 2026-11-30T02:00:00+01:00", USAGE)
    try:
        began = sane_instant(began)
    except ValueError as exc:
        fail(f"--start: {exc}", USAGE)
    chosen = service or sorted(policy.runbooks)[0]
    try:
        declare = Declare(actor=declared_by or "system:alert", title="simulated incident", service=chosen, severity=sev)
    except ValidationError as exc:
        fail("; ".join(f"{name}: {message}" for name, message in field_errors(exc)), USAGE)
    try:
        steps = load_scenario(scenario) if scenario else []
        fired, state = simulate(policy, declare, began, horizon, steps)
    except (ScenarioError, OverflowError) as exc:
        fail(str(exc))
    verdicts = rules.explain(state, fired) if explain else []
    if as_json:
        timeline = [f.model_dump(mode="json") for f in fired]
        emit_json({"fired": timeline, "rules": [asdict(v) for v in verdicts]} if explain else timeline)
        return
    print(f"{declare.severity} on {chosen}, detected {began.isoformat()}, simulated {until}:")
    for f in fired:
        offset = format_duration(timedelta(seconds=f.at_seconds))
        print(f"{f.at_seconds:>8}s {offset:>8}  {f.kind:<8} {f.key:<32} {', '.join(f.targets):<22} {f.rule}")
    if explain:
        print()
        print("rule by rule (PROCESS.md): met, met late (after reminders), missed, open, n/a")
        print(rules.table(verdicts))
