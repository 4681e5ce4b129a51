"""`warroom up | worker | serve | outbox`: the processes and the development outbox."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated, Optional

import typer
import uvicorn

from warroom.outbox import Outbox
from warroom.cli import render
from warroom.cli.output import USAGE, emit_json, fail
from warroom.config import Settings
from warroom.state import normalize_incident_id
from warroom.telemetry import configure_tracing
from warroom.temporal.connection import Unavailable

DataDir = Annotated[Optional[Path], typer.Option(help="state directory [default: $WARROOM_DATA_DIR or .warroom]")]


def register(app: typer.Typer) -> None:
    @app.command()
    def up(
        data_dir: DataDir = None,
        temporal_port: Annotated[int, typer.Option(help="Temporal gRPC port")] = 7233,
        ui_port: Annotated[int, typer.Option(help="Temporal Web UI port")] = 8233,
        http_port: Annotated[int, typer.Option(help="gateway port")] = 8080,
    ) -> None:
        """Run warroom on its embedded default: Temporal dev server (SQLite), worker and gateway."""
        from warroom.runtime import up as run_up

        settings = Settings.from_env(data_dir=data_dir, temporal_address=f"127.0.0.1:{temporal_port}")
        configure_tracing("warroom")
        code = asyncio.run(run_up(settings, temporal_port, ui_port, http_port))
        raise typer.Exit(code)

    @app.command()
    def worker(data_dir: DataDir = None) -> None:
        """Run a worker against $WARROOM_TEMPORAL_ADDRESS until SIGINT/SIGTERM."""
        from workers.main import run_worker

        settings = Settings.from_env(data_dir=data_dir)
        configure_tracing("warroom-worker")

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await run_worker(settings, stop)

        try:
            asyncio.run(main())
        except Unavailable as exc:
            fail(str(exc))

    @app.command()
    def serve(
        data_dir: DataDir = None,
        host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port")] = 8080,
    ) -> None:
        """Run the gateway alone against $WARROOM_TEMPORAL_ADDRESS."""
        from warroom.gateway.app import create_app

        settings = Settings.from_env(data_dir=data_dir)
        configure_tracing("warroom-gateway")
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")

    @app.command()
    def outbox(
        incident: Annotated[Optional[str], typer.Option(help="only this incident")] = None,
        data_dir: DataDir = None,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON for scripts")] = False,
    ) -> None:
        """What the outbox provider sent: every page, notice and reminder, one row per recipient."""
        settings = Settings.from_env(data_dir=data_dir)
        try:
            wanted = normalize_incident_id(incident) if incident else None
        except ValueError as exc:
            fail(str(exc), USAGE)
        rows = Outbox(settings.outbox_path).read(wanted)
        if as_json:
            emit_json(rows)
        else:
            render.outbox(rows)
