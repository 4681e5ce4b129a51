"""How a workflow tries its side effects: the activity options every workflow here shares.

A delivery (a page, a mail, a chat message, a ticket, a status post, a channel post) is an
obligation, not a best effort (issue 15):
- it has no schedule-to-close: minutes with no worker running do not count against it, so it
  goes out when a worker is back, however long the outage (the timeline then says how late);
- its activity heartbeats every second (`activities.http.heartbeating`), so an attempt on a
  worker that died is retried after HEARTBEAT, not after the whole start-to-close;
- it is retried every 1 s, doubling to 30 s, for MAX_ATTEMPTS: a provider down for about two
  hours. Only then, or at once when the provider says retrying cannot help (a 4xx), is it
  recorded as failed, and a failed page moves the escalation chain on (R-F15-7).

A call (an activity that only talks to Temporal itself) is short and retried until it succeeds;
its inputs are validated before any workflow sees them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

HEARTBEAT = timedelta(seconds=5)
MAX_ATTEMPTS = 250  # ≈ 2 h of 30-s retries; a worker's death costs one attempt, its downtime none

DELIVERY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=2),  # several requests of 10 s each, and Retry-After
    "heartbeat_timeout": HEARTBEAT,
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                                maximum_attempts=MAX_ATTEMPTS),
}

TRACKER: dict[str, Any] = {  # an item's tracker issue: wanted, but no reminder waits two hours for Jira
    **DELIVERY,
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                                maximum_attempts=20),  # ≈ 7 min; then recorded, and tried again next wake
}

TOOL: dict[str, Any] = {  # an operator's own tool (a game day's fault injection): tried, never waited on
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
}

CALL: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10)),
}
