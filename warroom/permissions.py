"""`policy.yaml` → `permissions`: who may do what during an incident (PROCESS.md R-ROLE, R-SEV,
R-ESC-20). Each permission names the incident roles and roster groups that may use it, and those
who may only with a reason (recorded on the timeline: R-ROLE-4, leadership taking over).

    ic          the incident commander; before one is named, whoever acknowledged acts as IC, and
                before anyone acknowledged, any paged responder or on-call may take charge
    comms       the communications lead; the IC while there is none (R-ROLE-2)
    smes        the incident's subject matter experts
    responders  everyone paged for this incident or holding one of its roles
    oncall      the service team's escalation chain (primary, secondary, manager)
    team        the service team: everyone in its rotations, and its manager
    leadership  oncall.yaml's leadership
    anyone      any person on the roster

The checks themselves are warroom.commands.authority; this file is the model and its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Who(StrEnum):
    ic = "ic"
    comms = "comms"
    smes = "smes"
    responders = "responders"
    oncall = "oncall"
    team = "team"
    leadership = "leadership"
    anyone = "anyone"


class Allowed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    who: tuple[Who, ...] = Field(min_length=1)
    with_reason: tuple[Who, ...] = ()  # may too, giving a reason that the timeline records


def _allowed(*who: Who, with_reason: tuple[Who, ...] = ()) -> Allowed:
    return Allowed(who=who, with_reason=with_reason)


@dataclass(frozen=True)
class Meaning:
    does: str  # "changes the status": completes "only the IC (carol) …"
    rule: str


MEANING: dict[str, Meaning] = {
    "acknowledge": Meaning("acknowledges", "R-F15-7"),
    "upgrade": Meaning("raises the severity", "R-SEV-5"),
    "downgrade": Meaning("lowers or confirms the severity", "R-ROLE-1"),
    "status": Meaning("changes the status", "R-ROLE-1"),
    "command": Meaning("hands over or takes incident command", "R-ROLE-4"),
    "roles": Meaning("assigns the comms lead and the SMEs", "R-ROLE-1"),
    "update": Meaning("posts the internal status update", "R-COMM-12"),
    "publish": Meaning("publishes outward messages", "R-ROLE-2"),
    "note": Meaning("adds notes", "R-ROLE-3"),
    "checklist": Meaning("ticks the runbook's checklist steps", "R-F15-11"),
    "flag": Meaning("flags data loss or regulatory implications", "R-ESC-20"),
    "escalate": Meaning("escalates", "R-ESC-20"),
    "resolve": Meaning("resolves", "R-ROLE-4"),
    "review": Meaning("submits the post-incident review", "R-PIR-21"),
    "reload": Meaning("reloads the incident's policy", "R-ROLE-1"),
    "gameday": Meaning("runs and schedules game days", "R-GAME-24"),
    "oncall": Meaning("records on-call overrides", "R-F15-7"),  # who a page reaches (warroom.schedule)
}


class Permissions(BaseModel):
    """The defaults follow PROCESS.md; a team may change any of them in policy.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    acknowledge: Allowed = _allowed(Who.responders, Who.oncall)
    upgrade: Allowed = _allowed(Who.anyone)  # R-SEV-5: when unclear, the higher; never blocked
    downgrade: Allowed = _allowed(Who.ic, with_reason=(Who.leadership,))
    status: Allowed = _allowed(Who.ic, with_reason=(Who.leadership,))
    command: Allowed = _allowed(Who.ic, with_reason=(Who.leadership,))
    roles: Allowed = _allowed(Who.ic)
    update: Allowed = _allowed(Who.ic, Who.comms)
    publish: Allowed = _allowed(Who.comms)
    note: Allowed = _allowed(Who.anyone)
    checklist: Allowed = _allowed(Who.responders, Who.oncall)
    flag: Allowed = _allowed(Who.anyone)
    escalate: Allowed = _allowed(Who.anyone)  # R-ESC-20: escalating early is always allowed
    resolve: Allowed = _allowed(Who.ic, with_reason=(Who.leadership,))
    review: Allowed = _allowed(Who.ic, with_reason=(Who.leadership,))
    reload: Allowed = _allowed(Who.ic, Who.leadership)
    gameday: Allowed = _allowed(Who.oncall, Who.leadership)  # no incident yet: the team's chain, leadership
    oncall: Allowed = _allowed(Who.team, Who.leadership)  # who takes whose shift: the team agrees it, or leadership

    def of(self, name: str) -> Allowed:
        return getattr(self, name)


WORDS = {
    Who.ic: "the IC", Who.comms: "the comms lead", Who.smes: "the SMEs", Who.responders: "the paged responders",
    Who.oncall: "the on-call", Who.team: "the team", Who.leadership: "leadership", Who.anyone: "anyone on the roster",
}


def table(permissions: Permissions) -> str:
    """The README's "Who may do what" table, from a policy's permissions."""
    rows = ["| permission | who | with a reason | rule |", "|---|---|---|---|"]
    for name, meaning in MEANING.items():
        allowed = permissions.of(name)
        who = ", ".join(WORDS[w] for w in allowed.who)
        reason = ", ".join(WORDS[w] for w in allowed.with_reason) or "—"
        rows.append(f"| `{name}`: {meaning.does} | {who} | {reason} | {meaning.rule} |")
    return "\n".join(rows)
