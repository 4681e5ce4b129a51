"""warroom through TLS and mutual TLS, for real: a Temporal dev server behind Debian's nginx, which
terminates TLS (and on a second port requires a client certificate from our test CA) and passes
gRPC on. A worker and the gateway configured only by TEMPORAL_* variables, and a worker and the
door configured by a temporal.toml profile, declare an incident and its first page reaches the
outbox; a client without the CA, or without its certificate where one is required, is refused in
one line that says which setting to look at and never shows the API key. docker-compose.yml's
worker health check and its temporal-init step run here too, through TLS by the same variables."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from temporalio.common import SearchAttributeIndexedValueType

from tests.e2e.pki import Authority
from tests.e2e.test_up import free_port
from warroom.commands import Declare
from warroom.config import Settings
from warroom.outbox import Outbox
from warroom.policy import load_policy
from warroom.temporal.connection import ALL_KEYS, connect
from warroom.temporal.door import Door
from workers.up import dev_server_command, temporal_binary

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVER_NAME = "temporal.test"  # the certificate's only name: the clients must set TEMPORAL_TLS_SERVER_NAME
API_KEY = "tmprl-e2e-never-printed-4f9c2a"
WAIT_S = 60
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

pytestmark = pytest.mark.e2e


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        pytest.fail("nginx is missing: run `make nginx` (installs Debian's nginx) for the TLS tests", pytrace=False)
    return found


@dataclass(frozen=True)
class Proxy:
    """Where the clients connect: TLS on one port, TLS with a required client certificate on the other."""

    tls: str
    mtls: str
    ca: Path
    client_cert: Path
    client_key: Path


def wait_until(ready, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not ready within {WAIT_S}s")
        time.sleep(0.2)


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[Proxy]:
    nginx = nginx_binary()
    root = tmp_path_factory.mktemp("tls")
    authority = Authority(root)
    server_cert, server_key = authority.server(SERVER_NAME)
    client_cert, client_key = authority.client("warroom-worker")
    temporal, ui, tls, mtls = free_port(), free_port(), free_port(), free_port()
    with open(root / "temporal.log", "wb") as log:
        server = subprocess.Popen(dev_server_command(root, temporal, ui), stdout=log, stderr=subprocess.STDOUT)
    health = [temporal_binary(), "operator", "cluster", "health", "--address", f"127.0.0.1:{temporal}"]
    web = None
    try:
        wait_until(lambda: subprocess.run(health, capture_output=True, timeout=30).returncode == 0, "the dev server")
        config = root / "nginx.conf"
        config.write_text(nginx_config(root, temporal, tls, mtls, server_cert, server_key, authority.cert_path))
        web = subprocess.Popen([nginx, "-e", str(root / "nginx-error.log"), "-c", str(config), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(lambda: accepts(tls) and accepts(mtls), "nginx")
        yield Proxy(f"127.0.0.1:{tls}", f"127.0.0.1:{mtls}", authority.cert_path, client_cert, client_key)
    finally:
        if web is not None:
            stop(web)
        stop(server)


def nginx_config(root: Path, temporal: int, tls: int, mtls: int, cert: Path, key: Path, ca: Path) -> str:
    """TLS terminated by nginx and gRPC passed to the dev server; long polls outlast nginx's 60-s default."""
    temp = "\n".join(f"  {kind}_temp_path {root / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                        "scgi"))
    location = f"location / {{ grpc_pass grpc://127.0.0.1:{temporal}; }}"
    return f"""
worker_processes 1;
pid {root / "nginx.pid"};
error_log {root / "nginx-error.log"} warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
{temp}
  ssl_certificate {cert};
  ssl_certificate_key {key};
  grpc_read_timeout 300s;
  grpc_send_timeout 300s;
  client_max_body_size 0;
  server {{ listen 127.0.0.1:{tls} ssl http2; {location} }}
  server {{
    listen 127.0.0.1:{mtls} ssl http2;
    ssl_client_certificate {ca};
    ssl_verify_client on;
    {location}
  }}
}}
"""


def environment(data_dir: Path, queue: str, **temporal: str) -> dict[str, str]:
    """This machine's environment with no Temporal or warroom settings but these."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "WARROOM_"))}
    return {**kept, "TEMPORAL_CONFIG_FILE": os.devnull, "WARROOM_DATA_DIR": str(data_dir),
            "WARROOM_TASK_QUEUE": queue, **temporal}


def warroom(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "warroom"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=WAIT_S)


def start(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([str(BIN / "warroom"), *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def as_compose_runs(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """A command of docker-compose.yml as its container runs it: `$$` unescaped, the temporal CLI on PATH."""
    return subprocess.run([arg.replace("$$", "$") for arg in argv], capture_output=True, text=True, timeout=120,
                          env={**env, "PATH": f"{BIN}{os.pathsep}{env['PATH']}"})


def first_pages(data_dir: Path, incident: str) -> list[str]:
    """Who the incident's first pages went to, once the outbox has any."""
    outbox = Outbox(data_dir / "outbox.sqlite")
    pages: list[str] = []
    wait_until(lambda: pages.extend(r.recipient for r in outbox.read(incident) if r.action_key == "page:SEV1")
               or pages, "the first page")
    return pages


def test_worker_and_gateway_over_tls_by_temporal_variables(proxy, tmp_path):
    data = tmp_path / "data"
    env = environment(data, f"tls-{uuid.uuid4().hex[:8]}", TEMPORAL_ADDRESS=proxy.tls,
                      TEMPORAL_TLS_SERVER_CA_CERT_PATH=str(proxy.ca), TEMPORAL_TLS_SERVER_NAME=SERVER_NAME)
    token = warroom("token", "create", "dana", "--label", "tls e2e", env=env)
    assert token.returncode == 0, token.stderr
    port = free_port()
    worker = start("worker", env=env, log=tmp_path / "worker.log")
    gateway = start("serve", "--port", str(port), env=env, log=tmp_path / "gateway.log")
    try:
        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok",
                                                                                 "temporal": proxy.tls}
            except (httpx.HTTPError, ValueError):
                return False

        wait_until(healthy, "the gateway (through nginx)")
        cli = {**env, "WARROOM_URL": f"http://127.0.0.1:{port}", "WARROOM_TOKEN": token.stdout.strip()}
        declared = warroom("declare", "--sev", "SEV1", "--service", "payments", "Checkout failing over TLS", env=cli)
        assert declared.returncode == 0, declared.stderr
        incident = declared.stdout.strip()
        assert first_pages(data, incident)
        shown = json.loads(warroom("outbox", "--incident", incident, "--json", env=env).stdout)
        assert {"page:SEV1"} <= {row["action_key"] for row in shown}

        # docker-compose.yml's worker health check, with the same variables: this worker is polling
        kind, check = COMPOSE["services"]["worker"]["healthcheck"]["test"]
        assert kind == "CMD-SHELL"
        probe = as_compose_runs(["/bin/sh", "-c", check], env)
        assert probe.returncode == 0, probe.stdout + probe.stderr
    finally:
        stop(gateway)
        stop(worker)
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()


async def test_worker_and_door_over_mutual_tls_by_a_temporal_toml_profile(proxy, tmp_path, monkeypatch):
    profiles = tmp_path / "temporal.toml"
    profiles.write_text(f"""
[profile.secured]
address = "{proxy.mtls}"
[profile.secured.tls]
server_name = "{SERVER_NAME}"
server_ca_cert_path = "{proxy.ca}"
client_cert_path = "{proxy.client_cert}"
client_key_path = "{proxy.client_key}"
""")
    data, queue = tmp_path / "data", f"mtls-{uuid.uuid4().hex[:8]}"
    env = environment(data, queue, TEMPORAL_CONFIG_FILE=str(profiles))
    worker = start("worker", "--profile", "secured", env=env, log=tmp_path / "worker.log")
    try:
        monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(profiles))
        client = await connect(Settings(temporal_profile="secured", task_queue=queue, data_dir=data))
        assert client.service_client.config.target_host == proxy.mtls
        declared = await Door(client, queue).declare(load_policy(ROOT / "runbooks"), Declare(
            actor="dana", title="Checkout failing over mTLS", service="payments", severity="SEV1"))
        assert await asyncio.to_thread(first_pages, data, declared.incident_id)
    finally:
        stop(worker)
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()


@pytest.mark.parametrize("case", ["no CA, an API key", "mTLS without a client certificate", "no such namespace"])
def test_a_worker_that_cannot_connect_is_refused_in_one_line(proxy, tmp_path, case):
    if case == "no CA, an API key":  # the system's CAs do not know ours
        settings = {"TEMPORAL_ADDRESS": proxy.tls, "TEMPORAL_API_KEY": API_KEY}
        said = (f"cannot reach Temporal at {proxy.tls} (namespace default, TLS, API key): the server's certificate "
                "is not signed by a CA this client trusts (TEMPORAL_TLS_SERVER_CA_CERT_PATH)")
    elif case == "no such namespace":  # connected: the search attributes are the first call in a namespace
        settings = {"TEMPORAL_ADDRESS": proxy.tls, "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(proxy.ca),
                    "TEMPORAL_NAMESPACE": "nowhere"}
        said = "cannot register the board's search attributes in namespace nowhere (NOT_FOUND: "
    else:
        settings = {"TEMPORAL_ADDRESS": proxy.mtls, "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(proxy.ca)}
        said = (f"cannot reach Temporal at {proxy.mtls} (namespace default, TLS): refused with HTTP 400, as a TLS "
                "proxy that requires a client certificate answers (TEMPORAL_TLS_CLIENT_CERT_PATH, "
                "TEMPORAL_TLS_CLIENT_KEY_PATH)")
    env = environment(tmp_path / "data", "refused", TEMPORAL_TLS_SERVER_NAME=SERVER_NAME, **settings)
    refused = warroom("worker", env=env)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"warroom: {said}") and refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stdout == "" and "Traceback" not in refused.stderr
    assert API_KEY not in refused.stderr


def test_the_compose_init_step_makes_the_namespace_and_the_boards_search_attributes(proxy, tmp_path):
    """docker-compose.yml's temporal-init script as it is, through TLS by the same variables."""
    init = COMPOSE["services"]["temporal-init"]
    namespace = f"compose-{uuid.uuid4().hex[:8]}"
    env = environment(tmp_path, "unused", TEMPORAL_ADDRESS=proxy.tls, TEMPORAL_NAMESPACE=namespace,
                      TEMPORAL_TLS_SERVER_CA_CERT_PATH=str(proxy.ca), TEMPORAL_TLS_SERVER_NAME=SERVER_NAME)
    ran = as_compose_runs([*init["entrypoint"], *init["command"]], env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    listed = subprocess.run([temporal_binary(), "operator", "search-attribute", "list", "-o", "json"],
                            capture_output=True, text=True, timeout=WAIT_S, env=env)
    assert listed.returncode == 0, listed.stderr
    expected = {key.name: f"INDEXED_VALUE_TYPE_{SearchAttributeIndexedValueType(key.indexed_value_type).name}"
                for key in ALL_KEYS}
    assert json.loads(listed.stdout)["customAttributes"] == expected
