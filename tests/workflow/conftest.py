from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.workflow.harness import Harness, new_settings, scaled
from warroom.policy import Policy
from workers.main import build_worker


@pytest.fixture
def make_harness(temporal_env, tmp_path: Path) -> Callable[..., AsyncIterator[Harness]]:
    """`async with make_harness(policy) as h:` runs a worker for one test on its own queue."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start(policy: Policy | None = None) -> AsyncIterator[Harness]:
        client = temporal_env.client
        settings = new_settings(tmp_path, client)
        async with build_worker(client, settings):
            yield Harness(client=client, settings=settings, policy=policy or scaled())

    return start
