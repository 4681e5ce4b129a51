"""The policy an incident runs under: rules, roster and runbooks, loaded from `runbooks/`.

An incident snapshots its Policy at declaration (DESIGN.md), narrowed to its own service, so a
later edit of the files does not change the rules under it until an explicit `policy reload`.
Errors name the file, the line, the field and the bad value.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ModelWrapValidatorHandler, model_validator

from warroom.roster import Roster, Team
from warroom.rules import Frozen, Rules
from warroom.runbook import Runbook
from warroom.templates import REQUIRED, load_directory
from warroom.yamlfile import ConfigError, Path_, dotted, load_model


class PolicyError(ConfigError):
    """Invalid policy files; `problems` holds one line per error."""


SHARED_POLICIES = 32  # distinct policies kept for sharing: one per service and reload, the oldest let go
_SHARED: dict[str, Policy] = {}  # by canonical JSON; see Policy._shared


class Policy(Frozen):
    rules: Rules
    roster: Roster
    runbooks: dict[str, Runbook]
    templates: dict[str, str] = {}  # runbooks/templates/<name>.md.j2; a default keeps older snapshots loading

    @model_validator(mode="wrap")
    @classmethod
    def _shared(cls, data: Any, handler: ModelWrapValidatorHandler[Policy]) -> Policy:
        """One object for equal policies read from JSON. Every incident carries its policy
        snapshot (~70 KiB as objects; half a cached incident's heap), so a worker holding
        thousands of incidents held thousands of copies of the same few (bench/scale.py). A
        policy is frozen, so sharing it changes nothing but memory; and a shared one skips the
        validation too."""
        try:
            key = json.dumps(data, sort_keys=True) if isinstance(data, dict) else None
        except (TypeError, ValueError):  # built from objects, not read from JSON: nothing to share
            key = None
        if key is None:
            return handler(data)
        found = _SHARED.get(key)
        if found is None:
            found = _SHARED[key] = handler(data)
            while len(_SHARED) > SHARED_POLICIES:
                _SHARED.pop(next(iter(_SHARED)))
        return found

    def runbook(self, service: str) -> Runbook:
        return self.runbooks[service]

    def template(self, name: str, service: str) -> str | None:
        """The service's own template if its runbook overrides it, else the shared one."""
        return self.runbooks[service].templates.get(name) or self.templates.get(name)

    def team(self, service: str) -> Team:
        return self.roster.teams[self.runbooks[service].team]

    def scaled(self, factor: float) -> Policy:
        """Every rule duration multiplied by `factor`: a game day at speed 4 runs under
        `scaled(1 / 4)` (R-GAME-24); the tests run minutes as seconds with 1/60."""
        return self.model_copy(update={"rules": Rules.model_validate(_scale(self.rules.model_dump(), factor))})

    def for_service(self, service: str) -> Policy:
        """The snapshot an incident keeps: everything but the other services' runbooks."""
        return self.model_copy(update={"runbooks": {service: self.runbooks[service]}})


def _scale(value: Any, factor: float) -> Any:
    if isinstance(value, timedelta):
        return value * factor
    if isinstance(value, dict):
        return {k: _scale(v, factor) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scale(v, factor) for v in value]
    return value


def load_policy(directory: Path | str) -> Policy:
    """Load and cross-check `policy.yaml`, `oncall.yaml` and `services/*.yaml` under directory."""
    root = Path(directory)
    problems: list[str] = []
    if not root.is_dir():
        raise PolicyError([f"{root}: no such directory"])
    rules, _ = load_model(Rules, root / "policy.yaml", problems)
    roster, roster_lines = load_model(Roster, root / "oncall.yaml", problems)
    if roster is not None:
        problems += _check_roster(roster, root / "oncall.yaml", roster_lines)
    runbooks: dict[str, Runbook] = {}
    service_files = sorted((root / "services").glob("*.yaml"))
    if not service_files:
        problems.append(f"{root / 'services'}: no service runbook (*.yaml) found")
    for file in service_files:
        runbook, lines = load_model(Runbook, file, problems)
        if runbook is None:
            continue
        if runbook.service != file.stem:
            problems.append(
                f"{file}:{lines.get(('service',), 1)}: service: {runbook.service!r} "
                f"must match the file name {file.stem!r}"
            )
        runbooks[runbook.service] = runbook
        if roster is not None:
            problems += _cross_check(runbook, roster, file, lines)
    templates, template_problems = load_directory(root / "templates")
    problems += template_problems
    missing = [name for name in REQUIRED if name not in templates]
    if missing and not template_problems:
        problems.append(f"{root / 'templates'}: missing template(s): {', '.join(f'{m}.md.j2' for m in missing)}")
    for service in list(runbooks):
        own, own_problems = load_directory(root / "templates" / service)
        problems += own_problems
        unknown = sorted(set(own) - set(REQUIRED))
        if unknown:
            problems.append(f"{root / 'templates' / service}: {', '.join(unknown)} override no template")
        runbooks[service] = runbooks[service].model_copy(update={"templates": own})
    if rules is not None and rules.alerts.default_service and runbooks and rules.alerts.default_service not in runbooks:
        problems.append(
            f"{root / 'policy.yaml'}: alerts.default_service: {rules.alerts.default_service!r} has no runbook"
            f" (services: {', '.join(sorted(runbooks))})"
        )
    if problems:
        raise PolicyError(problems)
    return Policy(rules=rules, roster=roster, runbooks=runbooks, templates=templates)


def _check_roster(roster: Roster, file: Path, lines: dict[Path_, int]) -> list[str]:
    """Every handle oncall.yaml refers to is one of its people, each person listed once."""
    problems = []
    known: set[str] = set()
    for index, person in enumerate(roster.people):
        if person.handle in known:
            line = lines.get(("people", index, "handle"), 1)
            problems.append(f"{file}:{line}: people[{index}].handle: {person.handle!r} appears twice")
        known.add(person.handle)

    def unknown(path: Path_, handle: str) -> None:
        if handle not in known:
            problems.append(
                f"{file}:{lines.get(path, 1)}: {dotted(path)}: unknown handle {handle!r} (not under people)"
            )

    for group in ("leadership", "executives", "legal", "comms_pool", "stakeholders"):
        for index, handle in enumerate(getattr(roster, group)):
            unknown((group, index), handle)
    for name, team in roster.teams.items():
        if team.manager is not None:
            unknown(("teams", name, "manager"), team.manager)
        for index, handle in enumerate(team.rotation.members):
            unknown(("teams", name, "rotation", "members", index), handle)
        for layer, rotation in enumerate(team.layers):
            for index, handle in enumerate(rotation.members):
                unknown(("teams", name, "layers", layer, "members", index), handle)
        for index, override in enumerate(team.overrides):
            for field in ("by", "replaces"):
                if getattr(override, field) is not None:
                    unknown(("teams", name, "overrides", index, field), getattr(override, field))
    return problems


def _cross_check(runbook: Runbook, roster: Roster, file: Path, lines: dict[Path_, int]) -> list[str]:
    problems = []
    if runbook.team not in roster.teams:
        problems.append(
            f"{file}:{lines.get(('team',), 1)}: team: {runbook.team!r} is not a team in oncall.yaml"
            f" (teams: {', '.join(roster.teams)})"
        )
    for index, sme in enumerate(runbook.smes):
        if roster.person(sme.handle) is None:
            line = lines.get(("smes", index, "handle"), 1)
            problems.append(f"{file}:{line}: smes[{index}].handle: {sme.handle!r} is not a person in oncall.yaml")
    return problems
