"""The one classification every HTTP provider shares (DESIGN.md "Providers")."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from activities import http
from tests.providers.conftest import failure
from tests.providers.fakes import Answer, FakeService

SECRET = "s3cr3t-token-value"


def answering(status: int, body: object = None, headers: dict[str, str] | None = None) -> FakeService:
    return FakeService(lambda request: Answer(status, body, headers or {}))


async def call(service: FakeService) -> object:
    return await http.request(
        None,
        "POST",
        f"{service.url}/x?token={SECRET}",
        "svc",
        secrets=[SECRET],
        headers={"Authorization": f"Bearer {SECRET}"},
        json={"a": 1},
    )


async def test_2xx_is_done():
    with answering(202, {"status": "success"}) as service:
        response = await call(service)
    assert response.status_code == 202


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_in_seconds_becomes_the_next_retry_delay(status):
    with answering(status, {"error": "slow down"}, {"Retry-After": "17"}) as service:
        error = await failure(call(service))
    assert not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=17)


async def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=120)
    with answering(429, "", {"Retry-After": format_datetime(when, usegmt=True)}) as service:
        error = await failure(call(service))
    assert error.type == http.THROTTLED and not error.non_retryable
    assert timedelta(seconds=60) < error.next_retry_delay <= timedelta(seconds=121)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_timeouts_throttling_and_server_errors_retry(status):
    with answering(status, "try later") as service:
        error = await failure(call(service))
    assert not error.non_retryable
    assert f"HTTP {status}" in error.message


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
async def test_other_4xx_are_rejected_for_good(status):
    with answering(status, {"message": "bad"}) as service:
        error = await failure(call(service))
    assert error.non_retryable and error.type == "ProviderRejected"


async def test_a_network_error_retries_and_names_no_url():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = await failure(
        http.request(None, "POST", f"http://127.0.0.1:{port}/hook/{SECRET}", "svc", secrets=[SECRET], json={})
    )
    assert not error.non_retryable and error.type == http.UNAVAILABLE
    assert SECRET not in error.message and "/hook" not in error.message


async def test_error_messages_never_carry_a_secret_even_when_the_service_echoes_it():
    echo = FakeService(lambda r: Answer(401, {"error": "bad token", "got": r.headers["authorization"], "url": r.path}))
    with echo as service:
        error = await failure(call(service))
    assert SECRET not in error.message and SECRET not in str(error.details)
    assert "[redacted]" in error.message


def test_a_wild_retry_after_is_capped():
    assert http.retry_after({"retry-after": "86400"}) == http.MAX_RETRY_AFTER
    assert http.retry_after({"retry-after": "soon"}) is None
    assert http.retry_after({}) is None
