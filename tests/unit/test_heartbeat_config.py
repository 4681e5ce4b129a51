"""warroom.yaml `heartbeats`: validated like the rest of the file (errors name file:line and the
field), cross-checked for a name given twice and a service without a runbook; and the alert a
silent monitor sends, in warroom's generic format."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from warroom.alerts import heartbeat
from warroom.alerts.events import group_workflow_id
from warroom.config_file import Heartbeat, WarroomConfig, heartbeat_problems, load_config
from warroom.severity import Severity
from warroom.yamlfile import ConfigError

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
heartbeats:
  - name: prometheus
    interval: 2m
    grace: 1m
    service: payments
    severity: sev2
  - name: backup-cron-eu
    interval: 1d
    grace: 2h
    service: identity
    severity: SEV3
    summary: Nightly backups stopped
"""


def write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "warroom.yaml"
    file.write_text(text)
    return file


def problems(file: Path, services: list[str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        load_config(file, services=services)
    return refused.value.problems


def test_a_good_list_loads_with_durations_and_severities_read_as_people_write_them(tmp_path):
    config = load_config(write(tmp_path, GOOD), services=["payments", "identity"])
    first, second = config.heartbeats
    assert (first.name, first.interval, first.grace, first.severity) == (
        "prometheus", timedelta(minutes=2), timedelta(minutes=1), Severity.SEV2)
    assert first.silence == timedelta(minutes=3) and first.summary is None
    assert second.silence == timedelta(hours=26) and second.summary == "Nightly backups stopped"
    assert config.heartbeat("prometheus") == first and config.heartbeat("nope") is None


@pytest.mark.parametrize(
    ("line", "field", "value", "message"),
    [
        (2, "name", "Prometheus_EU", "must be a slug"),
        (2, "name", "-edge", "must be a slug"),
        (2, "name", "x" * 65, "must be a slug"),
        (3, "interval", "5s", "5s is outside 10s..7d"),
        (3, "interval", "8d", "8d is outside 10s..7d"),
        (3, "interval", "90", "has no unit"),
        (4, "grace", "1s", "1s is outside 10s..7d"),
        (6, "severity", "SEV9", "is not a severity"),
        (7, "summary", "''", "at least 1 character"),
    ],
)
def test_each_bad_field_is_named_with_its_file_and_line(tmp_path, line, field, value, message):
    fields = {"name": "prometheus", "interval": "2m", "grace": "1m", "service": "payments", "severity": "SEV2",
              "summary": "Prometheus is down", field: value}
    text = "heartbeats:\n" + "".join(
        f"  {'-' if i == 0 else ' '} {key}: {fields[key]}\n" for i, key in enumerate(fields)
    )
    file = write(tmp_path, text)
    [problem] = problems(file)
    assert problem.startswith(f"{file}:{line}: heartbeats[0].{field}: "), problem
    assert message in problem, problem


def test_a_missing_field_and_a_typo_are_errors_not_defaults(tmp_path):
    file = write(tmp_path, "heartbeats:\n  - name: prometheus\n    interval: 2m\n    grace: 1m\n"
                           "    severity: SEV2\n    sevrity: SEV1\n")
    found = problems(file)
    assert any(p.startswith(f"{file}:2: heartbeats[0].service: Field required") for p in found), found
    assert any(p.startswith(f"{file}:6: heartbeats[0].sevrity: Extra inputs") for p in found), found


def test_a_name_given_twice_and_a_service_without_a_runbook_name_their_lines(tmp_path):
    file = write(tmp_path, GOOD + GOOD.removeprefix("heartbeats:\n").replace("payments", "billing"))
    found = problems(file, services=["identity", "payments"])
    assert found == [
        f"{file}:13: heartbeats[2].name: 'prometheus' is already the name of heartbeats[0]",
        f"{file}:16: heartbeats[2].service: 'billing' has no runbook (services: identity, payments)",
        f"{file}:18: heartbeats[3].name: 'backup-cron-eu' is already the name of heartbeats[1]",
    ]
    # without the runbooks (the worker reads only its providers) the service is not judged here
    assert [p for p in problems(file) if "runbook" in p] == []


def test_config_check_judges_the_services_against_the_runbooks_and_lists_the_monitors(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    good = write(tmp_path, GOOD)
    result = subprocess.run([sys.executable, "-m", "warroom.cli.app", "config", "check", str(good)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "  heartbeat  prometheus: POST /v1/heartbeat/prometheus every 2m (+1m grace), else SEV2 for payments" \
        in result.stdout.splitlines()
    bad = write(tmp_path, GOOD.replace("identity", "billing"))
    result = subprocess.run([sys.executable, "-m", "warroom.cli.app", "config", "check", str(bad)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"{bad}:10: heartbeats[1].service: 'billing' has no runbook" in result.stderr


def test_a_silent_monitor_alerts_in_the_generic_format_under_one_group_per_monitor():
    monitor = Heartbeat(name="prometheus", interval="2m", grace="1m", service="payments", severity="SEV2")
    firing = heartbeat.alert(monitor, "firing")
    assert firing.source == "generic" and firing.group_key == "heartbeat-prometheus"
    assert firing.group_id == group_workflow_id("generic", "heartbeat-prometheus") == heartbeat.group_id("prometheus")
    [alert] = firing.alerts
    assert (alert.status, alert.fingerprint, alert.service, alert.severity) == (
        "firing", "heartbeat-prometheus", "payments", "SEV2")
    assert firing.title == alert.name == "no heartbeat from prometheus for 3m"
    resolved = heartbeat.alert(monitor, "resolved")
    assert resolved.group_id == firing.group_id and resolved.alerts[0].status == "resolved"
    worded = heartbeat.alert(monitor.model_copy(update={"summary": "Prometheus down"}), "firing")
    assert worded.title == "Prometheus down: no heartbeat from prometheus for 3m"


def test_the_bounds_hold_for_files_while_code_may_run_a_monitor_at_test_speed():
    fast = WarroomConfig(heartbeats=(
        Heartbeat(name="prometheus", interval="2s", grace="1s", service="payments", severity="SEV2"),))
    assert fast.heartbeats[0].silence == timedelta(seconds=3)
    assert heartbeat_problems(fast, ["payments"]) == [
        "heartbeats[0].interval: 2s is outside 10s..7d", "heartbeats[0].grace: 1s is outside 10s..7d"]
    assert heartbeat_problems(fast, ["payments"], bounded=False) == []
    with pytest.raises(ValueError, match="longer than 0s"):
        Heartbeat(name="prometheus", interval="0s", grace="1m", service="payments", severity="SEV2")
