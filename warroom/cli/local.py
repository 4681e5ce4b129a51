"""The commands that act on this machine rather than through the REST API: the processes (`up`,
`worker`, `serve`), the operator's files (`token`, `outbox`, `config check`, `policy check`,
`policy simulate`) and `login`. Each imports what it needs when it runs, so none of it slows
down `warroom --help` or an incident verb."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from warroom.cli.output import USAGE, CliError, emit_json, fail

DataDir = Annotated[Path | None, typer.Option(help="state directory [default: $WARROOM_DATA_DIR or .warroom]")]
Json = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Profile = Annotated[str | None, typer.Option(
    "--profile", help="the temporal.toml profile to connect with (default: $TEMPORAL_PROFILE, else 'default'); "
                      "TEMPORAL_* variables, then WARROOM_TEMPORAL_ADDRESS / WARROOM_NAMESPACE, override its fields",
    show_default=False)]
RunbooksDir = Annotated[Path | None, typer.Option("--dir", help="runbooks directory [default: $WARROOM_RUNBOOKS "
                                                                   "or ./runbooks]")]


def _policy(directory: Path | None) -> Any:
    """The policy files, every problem listed on stderr when they do not load."""
    from warroom.config import Settings
    from warroom.policy import PolicyError, load_policy

    try:
        return load_policy(directory or Settings.from_env().runbooks)
    except PolicyError as exc:
        for problem in exc.problems[:-1]:
            print(f"warroom: {problem}", file=sys.stderr)
        fail(exc.problems[-1])


def register(app: typer.Typer, policy: typer.Typer) -> None:
    @app.command()
    def up(
        data_dir: DataDir = None,
        temporal_port: Annotated[int, typer.Option(help="Temporal gRPC port")] = 7233,
        ui_port: Annotated[int, typer.Option(help="Temporal Web UI port")] = 8233,
        http_port: Annotated[int, typer.Option(help="gateway port")] = 8080,
    ) -> None:
        """Run warroom on its embedded default: Temporal dev server (SQLite), worker and gateway."""
        import asyncio

        from warroom.config import Settings
        from warroom.telemetry import configure_tracing
        from workers.up import up as run_up

        # its own dev server: local and plaintext, whatever TEMPORAL_* and temporal.toml say
        settings = Settings.from_env(data_dir=data_dir, temporal_address=f"127.0.0.1:{temporal_port}",
                                     temporal_config=False)
        configure_tracing("warroom")
        raise typer.Exit(asyncio.run(run_up(settings, temporal_port, ui_port, http_port)))

    @app.command()
    def worker(data_dir: DataDir = None, profile: Profile = None) -> None:
        """Run a worker until SIGINT/SIGTERM, against the Temporal that TEMPORAL_* or the profile names."""
        import asyncio

        from warroom.config import Settings
        from warroom.telemetry import configure_tracing
        from warroom.temporal.connection import Unavailable
        from workers.main import run_until_stopped

        configure_tracing("warroom-worker")
        try:
            asyncio.run(run_until_stopped(Settings.from_env(data_dir=data_dir, temporal_profile=profile)))
        except Unavailable as exc:
            fail(str(exc))

    @app.command()
    def serve(
        data_dir: DataDir = None,
        host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port")] = 8080,
        profile: Profile = None,
    ) -> None:
        """Run the gateway alone (alerts, chat, REST API, status page) against the Temporal that
        TEMPORAL_* or the profile names; it starts while Temporal is unreachable, not while misconfigured."""
        import uvicorn

        from warroom.config import Settings
        from warroom.gateway.app import create_app
        from warroom.telemetry import configure_tracing
        from warroom.temporal.target import TemporalConfigError, connect_options

        settings = Settings.from_env(data_dir=data_dir, temporal_profile=profile)
        try:
            connect_options(settings)
        except TemporalConfigError as exc:
            fail(str(exc))
        configure_tracing("warroom-gateway")
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")

    @app.command()
    def outbox(
        incident: Annotated[str | None, typer.Option(help="only this incident")] = None,
        data_dir: DataDir = None,
        as_json: Json = False,
    ) -> None:
        """What the outbox provider sent: every page, notice and reminder, one row per recipient."""
        from warroom.cli import present
        from warroom.config import Settings
        from warroom.outbox import Outbox
        from warroom.state import normalize_incident_id

        try:
            wanted = normalize_incident_id(incident) if incident else None
        except ValueError as exc:
            fail(str(exc), USAGE)
        rows = Outbox(Settings.from_env(data_dir=data_dir).outbox_path).read(wanted)
        if as_json:
            emit_json([row.model_dump(mode="json") for row in rows])
        else:
            present.outbox(rows)

    @app.command()
    def login(
        url: Annotated[str, typer.Argument(help="the gateway, e.g. https://warroom.example.com", show_default=False)],
        token: Annotated[str | None, typer.Option(help="your API token [default: read from stdin]")] = None,
    ) -> None:
        """Log in to a warroom gateway with your API token: checked, then kept in ~/.config/warroom."""
        from warroom.cli import client

        secret = (token or sys.stdin.readline()).strip()
        if not secret:
            fail("give the token: --token TOKEN, or on stdin", USAGE)
        probe = client.Login(url=url.rstrip("/"), token=secret, handle=None)
        handle = client.request(probe, "GET", "/v1/whoami")["handle"]
        client.write_login(client.user_login_file(), probe.url, {handle: secret}, default=handle)
        print(f"logged in to {probe.url} as {handle}")

    tokens = typer.Typer(help="REST API tokens: each acts as one roster person; only a hash is kept.",
                         no_args_is_help=True)
    app.add_typer(tokens, name="token")

    @tokens.command("create")
    def token_create(
        handle: Annotated[str, typer.Argument(help="the roster person it acts as", show_default=False)],
        label: Annotated[str, typer.Option(help="what it is for, e.g. 'bob laptop'")] = "",
        admin: Annotated[bool, typer.Option(help="may act on behalf of anyone (X-Warroom-On-Behalf-Of), "
                                                 "recorded as 'alice via admin-token LABEL'")] = False,
        data_dir: DataDir = None,
    ) -> None:
        """Create a token and print it, once: it is not shown again (its hash is kept)."""
        store, people = _store(data_dir), {p.handle for p in _policy(None).roster.people}
        if handle.lower() not in people:
            fail(f"{handle!r} is not a person in oncall.yaml", USAGE)
        print(store.create(handle.lower(), label, admin=admin))

    @tokens.command("list")
    def token_list(data_dir: DataDir = None, as_json: Json = False) -> None:
        """Tokens by id, person, label and creation time (never the token itself)."""
        records = list(_store(data_dir).records().values())
        if as_json:
            emit_json([{"id": r.id, "handle": r.handle, "label": r.label, "admin": r.admin, "created_at": r.created_at}
                       for r in records])
            return
        for record in records:
            kind = "admin " if record.admin else ""
            print(f"{record.id}  {record.handle:<12} {record.created_at}  {kind}{record.label}")

    @tokens.command("revoke")
    def token_revoke(
        token_id: Annotated[str, typer.Argument(metavar="ID", help="the id `token list` shows", show_default=False)],
        data_dir: DataDir = None,
    ) -> None:
        """Revoke a token; the gateway refuses it from its next request on."""
        gone = _store(data_dir).revoke(token_id)
        if gone is None:
            fail(f"no token {token_id!r}")
        print(f"revoked {gone.id} ({gone.handle})")

    config = typer.Typer(help="Check warroom.yaml: alert-source credentials and channel providers.",
                         no_args_is_help=True)
    app.add_typer(config, name="config")

    @config.command("check")
    def config_check(
        file: Annotated[Path | None, typer.Argument(help="the file [default: $WARROOM_CONFIG or ./warroom.yaml]")]
        = None,
        require_env: Annotated[bool, typer.Option("--require-env", help="an unset environment variable is an error, "
                                                                        "not a warning")] = False,
    ) -> None:
        """Validate warroom.yaml and list each channel's provider; exit 1 on errors."""
        from warroom.cli import configcmd

        raise typer.Exit(configcmd.check(file, require_env))

    @policy.command("check")
    def policy_check(directory: Annotated[Path | None, typer.Argument(help="runbooks directory")] = None) -> None:
        """Validate policy.yaml, oncall.yaml, services/*.yaml and gamedays/*.yaml; exit 1 listing every problem."""
        from warroom.config import Settings
        from warroom.durations import format_duration
        from warroom.gamedays.scenario import ScenarioError, load_scenarios

        root = directory or Settings.from_env().runbooks
        loaded = _policy(directory)
        try:
            scenarios = load_scenarios(Path(root) / "gamedays", set(loaded.runbooks))
        except ScenarioError as exc:
            for problem in exc.problems[:-1]:
                print(f"warroom: {problem}", file=sys.stderr)
            fail(exc.problems[-1])
        print(
            f"{root}: OK: {len(loaded.rules.severities)} severities, "
            f"{len(loaded.roster.people)} people, {len(loaded.roster.teams)} team(s), services: "
            f"{', '.join(sorted(loaded.runbooks))}; review within {format_duration(loaded.rules.review.within)}; "
            f"game days: {', '.join(sorted(scenarios)) or 'none'}"
        )

    @policy.command("simulate")
    def policy_simulate(
        sev: Annotated[str, typer.Option("--sev", help="SEV1..SEV4")],
        service: Annotated[str | None, typer.Option(help="service runbook [default: the first one]")] = None,
        scenario: Annotated[Path | None, typer.Option(help="YAML list of {at, event, actor, ...}")] = None,
        until: Annotated[str, typer.Option(help="how far to simulate")] = "72h",
        start: Annotated[str | None, typer.Option(help="detection time, ISO 8601 [default: now]")] = None,
        declared_by: Annotated[str | None, typer.Option(
            help="a person who declares it (confirms the severity) [default: an alert]")] = None,
        explain: Annotated[bool, typer.Option("--explain", help="then, per PROCESS.md rule, whether the "
                                                                 "scenario met it and when")] = False,
        as_json: Json = False,
        directory: RunbooksDir = None,
    ) -> None:
        """Print the timeline the policy produces from detection: what goes out, to whom, and when
        it goes out (nobody responds unless a scenario says so). The workflow runs the same loop."""
        from warroom.cli.simulation import run

        run(_policy(directory), sev, service, scenario, until, start, declared_by, as_json, explain)


def _store(data_dir: Path | None) -> Any:
    from warroom.config import Settings
    from warroom.config_file import load_config
    from warroom.tokens import TokenStore, tokens_file
    from warroom.yamlfile import ConfigError

    settings = Settings.from_env(data_dir=data_dir)
    try:
        return TokenStore(tokens_file(settings, load_config(settings.config_file)))
    except ConfigError as exc:
        raise CliError("; ".join(exc.problems)) from None
