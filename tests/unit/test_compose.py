"""docker-compose.yml is checked statically here (no Docker engine): it must start what the
README says, on Temporal's current images, with commands and settings the product actually has,
every long-running service health-checked, every dependency waiting for a condition, and no
volume shared between replicas. (tests/e2e/test_tls.py runs its worker health check and its
temporal-init script against a real server.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from warroom.config import Settings
from warroom.temporal.connection import ALL_KEYS, attribute_types
from warroom.temporal.target import connect_options

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ONE_SHOTS = {"temporal-schema", "temporal-init"}


def image(name: str) -> tuple[str, str]:
    repository, _, tag = SERVICES[name]["image"].partition(":")
    return repository, tag


def script(name: str) -> str:
    """A one-shot's shell script, as its shell sees it."""
    assert SERVICES[name]["entrypoint"] == ["/bin/sh", "-euc"]
    [text] = SERVICES[name]["command"]
    return text.replace("$$", "$")


def replicas(name: str) -> int:
    return int(SERVICES[name].get("deploy", {}).get("replicas", 1))


def test_compose_runs_postgres_temporal_its_setup_its_ui_worker_and_gateway():
    assert set(SERVICES) == {"postgresql", "temporal-schema", "temporal", "temporal-init", "temporal-ui", "worker",
                             "gateway"}


def test_temporal_runs_on_its_current_images_not_auto_setup():
    assert image("temporal")[0] == "temporalio/server"
    assert image("temporal-schema")[0] == image("temporal-init")[0] == "temporalio/admin-tools"
    assert image("temporal-ui")[0] == "temporalio/ui"
    assert image("temporal-schema")[1] == image("temporal-init")[1] == image("temporal")[1]  # schema for this server
    assert not [s for s in SERVICES.values() if "auto-setup" in s.get("image", "")]


def test_the_schema_step_sets_up_and_updates_both_databases_the_server_uses():
    server = SERVICES["temporal"]["environment"]
    assert server["DB"] == "postgres12" and server["POSTGRES_SEEDS"] == "postgresql"
    schema_env = SERVICES["temporal-schema"]["environment"]
    for key in ("DB", "DB_PORT", "POSTGRES_SEEDS", "POSTGRES_USER", "POSTGRES_PWD", "DBNAME", "VISIBILITY_DBNAME"):
        assert schema_env[key] == server[key], key  # the databases the schema tool prepares are the server's
    text = script("temporal-schema")
    assert '"$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"' in text  # default store, then visibility
    for step in ("create", "setup-schema -v 0.0", "update-schema -d"):
        assert f'--db "$db" {step}' in text
    assert "/etc/temporal/schema/postgresql/v12/${pair#*:}/versioned" in text


def test_the_init_step_creates_exactly_the_boards_search_attributes():
    created = dict(re.findall(r"^attribute (\w+) (\w+)$", script("temporal-init"), re.MULTILINE))
    assert created == attribute_types() and set(created) == {key.name for key in ALL_KEYS}


@pytest.mark.parametrize("name", ONE_SHOTS)
def test_the_one_shot_scripts_are_valid_shell(name):
    checked = subprocess.run(["/bin/sh", "-n", "-c", script(name)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_every_long_running_service_has_a_health_check():
    for name, service in SERVICES.items():
        if name not in ONE_SHOTS:
            assert service["healthcheck"]["test"], name
        else:
            assert "healthcheck" not in service and "restart" not in service, name  # runs once, then exits 0


def test_every_dependency_waits_for_health_or_completion():
    for name, service in SERVICES.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for other, how in depends.items():
            wanted = "service_completed_successfully" if other in ONE_SHOTS else "service_healthy"
            assert how == {"condition": wanted}, (name, other)
    assert SERVICES["temporal"]["depends_on"] == {"temporal-schema": {"condition": "service_completed_successfully"}}
    for name in ("worker", "gateway"):
        assert "temporal-init" in SERVICES[name]["depends_on"]  # the namespace and attributes exist first


def test_worker_and_gateway_run_replicas():
    assert replicas("worker") >= 2 and replicas("gateway") >= 2


def test_no_volume_is_shared_by_replicas():
    """The outbox and the other SQLite files are per-host state: a replicated service mounts no named
    volume or bind mount, and no two services running the same program share one."""
    users: dict[str, list[str]] = {}
    for name, service in SERVICES.items():
        for mount in service.get("volumes", []):
            source = mount["source"] if isinstance(mount, dict) else mount.split(":")[0]
            users.setdefault(source, []).append(name)
            assert replicas(name) == 1, f"{name} has {replicas(name)} replicas and mounts {source}"

    def program(name: str) -> tuple:
        return (str(SERVICES[name].get("image") or SERVICES[name].get("build")), str(SERVICES[name].get("command")))

    for source, names in users.items():
        assert len({program(n) for n in names}) == len(names), f"{source} is shared by {names}"
    assert users == {"postgres-data": ["postgresql"]}


def test_worker_and_gateway_use_real_commands_and_temporal_settings(monkeypatch):
    warroom = str(Path(sys.executable).parent / "warroom")
    for name in ("worker", "gateway"):
        service = SERVICES[name]
        command = service["command"]
        shown = subprocess.run([warroom, *command[:1], "--help"], capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0, shown.stderr
        for option in command[1:]:
            if option.startswith("--"):
                assert option in shown.stdout
        for variable in [v for v in os.environ if v.startswith(("TEMPORAL_", "WARROOM_"))]:
            monkeypatch.delenv(variable)
        monkeypatch.setenv("TEMPORAL_CONFIG_FILE", os.devnull)  # no temporal.toml in the image
        for variable, value in service["environment"].items():
            monkeypatch.setenv(variable, value)
        target = connect_options(Settings.from_env())  # as the process inside the container decides
        host = target["target_host"].split(":")[0]
        assert host in SERVICES and "healthcheck" in SERVICES[host], f"{name} points at {host}"
        assert target["namespace"] == "default"


def test_dockerfile_copies_every_package_the_distribution_needs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("warroom", "workflows", "activities", "workers", "runbooks"):
        assert f"COPY {package} ./{package}" in dockerfile
