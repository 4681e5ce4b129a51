"""What every HTTP provider shares: one classification of failures, and progress that survives a retry.

DESIGN.md: providers retry only through Temporal's activity retry policy, never with loops of
their own. So a provider makes one request per attempt and lets `check` turn the answer into
what Temporal understands:

    2xx                 done
    408, 429 (and any
    code a service adds) retryable; `Retry-After` becomes the ApplicationError's next_retry_delay
    5xx                 retryable (a 503's Retry-After is honoured too)
    network errors      retryable (httpx.TransportError -> ApplicationError type ProviderUnavailable)
    other 4xx, 1xx/3xx  non-retryable: ApplicationError(type="ProviderRejected", non_retryable=True)

Messages name the provider, the status and a short, redacted excerpt of the answer; they never
carry a request header, a URL's query string or any value passed as a secret.

A delivery that takes several requests (one PagerDuty event per recipient, one Slack message per
person) records each part that succeeded in the activity's heartbeat details (`mark_done`), and
a retried attempt skips those parts (`already_done`): a retry never sends a part twice, even to
a service that has no idempotency key of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

log = logging.getLogger("warroom.providers")

# httpx logs every request's URL at INFO, and a Slack webhook URL is itself a secret: keep httpx to
# warnings unless someone configured its logger on purpose.
if logging.getLogger("httpx").level == logging.NOTSET:
    logging.getLogger("httpx").setLevel(logging.WARNING)

DEFAULT_TIMEOUT = 10.0  # seconds per request; the activity's start-to-close bounds the attempt
RETRYABLE = frozenset({408, 429})
EXCERPT = 300  # characters of a service's answer kept in an error message
MAX_RETRY_AFTER = timedelta(minutes=10)  # a wild Retry-After must not park a page for a day

REJECTED = "ProviderRejected"  # 4xx: retrying cannot help (bad credentials, bad request, unknown channel)
THROTTLED = "ProviderThrottled"  # 429 and friends
UNAVAILABLE = "ProviderUnavailable"  # 5xx, timeouts, network errors


def retry_after(headers: httpx.Headers | dict[str, str], now: datetime | None = None) -> timedelta | None:
    """`Retry-After` in seconds or as an HTTP date; None when absent or unreadable."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(timedelta(seconds=max(seconds, 0.0)), MAX_RETRY_AFTER)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every secret replaced, cut to a short one-line excerpt."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def retryable(message: str, delay: timedelta | None = None, kind: str = UNAVAILABLE) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=False, next_retry_delay=delay)


def rejected(message: str) -> ApplicationError:
    return ApplicationError(message, type=REJECTED, non_retryable=True)


def check(
    response: httpx.Response,
    provider: str,
    secrets: Iterable[str | None] = (),
    also_retryable: Iterable[int] = (),
) -> httpx.Response:
    """Return a 2xx response; raise the ApplicationError that tells Temporal what to do otherwise."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    secrets = list(secrets)
    excerpt = redact(_text(response), secrets)
    message = f"{provider}: HTTP {status}" + (f": {excerpt}" if excerpt else "")
    delay = retry_after(response.headers)
    if status in RETRYABLE or status in set(also_retryable):
        raise retryable(message, delay, THROTTLED if status != 408 else UNAVAILABLE)
    if status >= 500:
        raise retryable(message, delay)
    raise rejected(message)


def _text(response: httpx.Response) -> str:
    try:
        return response.text
    except Exception:  # an undecodable body is not worth a second failure
        return ""


async def request(
    client: httpx.AsyncClient | None,
    method: str,
    url: str,
    provider: str,
    secrets: Iterable[str | None] = (),
    also_retryable: Iterable[int] = (),
    timeout: float = DEFAULT_TIMEOUT,
    **kwargs: Any,
) -> httpx.Response:
    """One request, classified. Network errors become a retryable ApplicationError whose message
    names only the exception's type and the host: httpx's own messages may quote the URL, and a
    Slack webhook URL is itself a secret."""
    secrets = list(secrets)
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=timeout) as own:
                response = await own.request(method, url, **kwargs)
        else:
            response = await client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        host = httpx.URL(url).host or "the service"
        raise retryable(f"{provider}: {type(exc).__name__} talking to {host}") from None
    return check(response, provider, secrets, also_retryable)


def json_of(response: httpx.Response, provider: str) -> Any:
    """The JSON body of a 2xx answer; a body that is not JSON is the service misbehaving (retry)."""
    try:
        return response.json()
    except ValueError:
        raise retryable(f"{provider}: HTTP {response.status_code} answer is not JSON") from None


# Progress across retries -------------------------------------------------------------------------

_Progress = tuple[bytes, set[str]]  # the attempt's task token, the parts done
_progress: contextvars.ContextVar[_Progress | None] = contextvars.ContextVar("warroom_progress", default=None)


def _done() -> set[str] | None:
    """The parts of the running activity's delivery that already succeeded (any attempt)."""
    if not activity.in_activity():
        return None
    info = activity.info()
    held = _progress.get()
    if held is None or held[0] != info.task_token:
        previous: set[str] = set()
        for detail in info.heartbeat_details:
            if isinstance(detail, (list, tuple)):
                previous.update(str(d) for d in detail)
        held = (info.task_token, previous)
        _progress.set(held)
    return held[1]


def already_done(part: str) -> bool:
    done = _done()
    return done is not None and part in done


def mark_done(part: str) -> None:
    """Record that `part` succeeded; the heartbeat carries it to the next attempt."""
    done = _done()
    if done is None:
        return
    done.add(part)
    activity.heartbeat(sorted(done))


def keepalive() -> None:
    """Heartbeat without losing the progress recorded so far (a plain heartbeat() would erase it)."""
    done = _done()
    if done is not None:
        activity.heartbeat(sorted(done))


@contextlib.asynccontextmanager
async def heartbeating(every: float = 1.0) -> AsyncIterator[None]:
    """Heartbeat every `every` seconds while the body runs, so that Temporal notices a dead worker
    within the activity's heartbeat timeout (workflows/attempts.py) instead of its start-to-close.
    The progress set is read here first, in the activity's own context, so the beating task shares
    it and never heartbeats a stale copy over what `mark_done` recorded."""
    if _done() is None:  # not in an activity (a provider called directly in a test)
        yield
        return

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            keepalive()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()


def summary(subject: str, text: str, fallback: str) -> str:
    """The one line a pager shows: the subject, else the text's first line."""
    return subject or next(iter(text.splitlines()), "") or fallback


def warn(message: str) -> None:
    (activity.logger if activity.in_activity() else log).warning(message)
