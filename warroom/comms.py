"""Composing messages from the incident's facts and a template (R-COMM-12..14). Pure: the
command layer renders to check that nothing is missing, the workflow renders automatic ones."""

from __future__ import annotations

from datetime import datetime

from warroom.policy import Policy
from warroom.state import CommsKind, IncidentState
from warroom.templates import render

TEMPLATE_OF: dict[str, str] = {
    "internal": "internal_update",
    "customer": "customer_update",
    "executive": "executive_update",
    "stakeholder": "stakeholder_notice",
    "resolution": "customer_resolution",
}

FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("affected", "share", "symptom"),  # R-COMM-13
    "executive": ("summary", "customer_impact", "business_impact", "estimated_resolution"),  # R-COMM-14
    "stakeholder": ("impact",),
}


def facts(state: IncidentState, next_update: datetime | None) -> dict[str, object]:
    """What every template may use without anyone typing it."""
    return {
        "incident": state.id,
        "title": state.title,
        "service": state.service,
        "severity": state.severity.value,
        "status": state.status.value,
        "stage": state.stage.value,
        "ic": state.ic or "not assigned yet",
        "comms": state.comms or "not assigned yet",
        "detected_at": f"{state.detected_at:%Y-%m-%d %H:%M} UTC",
        "next_update": _when(next_update, state) if next_update else "when there is news",
    }


def compose(
    kind: str, state: IncidentState, policy: Policy, fields: dict[str, str], next_update: datetime | None
) -> str:
    """Render `kind`'s template; MissingField names what the author left out."""
    name = TEMPLATE_OF[kind]
    return render(name, policy.template(name, state.service), {**facts(state, next_update), **fields})


def automatic_fields(kind: CommsKind, state: IncidentState, policy: Policy) -> dict[str, str]:
    """Fields for a message warroom sends itself at a deadline: the last ones a person wrote, or
    plain facts; never speculation (R-COMM-15)."""
    previous = state.sent(kind)
    if previous:
        return dict(previous[-1].fields)
    impact = state.updates[-1].impact if state.updates else "being assessed"
    runbook = policy.runbook(state.service)
    return {
        "customer": {"affected": runbook.title, "share": "some", "symptom": f"may see problems: {state.title}"},
        "executive": {
            "summary": state.title, "customer_impact": impact, "business_impact": "being assessed",
            "estimated_resolution": "investigating",
        },
        "stakeholder": {"impact": impact},
    }[kind]


def _when(at: datetime, state: IncidentState) -> str:
    """`10:00 UTC`, with the day when it is not today's (a SEV3 notice on a Friday night promises Monday)."""
    today = (state.timeline[-1].at if state.timeline else state.detected_at).date()
    return f"{at:%H:%M} UTC" if at.date() == today else f"{at:%a %d %b %H:%M} UTC"
