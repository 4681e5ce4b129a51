"""A worker process killed with SIGKILL mid-incident: the next one fires the next deadline, once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.workflow.harness import Harness, keys, new_settings, scaled
from warroom.temporal import incidents as remote

WARROOM = str(Path(sys.executable).parent / "warroom")


def start_worker(h: Harness) -> subprocess.Popen:
    env = {
        **os.environ,
        "WARROOM_TEMPORAL_ADDRESS": h.settings.temporal_address,
        "WARROOM_DATA_DIR": str(h.settings.data_dir),
        "WARROOM_TASK_QUEUE": h.settings.task_queue,
    }
    return subprocess.Popen([WARROOM, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def test_worker_killed_mid_incident_fires_the_next_deadline_exactly_once(temporal_env, tmp_path):
    second = timedelta(seconds=1)
    policy = scaled(
        1,
        first_15_minutes={
            "acknowledge": {"within": 6 * second, "repage_after": 4 * second, "escalate_every": 60 * second}
        },
    )
    h = Harness(client=temporal_env.client, settings=new_settings(tmp_path, temporal_env.client), policy=policy)
    worker = start_worker(h)
    try:
        incident = await h.declare("SEV2")
        await h.wait_rows(incident, lambda rows: ("page:SEV2", "judy") in keys(rows))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        await asyncio.sleep(5)  # the re-page falls due at 4s while no worker runs
        assert not [k for k in keys(h.rows(incident)) if k[0].startswith("ack:")]
        worker = start_worker(h)
        rows = await h.wait_rows(incident, lambda rows: ("ack:escalate:secondary", "carol") in keys(rows))
        assert keys(rows).count(("ack:repage", "bob")) == 1
        assert keys(rows).count(("ack:escalate:secondary", "carol")) == 1
        history = await h.handle(incident).fetch_history()
        scheduled = [
            e.activity_task_scheduled_event_attributes
            for e in history.events
            if e.HasField("activity_task_scheduled_event_attributes")
        ]
        repages = [a for a in scheduled if b'"action_key":"ack:repage"' in a.input.payloads[0].data]
        assert len(repages) == 1  # scheduled once: the second worker did not do it again
        view = await remote.view(h.client, incident)
        assert "ack:repage" in view.state.done
    finally:
        worker.kill()
        worker.wait()


async def test_an_incident_declared_while_no_worker_runs_keeps_its_declaration_time(temporal_env, tmp_path):
    """Issue 15 (brain v8): the clock starts when the declaration reached Temporal. Declared with no
    worker running, its first page is due at once when one starts, and its deadlines count from the
    declaration, not from the worker's first task."""
    h = Harness(client=temporal_env.client, settings=new_settings(tmp_path, temporal_env.client), policy=scaled(1))
    before = datetime.now(UTC)
    incident = await h.declare("SEV2")
    await asyncio.sleep(4)  # nobody runs the workflow yet
    worker = start_worker(h)
    try:
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "page:SEV2" for r in rows))
        view = await remote.view(h.client, incident)
    finally:
        worker.kill()
        worker.wait()
    declared = view.state.severities[0].at
    assert before - timedelta(seconds=1) <= declared < before + timedelta(seconds=2)
    assert view.state.detected_at == declared
    [page] = [r for r in rows if r.action_key == "page:SEV2"][:1]
    assert page.due_at == declared and page.created_at - declared >= timedelta(seconds=4)


async def test_a_worker_stops_cleanly_on_sigterm_and_the_next_one_goes_on(temporal_env, tmp_path):
    """SIGTERM (a deploy, `docker stop`) lets in-flight deliveries finish and exits 0 without a
    traceback; what falls due afterwards is sent by the next worker, once."""
    second = timedelta(seconds=1)
    policy = scaled(1, first_15_minutes={
        "acknowledge": {"within": 6 * second, "repage_after": 3 * second, "escalate_every": 60 * second}})
    h = Harness(client=temporal_env.client, settings=new_settings(tmp_path, temporal_env.client), policy=policy)
    worker = start_worker(h)
    incident = await h.declare("SEV2")
    await h.wait_rows(incident, lambda rows: any(r.action_key == "page:SEV2" for r in rows))
    worker.send_signal(signal.SIGTERM)
    _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0 and b"Traceback" not in stderr, stderr.decode()[-2000:]
    worker = start_worker(h)
    try:
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "ack:repage" for r in rows))
    finally:
        worker.kill()
        worker.wait()
    assert [k for k, _ in keys(rows)].count("ack:repage") == 1
