"""Issue 16.3: three workers and two gateways on one dev server, 100 incidents opened by alerts
sent to both gateways in turn, workers SIGKILLed at random: nothing twice, nothing missed, and
the pager throttle holds per person across the workers (its state is in Temporal)."""

from __future__ import annotations

import pytest

from tests.workflow.scaleout import Plan, run

pytestmark = pytest.mark.temporal


async def test_three_workers_two_gateways_and_kills_lose_nothing_and_throttle_per_person():
    plan = Plan(incidents=100, workers=3, gateways=2, kills=6, per_minute=5, seed=16)
    outcome = await run(plan)
    assert outcome.alerts == 100 and outcome.incidents == 100, outcome.timeline
    assert outcome.duplicates == []
    assert outcome.missed == []
    assert outcome.held_lost == []
    assert outcome.over_limit == []
    assert outcome.bundles > 0  # the storm did reach the limit (the test can fail the other way)
    assert outcome.pages > 20
