from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from warroom.delivery import Delivery, Recipient
from warroom.policy import load_policy
from warroom.publicpage import ComponentStatus, PublicStatus, PublicUpdate

ROOT = Path(__file__).resolve().parents[2]
ROSTER = load_policy(ROOT / "runbooks").roster


def person(handle: str) -> Recipient:
    """A recipient as the workflow builds it, from the shipped oncall.yaml."""
    assert ROSTER.person(handle) is not None
    return Recipient.of(handle, ROSTER)


def delivery(*handles: str, action_key: str = "page:SEV1", channel: str = "pager", **fields) -> Delivery:
    values = {
        "incident_id": "INC-7K2QD",
        "action_key": action_key,
        "channel": channel,
        "recipients": tuple(person(h) for h in (handles or ("bob",))),
        "subject": "[INC-7K2QD] Checkout failing",
        "text": "PAGE INC-7K2QD · Checkout failing\nSEV1 declared (R-SEV-1).\nAcknowledge: warroom ack INC-7K2QD",
    }
    values.update(fields)
    return Delivery(**values)


def update(
    status: str = "investigating", body: str = "We are investigating failed checkouts.", **fields
) -> PublicUpdate:
    values = {
        "key": f"INC-7K2QD:customer-update:{status}",
        "incident_id": "INC-7K2QD",
        "title": "Checkout failing",
        "status": PublicStatus(status),
        "body": body,
        "at": datetime(2026, 3, 2, 2, 14, tzinfo=UTC),
        "components": {"Checkout": ComponentStatus.major_outage, "Refunds": ComponentStatus.degraded_performance},
    }
    values.update(fields)
    return PublicUpdate(**values)


async def failure(awaitable) -> ApplicationError:
    """The ApplicationError the provider raised (the test fails if it raised nothing else)."""
    with pytest.raises(ApplicationError) as caught:
        await awaitable
    return caught.value
