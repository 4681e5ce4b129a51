"""A front-end's request as the command it stands for: one verb of the table (warroom.verbs), its
body of plain values (from JSON, chat words or CLI options), and the authenticated actor.

The actor is always the caller's identity, never a field of the body. Shape errors become
`Invalid`, naming each field as the caller wrote it; rule errors are the command's `Refused`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from warroom.action_items import AddItem, ItemUpdate
from warroom.commands import Declare, IncidentCommand, ReloadPolicy
from warroom.gamedays.commands import RunGameDay, ScheduleGameDays
from warroom.overrides import RecordOverride
from warroom.policy import Policy
from warroom.severity import Severity
from warroom.verbs import Verb, next_fields

INCIDENT_COMMAND: TypeAdapter[Any] = TypeAdapter(IncidentCommand)
GAME_DAY: dict[str, type[Any]] = {"gameday-run": RunGameDay, "gameday-schedule": ScheduleGameDays}
TEAM_COMMAND: dict[str, type[Any]] = {"oncall-override": RecordOverride}  # a team's, outside any incident
ITEM_COMMAND: TypeAdapter[Any] = TypeAdapter(ItemUpdate)


class Invalid(ValueError):
    """Fields that do not fit: each as (field, message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors))


def build(verb: Verb, body: Mapping[str, Any], actor: str, policy: Policy, subject: str | None = None) -> Any:
    """The command `verb` stands for. `policy` is the gateway's: declaring reads its service
    names, a policy reload sends it. `subject` is the incident a new action item belongs to."""
    assert verb.command is not None, f"{verb.name} is a read"
    unknown = sorted(set(body) - {p.name for p in verb.params})
    if unknown:
        raise Invalid([(name, f"{verb.name} takes no field {name!r}") for name in unknown])
    data = _fields(verb, body)
    if verb.command == "declare":
        data = _declared(data, policy)
    if verb.command == "policy-reload":
        return ReloadPolicy(actor=actor, policy=policy)
    data["actor"] = actor
    try:
        if verb.command in GAME_DAY:
            return GAME_DAY[verb.command].model_validate(data)
        if verb.command in TEAM_COMMAND:
            return TEAM_COMMAND[verb.command].model_validate(data)
        if verb.command == "declare":
            return Declare.model_validate(data)
        if verb.command == "action-item":
            return AddItem.model_validate({**data, "incident_id": subject or ""})
        data["verb"] = verb.command
        adapter = ITEM_COMMAND if verb.subject == "item" else INCIDENT_COMMAND
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise Invalid(field_errors(exc, verb)) from None


def _fields(verb: Verb, body: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values to the command's own fields: nested ones, `--next`, words, lists."""
    data: dict[str, Any] = dict(verb.fixed)
    for param in verb.params:
        value = body.get(param.name, param.default)
        if value is None:
            continue
        if param.kind == "words" and isinstance(value, list):
            value = value if verb.command == "declare" else " ".join(str(v) for v in value)
        if param.kind == "next":
            data.update(next_fields(str(value)))
        elif param.into:
            data.setdefault(param.into, {})[param.name] = value
        else:
            data[param.name] = value
    return data


def _declared(data: dict[str, Any], policy: Policy) -> dict[str, Any]:
    """`declare sev1 payments Checkout failing`: a severity and a service may lead the words."""
    words = list(data.pop("words", None) or [])
    if isinstance(words, str):
        words = words.split()
    severities = data.pop("severity", None) or []
    severities = [severities] if isinstance(severities, str) else list(severities)
    if not severities and words and _is_severity(words[0]):
        severities.append(words.pop(0))
    if data.get("service") is None and words and words[0] in policy.runbooks:
        data["service"] = words.pop(0)
    errors = []
    if not severities:
        errors.append(("severity", "give a severity: --sev SEV1..SEV4, or as the first word"))
    if data.get("service") is None:
        known = ", ".join(sorted(policy.runbooks))
        errors.append(("service", f"give a service ({known}): --service, or as the word after the severity"))
    if errors:
        raise Invalid(errors)
    title = data.pop("title", None) or " ".join(words)
    return {**data, "title": title, "severity": severities[0], "unclear": tuple(severities[1:])}


def _is_severity(word: str) -> bool:
    try:
        Severity.parse(word)
    except ValueError:
        return False
    return True


def field_errors(exc: ValidationError, verb: Verb | None = None) -> list[tuple[str, str]]:
    """Each error as (field, message), the field named as the caller wrote it: without the union's
    tag, and a nested comms field by its own name."""
    spelled = {p.name: p.name for p in verb.params} if verb else {}
    tags = {verb.command} if verb and verb.command else set()
    found = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"] if str(part) not in tags]
        if len(loc) >= 2 and loc[0] == "fields":
            loc = loc[1:]
        if loc and loc[0] in ("next_update_in", "next_update_at"):
            loc = ["next"]
        name = spelled.get(loc[0], ".".join(loc)) if loc else "body"
        found.append((name, error["msg"].removeprefix("Value error, ")))
    return found
