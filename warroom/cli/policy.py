"""`warroom policy check | simulate`: validate the runbooks and see the timeline they produce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError

from warroom.cli.output import CHAT, USAGE, emit_json, fail, invalid
from warroom.commands import Declare, Refused
from warroom.config import Settings
from warroom.durations import format_duration, parse_duration
from warroom.policy import Policy, PolicyError, load_policy
from warroom.simulate import ScenarioError, load_scenario, simulate

app = typer.Typer(help="Check the policy files and simulate the timeline they produce.", no_args_is_help=True)

DirOption = Annotated[Optional[Path], typer.Option("--dir", help="runbooks directory [default: $WARROOM_RUNBOOKS or ./runbooks]")]


def load(directory: Path | None) -> Policy:
    """The policy from `directory` (or the configured one); exits 1 with every problem listed."""
    chat = CHAT.get()
    if chat is not None and directory is None:
        return chat.policy
    root = directory or Settings.from_env().runbooks
    try:
        return load_policy(root)
    except PolicyError as exc:
        for problem in exc.problems[:-1]:
            typer.echo(f"warroom: {problem}", err=True)
        fail(exc.problems[-1])


@app.command()
def check(directory: Annotated[Optional[Path], typer.Argument(help="runbooks directory")] = None) -> None:
    """Validate policy.yaml, oncall.yaml and services/*.yaml; exit 1 listing every problem."""
    policy = load(directory)
    root = directory or Settings.from_env().runbooks
    print(
        f"{root}: OK: {len(policy.rules.severities)} severities, {len(policy.roster.people)} people, "
        f"{len(policy.roster.teams)} team(s), services: {', '.join(sorted(policy.runbooks))}; "
        f"review within {format_duration(policy.rules.review.within)}"
    )


@app.command("simulate")
def simulate_command(
    sev: Annotated[str, typer.Option("--sev", help="SEV1..SEV4")],
    service: Annotated[Optional[str], typer.Option(help="service runbook [default: the first one]")] = None,
    scenario: Annotated[Optional[Path], typer.Option(help="YAML list of {at, event, actor, ...}")] = None,
    until: Annotated[str, typer.Option(help="how far to simulate")] = "72h",
    start: Annotated[Optional[str], typer.Option(help="detection time, ISO 8601 [default: now]")] = None,
    declared_by: Annotated[
        Optional[str], typer.Option(help="a person who declares it (confirms the severity) [default: an alert]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON list")] = False,
    directory: DirOption = None,
) -> None:
    """Print the timeline the policy produces from detection (nobody responds unless a scenario says so)."""
    policy = load(directory)
    try:
        horizon = parse_duration(until)
        began = datetime.fromisoformat(start) if start else datetime.now(UTC).replace(microsecond=0)
    except ValueError as exc:
        fail(str(exc), USAGE)
    if began.tzinfo is None:
        fail("--start needs a time zone, e.g. 2026-11-30T02:00:00+01:00", USAGE)
    chosen = service or sorted(policy.runbooks)[0]
    try:
        declare = Declare(actor=declared_by or "system:alert", title="simulated incident", service=chosen, severity=sev)
    except ValidationError as exc:
        invalid(exc)
    try:
        steps = load_scenario(scenario) if scenario else []
        fired, _ = simulate(policy, declare, began, horizon, steps)
    except (ScenarioError, Refused) as exc:
        fail(str(exc))
    if as_json:
        emit_json([f.model_dump(mode="json") for f in fired])
        return
    print(f"{declare.severity} on {chosen}, detected {began.isoformat()}, simulated {until}:")
    for f in fired:
        offset = format_duration(timedelta(seconds=f.at_seconds))
        print(f"{f.at_seconds:>8}s {offset:>8}  {f.kind:<8} {f.key:<32} {', '.join(f.targets):<22} {f.rule}")


@app.command()
def reload(
    incident: Annotated[str, typer.Argument(help="incident id", show_default=False)],
    as_: Annotated[Optional[str], typer.Option("--as", help="who acts")] = None,
    directory: DirOption = None,
) -> None:
    """Swap a running incident's policy snapshot for the files as they are now."""
    from warroom.cli.incident import actor, build, send
    from warroom.commands import ReloadPolicy

    policy = load(directory)
    send(incident, build(ReloadPolicy, actor=actor(as_), policy=policy), as_json=False)
