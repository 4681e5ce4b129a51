"""The policy an incident runs under: rules, roster and runbooks, loaded from `runbooks/`.

An incident snapshots its Policy at declaration (DESIGN.md), narrowed to its own service, so a
later edit of the files does not change the rules under it until an explicit `policy reload`.
Errors name the file, the line, the field and the bad value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from warroom.roster import Roster, Team
from warroom.rules import Frozen, Rules
from warroom.runbook import Runbook


class PolicyError(Exception):
    """Invalid policy files; `problems` holds one line per error."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class Policy(Frozen):
    rules: Rules
    roster: Roster
    runbooks: dict[str, Runbook]

    def runbook(self, service: str) -> Runbook:
        return self.runbooks[service]

    def team(self, service: str) -> Team:
        return self.roster.teams[self.runbooks[service].team]

    def for_service(self, service: str) -> Policy:
        """The snapshot an incident keeps: everything but the other services' runbooks."""
        return self.model_copy(update={"runbooks": {service: self.runbooks[service]}})


Path_ = tuple[str | int, ...]


def _lines(node: yaml.Node, path: Path_, into: dict[Path_, int], problems: list[str], name: str) -> None:
    into[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append(f"{name}:{key.start_mark.line + 1}: {_dotted(path + (key.value,))}: key appears twice")
            seen.add(key.value)
            _lines(value, path + (key.value,), into, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _lines(value, path + (index,), into, problems, name)


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _read(file: Path, problems: list[str]) -> tuple[Any, dict[Path_, int]]:
    try:
        text = file.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        problems.append(f"{file}: cannot read: {exc.strerror}")
        return None, {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        problems.append(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}")
        return None, {}
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines, problems, str(file))
    return data, lines


def _validate(model: type[Frozen], file: Path, problems: list[str]) -> tuple[Any, dict[Path_, int]]:
    data, lines = _read(file, problems)
    if data is None:
        if file.exists() and not problems:
            problems.append(f"{file}: the file is empty")
        return None, lines
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            known = loc
            while known and known not in lines:
                known = known[:-1]
            line = lines.get(known, 1)
            bad = error.get("input")
            got = f" (got {bad!r})" if isinstance(bad, (str, int, float, bool)) or bad is None else ""
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{file}:{line}: {_dotted(loc)}: {message}{got}")
        return None, lines


def load_policy(directory: Path | str) -> Policy:
    """Load and cross-check `policy.yaml`, `oncall.yaml` and `services/*.yaml` under directory."""
    root = Path(directory)
    problems: list[str] = []
    if not root.is_dir():
        raise PolicyError([f"{root}: no such directory"])
    rules, _ = _validate(Rules, root / "policy.yaml", problems)
    roster, roster_lines = _validate(Roster, root / "oncall.yaml", problems)
    if roster is not None:
        problems += _check_roster(roster, root / "oncall.yaml", roster_lines)
    runbooks: dict[str, Runbook] = {}
    service_files = sorted((root / "services").glob("*.yaml"))
    if not service_files:
        problems.append(f"{root / 'services'}: no service runbook (*.yaml) found")
    for file in service_files:
        runbook, lines = _validate(Runbook, file, problems)
        if runbook is None:
            continue
        if runbook.service != file.stem:
            problems.append(
                f"{file}:{lines.get(('service',), 1)}: service: {runbook.service!r} must match the file name {file.stem!r}"
            )
        runbooks[runbook.service] = runbook
        if roster is not None:
            problems += _cross_check(runbook, roster, file, lines)
    if problems:
        raise PolicyError(problems)
    return Policy(rules=rules, roster=roster, runbooks=runbooks)


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
            problems.append(f"{file}:{lines.get(path, 1)}: {_dotted(path)}: unknown handle {handle!r} (not under people)")

    for group in ("leadership", "executives", "legal", "comms_pool"):
        for index, handle in enumerate(getattr(roster, group)):
            unknown((group, index), handle)
    for name, team in roster.teams.items():
        if team.manager is not None:
            unknown(("teams", name, "manager"), team.manager)
        for index, handle in enumerate(team.rotation.members):
            unknown(("teams", name, "rotation", "members", index), handle)
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
