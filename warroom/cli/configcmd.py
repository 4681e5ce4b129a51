"""`warroom config check [FILE]`: validate warroom.yaml before a worker or gateway trips over it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from warroom.cli.output import REFUSED, fail
from warroom.config import Settings
from warroom.config_file import CHANNELS, PagerOptions, WarroomConfig, secret_refs
from warroom.yamlfile import dotted, load_model

app = typer.Typer(help="Check warroom.yaml: alert-source credentials and channel providers.", no_args_is_help=True)


@app.command()
def check(
    file: Annotated[
        Optional[Path], typer.Argument(help="the file [default: $WARROOM_CONFIG or ./warroom.yaml]")
    ] = None,
    require_env: Annotated[
        bool, typer.Option("--require-env", help="an unset environment variable is an error, not a warning")
    ] = False,
) -> None:
    """Validate warroom.yaml and list each channel's provider; exit 1 on errors.

    Errors name file:line and the field. Every referenced environment variable that is unset here
    is reported by name, never its value: a warning, or an error with --require-env.
    """
    path = file or Settings.from_env().config_file
    if not path.exists():
        fail(f"{path}: no such file (without one, warroom uses the outbox and the built-in status page)")
    problems: list[str] = []
    config, lines = load_model(WarroomConfig, path, problems)
    if problems or config is None:
        for problem in problems or [f"{path}: not a warroom configuration"]:
            print(f"warroom: {problem}", file=sys.stderr)
        raise typer.Exit(REFUSED)
    unset = []
    for where, ref in secret_refs(config):
        if ref.value() is None:
            known = where
            while known and known not in lines:
                known = known[:-1]
            unset.append(f"{path}:{lines.get(known, 1)}: {dotted(where)}: ${ref.env} is not set (or empty)")
    label = "error" if require_env else "warning"
    for line in unset:
        print(f"warroom: {label}: {line}", file=sys.stderr)
    print(f"{path}: OK{f' ({len(unset)} environment variable(s) unset)' if unset else ''}")
    for channel in CHANNELS:
        provider = getattr(config.providers, channel)
        summary = provider.summary()
        if isinstance(provider, PagerOptions) and provider.throttle_per_minute:
            summary += f", at most {provider.throttle_per_minute} pages a minute per person"
        print(f"  {channel:<10} {summary}")
    if unset and require_env:
        raise typer.Exit(REFUSED)
