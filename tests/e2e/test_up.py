"""`warroom up` as a user runs it, on free ports, driven by the CLI: declare, outbox, board query,
a refused resolve, then stop and start again and find everything where it was."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from warroom.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.e2e
POLICY = load_policy(ROOT / "runbooks")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Up:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.ports = {"temporal": free_port(), "ui": free_port(), "http": free_port()}
        self.env = {
            **os.environ,
            "WARROOM_TEMPORAL_ADDRESS": f"127.0.0.1:{self.ports['temporal']}",
            "WARROOM_DATA_DIR": str(data_dir),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        self.process = subprocess.Popen(
            [str(BIN / "warroom"), "up", "--data-dir", str(self.data_dir),
             "--temporal-port", str(self.ports["temporal"]), "--ui-port", str(self.ports["ui"]),
             "--http-port", str(self.ports["http"])],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        banner = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            banner.append(line)
            if line.startswith("Ctrl-C"):
                break
        text = "".join(banner)
        assert "warroom is up" in text, text
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{self.ports['http']}/healthz").status_code == 200:
                    return text
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("the gateway never became healthy")

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.process.stdout.close()
        return code

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "warroom"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60)

    def outbox(self, incident: str, until, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            rows = json.loads(self.cli("outbox", "--incident", incident, "--json").stdout)
            if until(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.2)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_warroom_up_declare_outbox_board_refusal_and_restart(tmp_path):
    up = Up(tmp_path / "state")
    banner = up.start()
    try:
        assert f"http://127.0.0.1:{up.ports['ui']}" in banner and f":{up.ports['http']}/healthz" in banner

        oncall = [handle for _, handle in POLICY.team("payments").chain(datetime.now(UTC))]
        declared = up.cli("declare", "--sev", "SEV1", "--service", "payments", "Checkout failing", "--as", "erin")
        assert declared.returncode == 0, declared.stderr
        incident = declared.stdout.strip()
        assert incident.startswith("INC-") and len(incident) == 9

        at_once = ("page:SEV1", "notify:SEV1")
        rows = up.outbox(incident, lambda rows: len([r for r in rows if r["action_key"] in at_once]) >= 4)
        assert {(r["action_key"], r["recipient"]) for r in rows if r["action_key"] in at_once} == {
            ("page:SEV1", oncall[0]), ("page:SEV1", "judy"), ("page:SEV1", "erin"), ("notify:SEV1", "frank"),
        }

        query = 'IncidentSeverity="SEV1" AND IncidentStatus!="resolved"'
        listed = []
        for _ in range(50):
            board = subprocess.run(
                [str(BIN / "temporal"), "workflow", "list", "--address", up.env["WARROOM_TEMPORAL_ADDRESS"],
                 "--query", query, "-o", "json"],
                capture_output=True, text=True, timeout=30,
            )
            listed = [w["execution"]["workflowId"] for w in json.loads(board.stdout or "[]")]
            if listed == [incident]:
                break
            time.sleep(0.2)
        assert listed == [incident]

        refused = up.cli("resolve", incident, "--as", "judy")
        assert refused.returncode == 1
        assert refused.stderr.count("\n") == 1 and "only the IC may resolve" in refused.stderr

        usage = up.cli("declare", "--service", "payments", "No severity")
        assert usage.returncode == 2 and "--sev" in usage.stderr and usage.stderr.count("\n") == 1

        shown = json.loads(up.cli("show", incident.lower(), "--json").stdout)
        assert shown["state"]["id"] == incident and shown["state"]["status"] == "detected"
    finally:
        code = up.stop()
    assert code == 0
    assert not port_open(up.ports["temporal"])  # the dev server went with it

    up.start()
    try:
        listed = json.loads(up.cli("list", "--json").stdout)
        assert [row["id"] for row in listed] == [incident]
        assert len(json.loads(up.cli("outbox", "--json").stdout)) >= 4
        acked = up.cli("ack", incident, "--as", oncall[0])
        assert acked.returncode == 0, acked.stderr
        assert f"acknowledged by {oncall[0]}" in acked.stdout
    finally:
        assert up.stop() == 0
