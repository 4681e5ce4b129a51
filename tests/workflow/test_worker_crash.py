"""A worker process killed with SIGKILL mid-incident: the next one fires the next deadline, once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
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
