"""Incidents read from Temporal share one policy object when their snapshots are equal
(warroom.policy Policy._shared): a worker holding thousands of incidents held thousands of
copies of the same policy. Sharing must never merge two different policies."""

from __future__ import annotations

from temporalio.contrib.pydantic import pydantic_data_converter

from tests.workflow.harness import scaled
from warroom.commands import Declare
from workflows.incident import IncidentInput

CONVERTER = pydantic_data_converter.payload_converter


def read_back(value: IncidentInput) -> IncidentInput:
    return CONVERTER.from_payloads(CONVERTER.to_payloads([value]), [IncidentInput])[0]


def incident_input(factor: float) -> IncidentInput:
    return IncidentInput(policy=scaled(factor).for_service("payments"),
                         declare=Declare(actor="dana", title="Refunds slow", service="payments", severity="SEV2"))


def test_two_incidents_with_the_same_policy_snapshot_hold_one_policy_object():
    first, second = read_back(incident_input(1)), read_back(incident_input(1))
    assert first.policy is second.policy
    assert first.policy == incident_input(1).policy


def test_a_different_policy_is_never_taken_for_a_shared_one():
    shipped, faster = read_back(incident_input(1)), read_back(incident_input(1 / 60))
    assert shipped.policy is not faster.policy
    assert faster.policy == incident_input(1 / 60).policy
    assert faster.policy.rules != shipped.policy.rules
