"""A service runbook (`runbooks/services/<service>.yaml`): how alerts find the service, who knows
it, what the status page calls its parts, and the checklist a responder follows at 2 AM (R-F15-11)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from warroom.rules import Frozen
from warroom.severity import Severity

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


class Matcher(Frozen):
    """One Alertmanager-style label matcher: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`."""

    label: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Matcher:
        found = _MATCHER.match(text)
        if not found:
            raise ValueError(f'{text!r} is not a matcher like service="payments" or job=~"pay.*"')
        label, op, value = found.groups()
        value = value.replace('\\"', '"')
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{text!r}: bad regular expression: {exc}") from None
        return cls(label=label, op=op, value=value)

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        anchored = re.fullmatch(self.value, actual) is not None  # Alertmanager anchors regexes
        return anchored if self.op == "=~" else not anchored


class Sme(Frozen):
    handle: str
    expertise: tuple[str, ...] = Field(min_length=1)


Fact = Literal["acknowledged", "severity", "ic", "comms", "smes", "tracks", "stakeholder_notice", "update"]
"""What the timeline can tell of a checklist step: acknowledged, the severity confirmed by a person,
an IC, a comms lead, SMEs, SMEs each on a track, the stakeholder notice sent, an internal update."""


class ChecklistStep(Frozen):
    step: str
    done_when: tuple[Fact, ...] = ()  # ticked once all of these hold; () : a person ticks it


class Runbook(Frozen):
    service: str
    title: str
    team: str
    match: tuple[tuple[Matcher, ...], ...] = ()  # any group whose matchers all hold
    severity_label: str = "severity"
    severity_map: dict[str, Severity] = {}  # alert label value -> incident severity
    smes: tuple[Sme, ...] = ()
    components: tuple[str, ...] = ()  # status-page components
    checklist: tuple[str | ChecklistStep, ...] = ()  # R-F15-11: a plain line, or {step, done_when}
    templates: dict[str, str] = {}  # overrides, loaded from runbooks/templates/<service>/ (not written here)

    @field_validator("match", mode="before")
    @classmethod
    def _parse_matchers(cls, value: object) -> object:
        if not isinstance(value, (list, tuple)):
            return value
        return [
            [Matcher.parse(m) if isinstance(m, str) else m for m in group]
            if isinstance(group, (list, tuple))
            else group
            for group in value
        ]

    @field_validator("service")
    @classmethod
    def _service_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", value):
            raise ValueError(f"{value!r} is not a service name: lower-case letters, digits and -")
        return value

    def has_sme(self, handle: str) -> bool:
        return any(s.handle == handle for s in self.smes)

    @property
    def steps(self) -> tuple[ChecklistStep, ...]:
        return tuple(ChecklistStep(step=s) if isinstance(s, str) else s for s in self.checklist)

    def matches(self, labels: dict[str, str]) -> bool:
        return any(all(m.matches(labels) for m in group) for group in self.match)
