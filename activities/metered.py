"""Counting what the channel activities deliver (warroom.metrics): every attempt by its outcome,
and for a sent delivery how late it went out. Counting only: the exception goes on unchanged to
Temporal, whose retry policy (workflows/attempts.py) decides what happens next."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from temporalio.exceptions import ApplicationError

from warroom import metrics


@asynccontextmanager
async def counted(channel: str, due_at: datetime | None = None) -> AsyncIterator[None]:
    """One attempt on `channel`: sent, retryable (any failure Temporal will retry) or rejected (a
    non-retryable ApplicationError: a 4xx, a refused page). A cancelled attempt (the worker
    stopping) is not an outcome and is not counted."""
    try:
        yield
    except ApplicationError as exc:
        metrics.delivered(channel, "rejected" if exc.non_retryable else "retryable")
        raise
    except Exception:
        metrics.delivered(channel, "retryable")
        raise
    metrics.delivered(channel, "sent", due_at)
