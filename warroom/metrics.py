"""The Prometheus series an operator watches (README "Metrics"): deliveries failing, deadlines
running late, requests and alert ingest slowing down. One process-wide registry (prometheus_client's
default, with its process and platform collectors), so `warroom up`, whose gateway and worker share
a process, shows both on the gateway's /metrics; a worker alone serves it on WARROOM_METRICS_PORT.

Labels are closed sets chosen here (route templates, channels, outcomes, sources, severities):
never an incident id, a title, a person or a token, so a scrape leaks nothing and the number of
series stays bounded however many incidents there are (tests/unit/test_metrics_labels.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest, start_http_server

Outcome = Literal["sent", "retryable", "rejected"]

# From a fraction of a second (the normal case) up to the two hours a delivery is retried for.
LATENESS_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, float("inf"))
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, float("inf"))

HTTP_REQUESTS = Counter(
    "warroom_http_requests", "Gateway HTTP requests, by route template (not the path: ids stay out) and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "warroom_http_request_duration_seconds", "Gateway HTTP request latency, to the response's last byte.",
    ["method", "route"], buckets=LATENCY_BUCKETS,
)
ALERT_INGEST = Histogram(
    "warroom_alert_ingest_seconds", "Alert webhook received to its signal accepted by Temporal, by source.",
    ["source"], buckets=LATENCY_BUCKETS,
)
DELIVERIES = Counter(
    "warroom_deliveries", "Delivery attempts by channel and outcome: sent, retryable (Temporal retries it), "
    "rejected (non-retryable: the provider refused it for good).",
    ["channel", "outcome"],
)
LATENESS = Histogram(
    "warroom_delivery_lateness_seconds", "Seconds between a delivery's due time (the rule's deadline) and "
    "when it went out, observed once per successful delivery that had a due time.",
    ["channel"], buckets=LATENESS_BUCKETS,
)


def delivered(channel: str, outcome: Outcome, due_at: datetime | None = None, now: datetime | None = None) -> None:
    """Count one delivery attempt; a sent one with a due time also records how late it went out
    (early, as a retry that raced its deadline can be, counts as 0)."""
    DELIVERIES.labels(channel=channel, outcome=outcome).inc()
    if outcome == "sent" and due_at is not None:
        late = ((now or datetime.now(UTC)) - due_at).total_seconds()
        LATENESS.labels(channel=channel).observe(max(late, 0.0))


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "0.0.0.0"):  # noqa: S104 - scraped from outside the host or container
    """A small HTTP server for /metrics in a thread (a worker has no web server of its own); returns
    it so a caller that stops can shut it down."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return server
