"""docker-compose.yml is checked statically here (no Docker engine): it must start what the
README says, with commands and settings the product actually has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from warroom.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_postgres_temporal_ui_worker_and_gateway():
    assert set(COMPOSE["services"]) == {"postgresql", "temporal", "temporal-ui", "worker", "gateway"}
    assert COMPOSE["services"]["temporal"]["environment"]["POSTGRES_SEEDS"] == "postgresql"


def test_worker_and_gateway_use_real_commands_and_settings():
    warroom = str(Path(sys.executable).parent / "warroom")
    for name in ("worker", "gateway"):
        service = COMPOSE["services"][name]
        command = service["command"]
        shown = subprocess.run([warroom, *command[:1], "--help"], capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0, shown.stderr
        for option in command[1:]:
            if option.startswith("--"):
                assert option in shown.stdout
        env = service["environment"]
        settings = Settings.model_validate(
            {k.removeprefix("WARROOM_").lower(): v for k, v in env.items() if k.startswith("WARROOM_")}
        )
        host = settings.temporal_address.split(":")[0]
        assert host in COMPOSE["services"], f"{name} points at {host}, which compose does not run"


def test_dockerfile_copies_every_package_the_distribution_needs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("warroom", "workflows", "activities", "workers", "runbooks"):
        assert f"COPY {package} ./{package}" in dockerfile
