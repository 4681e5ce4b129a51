"""Game-day scenarios (R-GAME-24): `runbooks/gamedays/<name>.yaml`, validated like the policy
(`file:line: field: message`). A scenario opens an exercise the way a real incident opens, by an
alert in a real ingest format or by a declaration, then fires timed injects, each with the
decision it is meant to provoke:

    title: Payments down and not mitigated
    service: payments
    limit: 90m                       # the exercise ends at resolution or here
    start:
      alert: {format: generic, body: {dedup_key: pay-5xx, status: firing, summary: …, severity: SEV1}}
    injects:
      - at: 10m
        note: "Customer report: EU cards fail at checkout"
        provokes: a customer update on the status page (R-COMM-13)
      - {at: 20m, flag: data-loss, provokes: …}
      - {at: 30m, alert: {format: alertmanager, body: {…}}, provokes: …}
      - {at: 35m, severity: SEV1, provokes: …}          # a hint to the responders, not a change
      - {at: 40m, webhook: {url: "http://chaos.staging:8080/inject", body: {…}}, provokes: …}

Alert bodies are checked by the same parsers as the gateway's routes; a missing start time is the
moment of the inject. Times are exercise time: `--speed 4` runs them, and the policy, 4× faster.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from warroom.alerts import alertmanager, generic
from warroom.alerts.events import AlertBatch
from warroom.durations import Duration
from warroom.limits import web_url
from warroom.model import Flag, Model
from warroom.severity import Severity
from warroom.yamlfile import ConfigError, load_model

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CHECKED_AT = datetime(2020, 1, 1, tzinfo=UTC)
FORMATS: dict[str, type[BaseModel]] = {"alertmanager": alertmanager.Payload, "generic": generic.Event}


class ScenarioError(ConfigError):
    """Invalid scenario files; `problems` holds one line per error."""


class AlertBody(Model):
    """An alert as its source sends it (the gateway's parsers validate it)."""

    format: Literal["alertmanager", "generic"]
    body: dict[str, Any]

    @model_validator(mode="after")
    def _parses(self) -> AlertBody:
        self.batch(CHECKED_AT, "check")  # the parser's own errors; a fixed time: workflows decode this too
        return self

    def batch(self, now: datetime, exercise: str, speed: int = 1) -> AlertBatch:
        """The batch the gateway would have made, in a group of the exercise's own (it never folds
        into a real alert group), marked as a game day at `speed`."""
        body = dict(self.body)
        if self.format == "alertmanager":
            body["alerts"] = [{"startsAt": now.isoformat(), **a} if isinstance(a, dict) else a
                              for a in body.get("alerts", [])]
        batch = FORMATS[self.format].model_validate(body).to_batch()  # type: ignore[attr-defined]
        return batch.model_copy(update={"group_key": f"gameday:{exercise}:{batch.group_key}", "exercise_speed": speed})


class Webhook(Model):
    """A call to the operator's own fault-injection tool, in a non-production environment."""

    url: str
    body: dict[str, Any] = {}

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not web_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class Inject(Model):
    at: Duration
    provokes: str = Field(min_length=1, max_length=500)  # the decision it is meant to bring about
    note: str | None = Field(None, max_length=2000)  # e.g. a customer report
    alert: AlertBody | None = None  # a further alert, or a resolved one
    flag: Flag | None = None
    severity: Severity | None = None  # a hint to the responders; they decide
    webhook: Webhook | None = None

    @model_validator(mode="after")
    def _one(self) -> Inject:
        given = [k for k in ("note", "alert", "flag", "severity", "webhook") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of note, alert, flag, severity, webhook (got {given or 'none'})")
        return self

    @property
    def what(self) -> str:
        if self.note is not None:
            return self.note
        if self.alert is not None:
            return f"an alert ({self.alert.format})"
        if self.flag is not None:
            return f"the {self.flag} flag"
        if self.severity is not None:
            return f"a hint: this may be {self.severity.value}"
        return f"a fault injected by {self.webhook.url}"  # type: ignore[union-attr]


class Declaration(Model):
    severity: Severity
    title: str = Field(min_length=1, max_length=200)


class Start(Model):
    alert: AlertBody | None = None
    declare: Declaration | None = None

    @model_validator(mode="after")
    def _one(self) -> Start:
        if (self.alert is None) == (self.declare is None):
            raise ValueError("give either alert or declare")
        return self


class Scenario(Model):
    name: str = ""  # the file's stem
    title: str = Field(min_length=1, max_length=200)
    service: str
    start: Start
    injects: tuple[Inject, ...] = ()
    limit: Duration = timedelta(hours=2)

    @field_validator("limit")
    @classmethod
    def _limit(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=5) <= value <= timedelta(days=1):
            raise ValueError("between 5m and 24h")
        return value

    @model_validator(mode="after")
    def _in_time(self) -> Scenario:
        late = [i for i, inject in enumerate(self.injects) if inject.at > self.limit]
        if late:
            raise ValueError(f"injects {late} fall after the limit ({self.limit})")
        return self


def load_scenarios(directory: Path, services: set[str]) -> dict[str, Scenario]:
    """Every `*.yaml` under `directory`, by name; ScenarioError lists each problem with its line."""
    problems: list[str] = []
    found: dict[str, Scenario] = {}
    for file in sorted(Path(directory).glob("*.yaml")):
        if not NAME.match(file.stem):
            problems.append(f"{file}: a scenario's file name is lower-case letters, digits and -")
            continue
        scenario, lines = load_model(Scenario, file, problems)
        if scenario is None:
            continue
        if scenario.service not in services:
            problems.append(f"{file}:{lines.get(('service',), 1)}: service: {scenario.service!r} has no runbook "
                            f"({', '.join(sorted(services))})")
            continue
        found[file.stem] = scenario.model_copy(update={"name": file.stem})
    if problems:
        raise ScenarioError(problems)
    return found
