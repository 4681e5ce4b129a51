"""`warroom config check [FILE]`: validate warroom.yaml before a worker or gateway trips over it."""

from __future__ import annotations

import sys
from pathlib import Path

from warroom.cli.output import REFUSED, fail
from warroom.config import Settings
from warroom.config_file import CHANNELS, PagerOptions, WarroomConfig, heartbeat_problems, line_of, secret_refs
from warroom.durations import format_duration
from warroom.yamlfile import ConfigError, dotted, load_model


def check(file: Path | None, require_env: bool) -> int:
    """Validate warroom.yaml and list each channel's provider; 1 on errors.

    Errors name file:line and the field. Every referenced environment variable that is unset here
    is reported by name, never its value: a warning, or an error with --require-env. Heartbeat
    monitors are checked against the runbooks ($WARROOM_RUNBOOKS) when they load: a monitor whose
    service has none could never open its incident.
    """
    path = file or Settings.from_env().config_file
    if not path.exists():
        fail(f"{path}: no such file (without one, warroom uses the outbox and the built-in status page)")
    problems: list[str] = []
    config, lines = load_model(WarroomConfig, path, problems)
    services = _services() if config is not None and config.heartbeats else None
    if config is not None:
        problems += heartbeat_problems(
            config, services, lambda field: f"{path}:{line_of(lines, field)}: {dotted(field)}"
        )
    if problems or config is None:
        for problem in problems or [f"{path}: not a warroom configuration"]:
            print(f"warroom: {problem}", file=sys.stderr)
        return REFUSED
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
    if config.providers.tracker is not None:
        print(f"  {'tracker':<10} {config.providers.tracker.summary()}")
    for monitor in config.heartbeats:
        every = f"every {format_duration(monitor.interval)} (+{format_duration(monitor.grace)} grace)"
        print(f"  heartbeat  {monitor.name}: POST /v1/heartbeat/{monitor.name} {every},"
              f" else {monitor.severity} for {monitor.service}")
    if config.heartbeats and services is None:
        print("warroom: warning: the runbooks do not load (warroom policy check): heartbeat services not checked",
              file=sys.stderr)
    return REFUSED if unset and require_env else 0


def _services() -> list[str] | None:
    """The runbooks' services, or None when they do not load (policy check reports why)."""
    from warroom.policy import load_policy

    try:
        return sorted(load_policy(Settings.from_env().runbooks).runbooks)
    except ConfigError:
        return None
