"""The public status page's model: components and their states, public incidents and their
updates. Held by StatusPageWorkflow (built-in) or mirrored to Atlassian Statuspage."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime

from warroom.actions import Action, StatusPost
from warroom.comms import compose
from warroom.policy import Policy
from warroom.severity import Severity
from warroom.state import IncidentState, Model, Status
from warroom.templates import MissingField


class ComponentStatus(StrEnum):
    """Statuspage's component states, worst last."""

    operational = "operational"
    degraded_performance = "degraded_performance"
    partial_outage = "partial_outage"
    major_outage = "major_outage"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class PublicStatus(StrEnum):
    """Statuspage's incident states."""

    investigating = "investigating"
    identified = "identified"
    monitoring = "monitoring"
    resolved = "resolved"


COMPONENT_STATUS_OF = {
    Severity.SEV1: ComponentStatus.major_outage,
    Severity.SEV2: ComponentStatus.partial_outage,
    Severity.SEV3: ComponentStatus.degraded_performance,
    Severity.SEV4: ComponentStatus.degraded_performance,
}

PUBLIC_STATUS_OF = {
    Status.detected: PublicStatus.investigating,
    Status.investigating: PublicStatus.investigating,
    Status.identified: PublicStatus.identified,
    Status.mitigating: PublicStatus.monitoring,
    Status.resolved: PublicStatus.resolved,
}


class PublicUpdate(Model):
    """One customer-facing update (R-COMM-13), or the resolution, for the status page."""

    key: str  # idempotency: `INC-XXXXX:<action key>`
    incident_id: str
    title: str
    status: PublicStatus
    body: str
    at: AwareDatetime
    components: dict[str, ComponentStatus]  # the incident's affected components and their state now
    game_day: bool = False  # exercises never reach a real status page (R-GAME-25)


class PublicIncident(Model):
    id: str
    title: str
    status: PublicStatus
    components: dict[str, ComponentStatus]
    updates: tuple[PublicUpdate, ...]
    started_at: AwareDatetime
    resolved_at: AwareDatetime | None = None


def public_update(state: IncidentState, policy: Policy, action: Action, at: datetime) -> PublicUpdate:
    """What a status action posts: the customer update as written, with the components it names
    at the state the severity implies; or the resolution."""
    assert isinstance(action.payload, StatusPost), action
    messages = state.sent("customer")
    if action.payload.number is None:
        last = messages[-1]
        try:
            body = compose("resolution", state, policy, dict(last.fields), None)
        except MissingField:
            body = "This incident has been resolved."
        components = {c: ComponentStatus.operational for c in last.components}
        status = PublicStatus.resolved
    else:
        message = messages[action.payload.number - 1]
        body = message.text
        components = {c: COMPONENT_STATUS_OF[message.severity or state.severity] for c in message.components}
        status = PUBLIC_STATUS_OF[message.status or state.status]
    return PublicUpdate(
        key=f"{state.id}:{action.key}", incident_id=state.id, title=state.title, status=status, body=body,
        at=at, components=components, game_day=state.game_day,
    )


class PageView(Model):
    """What /status, /status.json and the Atom feed show."""

    indicator: ComponentStatus  # the worst component state
    description: str
    components: tuple[tuple[str, ComponentStatus], ...]
    open: tuple[PublicIncident, ...]
    resolved: tuple[PublicIncident, ...]
    updated_at: AwareDatetime | None


def page_view(incidents: dict[str, PublicIncident], components: list[str]) -> PageView:
    """Every runbook component, at the worst state any open public incident gives it."""
    order = list(ComponentStatus)
    states = {name: ComponentStatus.operational for name in components}
    open_ = sorted((i for i in incidents.values() if i.resolved_at is None), key=lambda i: i.started_at, reverse=True)
    for incident in open_:
        for name, status in incident.components.items():
            if order.index(status) > order.index(states.get(name, ComponentStatus.operational)):
                states[name] = status
    worst = max(states.values(), key=order.index, default=ComponentStatus.operational)
    description = {
        ComponentStatus.operational: "All systems operational",
        ComponentStatus.degraded_performance: "Degraded performance",
        ComponentStatus.partial_outage: "Partial outage",
        ComponentStatus.major_outage: "Major outage",
    }[worst]
    updates = [u.at for i in incidents.values() for u in i.updates]
    return PageView(
        indicator=worst,
        description=description,
        components=tuple(states.items()),
        open=tuple(open_),
        resolved=tuple(
            sorted((i for i in incidents.values() if i.resolved_at), key=lambda i: i.resolved_at, reverse=True)
        ),
        updated_at=max(updates, default=None),
    )
