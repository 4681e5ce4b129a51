"""The one command layer (DESIGN.md): every verb, its rules and its effect, for every front-end."""

from typing import Annotated

from pydantic import Field

from warroom.commands.base import SYSTEM_PREFIX, Command, Refused, apply, execute, validate
from warroom.commands.verbs import (
    Ack,
    AddNote,
    AssignRole,
    Declare,
    Escalate,
    PostUpdate,
    Publish,
    RecordAlerts,
    ReloadPolicy,
    Resolve,
    SetFlag,
    SetSeverity,
    SetStatus,
    SubmitReview,
    TickStep,
)

IncidentCommand = Annotated[
    Ack
    | Publish
    | SetSeverity
    | AssignRole
    | SetStatus
    | PostUpdate
    | AddNote
    | SetFlag
    | Escalate
    | Resolve
    | SubmitReview
    | TickStep
    | ReloadPolicy
    | RecordAlerts,
    Field(discriminator="verb"),
]
"""Every command an open incident accepts (the workflow's `command` update)."""

__all__ = [
    "SYSTEM_PREFIX",
    "Ack",
    "AddNote",
    "AssignRole",
    "Command",
    "Declare",
    "Escalate",
    "IncidentCommand",
    "PostUpdate",
    "Publish",
    "RecordAlerts",
    "Refused",
    "ReloadPolicy",
    "Resolve",
    "SetFlag",
    "SetSeverity",
    "SetStatus",
    "SubmitReview",
    "TickStep",
    "apply",
    "execute",
    "validate",
]
