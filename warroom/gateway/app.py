"""The gateway application. One Temporal client per process, connected on first use, so the
gateway starts (and answers /healthz with 503) even while Temporal is still coming up."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from temporalio.client import Client

from warroom import __version__
from warroom.config import Settings
from warroom.config_file import WarroomConfig, heartbeat_problems, load_config
from warroom.feeds import FeedKey
from warroom.gateway import alerts, api, calendar, chat, report, status, trackers, web
from warroom.gateway.alerts import AlertIngest
from warroom.gateway.bounds import BoundedJson
from warroom.gateway.desk import Desk
from warroom.gateway.identity import Identities
from warroom.gateway.metrics import install as install_metrics
from warroom.gateway.session import SESSION_MAX_AGE_S, SignInLinks, session_key
from warroom.outbox import Outbox, OutboxRow
from warroom.policy import Policy, load_policy
from warroom.temporal.connection import Unavailable, connect
from warroom.tokens import TokenStore, tokens_file
from warroom.yamlfile import ConfigError


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


def _oauth(config: WarroomConfig) -> object | None:
    """The web app's OpenID Connect client (authorization code with PKCE), when one is configured."""
    oidc = config.api.oidc
    if oidc is None or oidc.client_id is None:
        return None
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register(
        "oidc", client_id=oidc.client_id,
        client_secret=oidc.client_secret.value() if oidc.client_secret else None,
        server_metadata_url=oidc.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email", "code_challenge_method": "S256"},
    )
    return oauth


def create_app(
    settings: Settings,
    client: Client | None = None,
    policy: Policy | None = None,
    config: WarroomConfig | None = None,
    links: SignInLinks | None = None,
) -> FastAPI:
    """The gateway; `policy` and `config` default to the files the settings name. `links` are the
    one-time sign-in links of `warroom up`."""
    app = FastAPI(
        title="warroom", version=__version__,
        description="Incident command on Temporal: the REST API (every verb of the CLI and chat, "
                    "bearer-token authenticated), alert webhooks, chat, the public status page.",
    )
    link = TemporalLink(settings, client)
    app.state.temporal = link
    outbox = Outbox(settings.outbox_path)
    policy = policy or load_policy(settings.runbooks)
    config = config or load_config(settings.config_file, services=policy.runbooks)
    if problems := heartbeat_problems(config, policy.runbooks, bounded=False):  # a file's bounds: load_config
        raise ConfigError(problems)  # a monitor whose incident could not open would 5xx its beats
    secret = session_key(config.api.session_secret.value() if config.api.session_secret else None, settings.data_dir)
    feed_key = FeedKey(secret)  # the calendar feeds' tokens: revoked with the secret
    desk = Desk(link.client, policy, settings.task_queue, settings.runbooks, feed_key)
    identities = Identities(config.api, TokenStore(tokens_file(settings, config)), policy)
    app.add_middleware(SessionMiddleware, secret_key=secret,
                       session_cookie="warroom_session", max_age=SESSION_MAX_AGE_S, same_site="lax",
                       https_only=config.api.secure_cookies)
    app.add_middleware(BoundedJson)
    install_metrics(app, link.client)  # /metrics, unauthenticated like /healthz; its middleware outermost
    api.install_errors(app)
    api.install_auth(app)
    app.include_router(api.router(desk, identities))
    app.include_router(web.router(web.Web(desk, policy, config.api, links or SignInLinks(), _oauth(config),
                                          identities)))
    app.mount("/static", StaticFiles(directory=web.HERE / "static"), name="static")
    ingest = AlertIngest(config.ingest, policy, link.client, settings.task_queue, config.heartbeats)
    app.include_router(alerts.router(ingest))
    app.include_router(trackers.router(ingest, config.providers.tracker, policy, link.client))
    app.include_router(status.router(policy, link.client, settings.runbooks / "templates" / "page"))
    app.include_router(report.router(desk))
    app.include_router(chat.router(config.chat, policy, desk))
    app.include_router(calendar.router(policy, link.client, settings.task_queue, feed_key))

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        """200 when Temporal answers; 503 (retry later) when it does not."""
        try:
            temporal = await link.client()
            await asyncio.wait_for(temporal.service_client.check_health(), timeout=5)
        except (TimeoutError, Unavailable, RuntimeError) as exc:
            return JSONResponse(
                {"status": "unavailable", "temporal": str(exc)}, status_code=503, headers={"Retry-After": "5"}
            )
        return JSONResponse({"status": "ok", "temporal": temporal.service_client.config.target_host})

    @app.get("/v1/outbox")
    async def read_outbox(
        incident: str | None = Query(default=None, description="only this incident's messages"),
        since_id: int = Query(default=0, ge=0, le=2**63 - 1),  # SQLite integers are 64-bit
    ) -> list[OutboxRow]:
        """Every page, message and post the outbox provider sent (the development default)."""
        return await asyncio.to_thread(outbox.read, incident, since_id)

    return app
