"""Runtime settings, from the environment (DESIGN.md: configuration from environment and YAML).

Temporal is configured by Temporal's own convention (warroom.temporal.target): TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, a temporal.toml profile (TEMPORAL_PROFILE or
--profile). warroom's older names are aliases that win over it when set:

WARROOM_TEMPORAL_ADDRESS  host:port of the Temporal frontend      (TEMPORAL_ADDRESS, else localhost:7233)
WARROOM_NAMESPACE         Temporal namespace                       (TEMPORAL_NAMESPACE, else default)
WARROOM_DATA_DIR          outbox, dev-server database, logs        (.warroom)
WARROOM_RUNBOOKS          policy.yaml, oncall.yaml, services/      (runbooks)
WARROOM_TASK_QUEUE        the worker's task queue                  (warroom)
WARROOM_CONFIG            warroom.yaml: source auth, providers     (warroom.yaml)
WARROOM_METRICS_PORT      the worker's Prometheus /metrics port     (unset: off; the gateway always has /metrics)
WARROOM_TEMPORAL_METRICS_PORT  the Temporal SDK's own /metrics port (unset: off)
WARROOM_METRICS_HOST      the address both metrics servers bind     (0.0.0.0)

Standard library and pydantic only: the CLI reads these without importing the Temporal SDK.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

TASK_QUEUE = "warroom"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    # None: Temporal's client configuration decides (warroom.temporal.target)
    temporal_address: str | None = None
    namespace: str | None = None
    temporal_profile: str | None = None  # --profile; None: $TEMPORAL_PROFILE, else "default"
    # False for `warroom up`: its own dev server is local and plaintext whatever TEMPORAL_* say
    temporal_config: bool = True
    data_dir: Path = Path(".warroom")
    runbooks: Path = Path("runbooks")
    task_queue: str = TASK_QUEUE
    config_file: Path = Path("warroom.yaml")
    # Off unless set: two workers on one host would fight over a default port (README "Metrics")
    metrics_port: int | None = None
    temporal_metrics_port: int | None = None
    metrics_host: str = "0.0.0.0"
    # Workflow code under Temporal's sandbox: the test suite's guard, off in service (workers/main.py).
    # From the environment even when the rest is given: the suite sets it once for every worker.
    workflow_sandbox: bool = Field(default_factory=lambda: os.environ.get("WARROOM_WORKFLOW_SANDBOX") == "1")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = {
            "temporal_address": os.environ.get("WARROOM_TEMPORAL_ADDRESS"),
            "namespace": os.environ.get("WARROOM_NAMESPACE"),
            "data_dir": os.environ.get("WARROOM_DATA_DIR"),
            "runbooks": os.environ.get("WARROOM_RUNBOOKS"),
            "task_queue": os.environ.get("WARROOM_TASK_QUEUE"),
            "config_file": os.environ.get("WARROOM_CONFIG"),
            "metrics_port": os.environ.get("WARROOM_METRICS_PORT"),
            "temporal_metrics_port": os.environ.get("WARROOM_TEMPORAL_METRICS_PORT"),
            "metrics_host": os.environ.get("WARROOM_METRICS_HOST"),
        }
        values = {k: v for k, v in env.items() if v}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite"
