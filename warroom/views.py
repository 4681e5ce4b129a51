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
    warnings: tuple[str, ...] = ()  # e.g. a review's blameless-wording warnings, line by line


class IncidentView(Model):
    """The state and the deadlines ahead."""

    state: IncidentState
    upcoming: tuple[Action, ...]

    def deadlines(self) -> list[dict[str, object]]:
        """The deadlines ahead as people read them: what, for whom, which rule, when."""
        return [
            {"at": a.at.isoformat(), "what": a.reason, "kind": a.kind.value, "who": list(a.audience), "rule": a.rule,
             "key": a.key}
            for a in self.upcoming
        ]
