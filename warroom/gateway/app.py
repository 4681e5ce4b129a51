"""The gateway application. One Temporal client per process, connected on first use, so the
gateway starts (and answers /healthz with 503) even while Temporal is still coming up."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from temporalio.client import Client

from warroom.config import Settings
from warroom.config_file import WarroomConfig, load_config
from warroom.gateway import alerts, chat, report, status
from warroom.gateway.alerts import AlertIngest
from warroom.outbox import Outbox, OutboxRow
from warroom.policy import Policy, load_policy
from warroom.temporal.connection import Unavailable, connect


class TemporalLink:
    """The gateway's lazily connected, shared Temporal client."""

    def __init__(self, settings: Settings, client: Client | None = None):
        self.settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                self._client = await connect(self.settings)
            return self._client


def create_app(
    settings: Settings,
    client: Client | None = None,
    policy: Policy | None = None,
    config: WarroomConfig | None = None,
) -> FastAPI:
    """The gateway; `policy` and `config` default to the files the settings name."""
    app = FastAPI(title="warroom gateway", version="0.1.0")
    link = TemporalLink(settings, client)
    app.state.temporal = link
    outbox = Outbox(settings.outbox_path)
    policy = policy or load_policy(settings.runbooks)
    config = config or load_config(settings.config_file)
    app.include_router(alerts.router(AlertIngest(config.ingest, policy, link.client, settings.task_queue)))
    app.include_router(status.router(policy, link.client, settings.runbooks / "templates" / "page"))
    app.include_router(report.router(policy, link.client))
    app.include_router(chat.router(config.chat, policy, link.client, settings.task_queue))

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 when Temporal answers; 503 (retry later) when it does not."""
        try:
            temporal = await link.client()
            await asyncio.wait_for(temporal.service_client.check_health(), timeout=5)
        except (Unavailable, asyncio.TimeoutError, RuntimeError) as exc:
            return JSONResponse({"status": "unavailable", "temporal": str(exc)}, status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"status": "ok", "temporal": settings.temporal_address})

    @app.get("/v1/outbox")
    async def read_outbox(
        incident: str | None = Query(default=None, description="only this incident's messages"),
        since_id: int = Query(default=0, ge=0),
    ) -> list[OutboxRow]:
        """Every page, message and post the outbox provider sent (the development default)."""
        return await asyncio.to_thread(outbox.read, incident, since_id)

    return app
