"""`warroom.yaml`: how the gateway authenticates each alert source (and, later, which provider
serves each channel). Secrets are never written here: each is the name of an environment
variable that holds it, read when a request needs it."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator

from warroom.yamlfile import ConfigError, load_model
from warroom.rules import Frozen


class SecretRef(Frozen):
    """Where a secret lives: the name of an environment variable."""

    env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")

    def value(self) -> str | None:
        return os.environ.get(self.env) or None


class BasicAuth(Frozen):
    username: str
    password: SecretRef


class HeaderAuth(Frozen):
    """What Alertmanager's `http_config` sends: `authorization` (a bearer token) or `basic_auth`."""

    bearer_token: SecretRef | None = None
    basic_auth: BasicAuth | None = None

    @model_validator(mode="after")
    def _one(self) -> HeaderAuth:
        if (self.bearer_token is None) == (self.basic_auth is None):
            raise ValueError("give exactly one of bearer_token or basic_auth")
        return self


class GrafanaAuth(Frozen):
    """Grafana's webhook HMAC: hex HMAC-SHA256 of the body, or of `timestamp:body`."""

    hmac_secret: SecretRef
    header: str = "X-Grafana-Alerting-Signature"
    timestamp_header: str | None = None  # set it in Grafana too, to refuse replays


class PagerDutyAuth(Frozen):
    """Events v2 routing keys, each mapped to the service it alerts."""

    routing_keys: dict[str, SecretRef] = Field(min_length=1)  # service -> its routing key


class StandardWebhooksAuth(Frozen):
    secret: SecretRef  # whsec_<base64>


class Ingest(Frozen):
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    alertmanager: HeaderAuth | None = None
    grafana: GrafanaAuth | None = None
    pagerduty: PagerDutyAuth | None = None
    generic: StandardWebhooksAuth | None = None


class WarroomConfig(Frozen):
    ingest: Ingest = Ingest()


def load_config(path: Path | str) -> WarroomConfig:
    """The file's config, defaults when it does not exist; ConfigError names file, line, field."""
    file = Path(path)
    if not file.exists():
        return WarroomConfig()
    problems: list[str] = []
    config, _ = load_model(WarroomConfig, file, problems)
    if problems:
        raise ConfigError(problems)
    return config or WarroomConfig()
