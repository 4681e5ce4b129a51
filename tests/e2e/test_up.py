"""`warroom up` as a user runs it, on free ports, driven by the CLI (which goes through the REST
API with the tokens `up` wrote) and by curl-like requests: declare, outbox, board query, a
refused resolve, the timeline as server-sent events, then stop and start again and find
everything where it was; a second `up` on the same data dir or ports is refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
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
        return subprocess.run(
            [str(BIN / "warroom"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60
        )

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

        declared = up.cli("declare", "--sev", "SEV1", "--service", "payments", "Checkout failing", "--as", "erin")
        assert declared.returncode == 0, declared.stderr
        incident = declared.stdout.strip()
        assert incident.startswith("INC-") and len(incident) == 9

        # SEV1 pages whoever is on call when it was declared (any week: the rotation decides), the
        # runbook's SMEs and leadership, and tells the executives
        detected = datetime.fromisoformat(json.loads(up.cli("show", incident, "--json").stdout)["state"]["detected_at"])
        [(_, on_call), *_] = POLICY.team("payments").chain(detected)
        smes = {sme.handle for sme in POLICY.runbook("payments").smes}
        expected = {("page:SEV1", h) for h in {on_call, *smes, *POLICY.roster.leadership}}
        expected |= {("notify:SEV1", h) for h in POLICY.roster.executives}
        at_once = ("page:SEV1", "notify:SEV1")
        rows = up.outbox(incident, lambda rows: len([r for r in rows if r["action_key"] in at_once]) >= len(expected))
        assert {(r["action_key"], r["recipient"]) for r in rows if r["action_key"] in at_once} == expected

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

        refused = up.cli("resolve", incident, "--as", "kim")  # support: not paged, not the IC
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.count("\n") == 1 and "only the IC" in refused.stderr and "R-ROLE-4" in refused.stderr

        usage = up.cli("declare", "--service", "payments", "No severity", "--as", "erin")
        assert usage.returncode == 2 and "--sev" in usage.stderr and usage.stderr.count("\n") == 1

        shown = json.loads(up.cli("show", incident.lower(), "--json").stdout)
        assert shown["state"]["id"] == incident and shown["state"]["status"] == "detected"

        in_review = rest_api(up)
        second_up_is_refused(up, tmp_path)
    finally:
        code = up.stop()
    assert code == 0
    assert not port_open(up.ports["temporal"])  # the dev server went with it

    up.start()
    try:
        listed = json.loads(up.cli("list", "--json").stdout)
        assert sorted(row["id"] for row in listed) == sorted([incident, in_review])  # open, and in review
        assert len(json.loads(up.cli("outbox", "--json").stdout)) >= 4
        acked = up.cli("ack", incident, "--as", on_call)
        assert acked.returncode == 0, acked.stderr
        assert f"acknowledged by {on_call}" in acked.stdout
    finally:
        assert up.stop() == 0


def rest_api(up: Up) -> str:
    """What curl with a token does: declare, ack, take IC, post an update, resolve; without a token
    401 and nothing written; the timeline streams as server-sent events while it happens."""
    base = f"http://127.0.0.1:{up.ports['http']}"
    def token(handle: str) -> dict[str, str]:
        created = up.cli("token", "create", handle, "--label", "e2e")
        assert created.returncode == 0, created.stderr
        return {"Authorization": f"Bearer {created.stdout.strip()}"}

    auth = token("heidi")  # not on any rotation: her declaring is no acknowledgement
    with httpx.Client(base_url=base, timeout=30) as http:
        before = http.get("/v1/incidents", headers=auth).json()
        assert http.post("/v1/incidents", json={"words": ["sev2", "payments", "Refunds", "slow"]}).status_code == 401
        assert http.post("/v1/incidents", headers={"Authorization": "Bearer wr_000000000000_" + "x" * 43},
                         json={"words": ["sev2", "payments", "Refunds slow"]}).status_code == 401
        assert http.get("/v1/incidents", headers=auth).json() == before  # nothing was declared

        declared = http.post("/v1/incidents", headers=auth, json={"severity": "SEV2", "service": "payments",
                                                                  "title": "Refunds slow"})
        assert declared.status_code == 200, declared.text
        incident = declared.json()["incident_id"]
        detected = datetime.fromisoformat(http.get(f"/v1/incidents/{incident}", headers=auth).json()["state"]
                                          ["detected_at"])
        [(_, on_call), *_] = POLICY.team("payments").chain(detected)
        responder = token(on_call)  # paged: they acknowledge and take command
        with http.stream("GET", f"/v1/incidents/{incident}/events", headers=auth) as stream:
            steps = [
                ("ack", {}),
                ("role", {"role": "ic", "handle": on_call}),
                ("update", {"impact": "refunds take 10 min", "theory": "queue backlog", "next_steps": "scale",
                            "next": "10m"}),
                ("resolve", {}),
            ]
            for verb, body in steps:
                answer = http.post(f"/v1/incidents/{incident}/{verb}", headers=responder, json=body)
                assert answer.status_code == 200, (verb, answer.text)
            seen = events_until(stream, lambda events: any(e["event"] == "state" and e["data"]["stage"] == "in_review"
                                                           for e in events))
        timeline = [e["data"] for e in seen if e["event"] == "timeline"]
        assert [e["kind"] for e in timeline if e["actor"] == "heidi"] == ["declared"]
        assert [e["kind"] for e in timeline if e["actor"] == on_call] == ["acknowledged", "role", "update", "resolved"]
        assert any(e["event"] == "state" and e["data"]["ic"] == on_call for e in seen)

        refused = http.post(f"/v1/incidents/{incident}/severity", headers=auth, json={"severity": "SEV9"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "severity"
        unknown = http.post("/v1/incidents/INC-22222/ack", headers=auth, json={})
        assert unknown.status_code == 404 and "INC-22222" in unknown.json()["error"]
        assert http.get("/openapi.json").json()["paths"]["/v1/incidents/{incident}/comms/customer"]
    return incident


def events_until(stream: httpx.Response, done, limit: float = 30) -> list[dict]:
    """Server-sent events as {event, data}, read until `done(events)` holds."""
    events, current = [], {}
    deadline = time.monotonic() + limit
    for line in stream.iter_lines():
        if line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
        elif not line and current:
            events.append(current)
            current = {}
            if done(events):
                return events
        assert time.monotonic() < deadline, events
    return events


def second_up_is_refused(up: Up, tmp_path: Path) -> None:
    """One line naming the holder or the port, exit 1, nothing started."""
    same_dir = subprocess.run(
        [str(BIN / "warroom"), "up", "--data-dir", str(up.data_dir), "--temporal-port", str(free_port()),
         "--ui-port", str(free_port()), "--http-port", str(free_port())],
        cwd=ROOT, env=up.env, capture_output=True, text=True, timeout=60)
    assert same_dir.returncode == 1 and same_dir.stderr.count("\n") == 1, same_dir.stderr
    assert f"pid {up.process.pid}" in same_dir.stderr and "warroom is up" not in same_dir.stdout
    same_port = subprocess.run(
        [str(BIN / "warroom"), "up", "--data-dir", str(tmp_path / "other"), "--temporal-port",
         str(up.ports["temporal"]), "--ui-port", str(free_port()), "--http-port", str(free_port())],
        cwd=ROOT, env=up.env, capture_output=True, text=True, timeout=60)
    assert same_port.returncode == 1 and same_port.stderr.count("\n") == 1, same_port.stderr
    assert f"port {up.ports['temporal']}" in same_port.stderr and "--temporal-port" in same_port.stderr
