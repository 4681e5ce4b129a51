"""Chaos in the suite (issue 15): 20 incidents on a dev server of their own, 5 worker SIGKILLs, one
dev-server SIGKILL restarted on the same SQLite file, and one 30-s outage with no worker at all.
Nothing is sent twice, nothing is missed, and what an outage held back goes out within seconds
of the recovery. bench/chaos.py runs the same with 100 incidents and prints the table."""

from __future__ import annotations

import pytest

from tests.workflow.chaos import Plan, run

pytestmark = pytest.mark.temporal


async def test_kills_and_an_outage_lose_nothing_send_nothing_twice_and_recover_in_seconds():
    outcome = await run(Plan(incidents=20, worker_kills=5, server_kill=True, outage=30, seed=15))
    assert outcome.expected > 200, outcome.timeline  # the run did make deadlines fall
    assert outcome.duplicates == []
    assert outcome.missed == []
    assert outcome.delivered == outcome.expected
    assert len(outcome.lateness) > 100  # pages, mails and reminders with their deadlines in the outbox
    assert max(outcome.lateness) > 20  # the outage did hold some back (the test can fail the other way)
    # Not a timing goal (bench/chaos.py holds that: p99 within 5 s) but a behaviour: nothing waits
    # out a dead worker's 30-s timeout or a 10-min give-up any more, even on a loaded machine.
    assert max(outcome.excess) < 30, (sorted(outcome.excess)[-10:], outcome.timeline)
