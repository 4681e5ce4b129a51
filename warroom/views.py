"""What an incident answers when asked: the result of a command, and the view of the incident
that `warroom show`, the REST API and the web board print."""

from __future__ import annotations

from warroom.actions import Action
from warroom.model import Model
from warroom.state import IncidentState, Stage


class CommandResult(Model):
    incident_id: str
    message: str  # the timeline line the command wrote
    stage: Stage


class IncidentView(Model):
    """The state and the deadlines ahead."""

    state: IncidentState
    upcoming: tuple[Action, ...]
