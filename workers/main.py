"""`warroom worker`: registers the workflows and activities on the task queue, after making sure
the board's search attributes exist. Scale out by running more of these (DESIGN.md)."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.atlassian_statuspage import AtlassianStatuspage
from activities.builtin_status import BuiltinStatusPage
from activities.channels import ChannelActivities
from activities.exercises import GameDayActivities
from activities.gameday import GameDayGuard
from activities.heartbeats import HeartbeatActivities
from activities.incidents import IncidentActivities
from activities.jira import JiraCloud
from activities.linear import Linear
from activities.opsgenie import OpsgeniePager
from activities.outbox import OutboxProvider
from activities.pagerduty import PagerDutyPager
from activities.slack import SlackMessenger, SlackWebhookMessenger
from activities.slack_channel import SlackIncidentChannels
from activities.smtp import SmtpNotifier
from activities.throttle import ThrottledPager
from activities.tracking import TrackerActivities, TrackerTicketing
from activities.webhook import WebhookProvider
from warroom import __version__, metrics
from warroom.config import Settings
from warroom.config_file import (
    AtlassianConfig,
    BuiltinStatusConfig,
    JiraConfig,
    LinearConfig,
    OpsgenieConfig,
    OutboxConfig,
    PagerDutyConfig,
    SlackConfig,
    SlackWebhookConfig,
    SmtpConfig,
    TrackerTicketConfig,
    WebhookConfig,
    load_config,
)
from warroom.outbox import Outbox
from warroom.temporal.connection import connect, ensure_search_attributes
from warroom.temporal.door import Door
from workflows.action_item import ActionItemWorkflow
from workflows.alert_group import AlertGroupWorkflow
from workflows.channel_archive import ChannelArchiveWorkflow
from workflows.game_day import GameDayWorkflow
from workflows.heartbeat import HeartbeatWorkflow
from workflows.incident import IncidentWorkflow
from workflows.oncall_overrides import OnCallOverridesWorkflow
from workflows.status_page import StatusPageWorkflow
from workflows.throttle import PagerThrottleWorkflow

WORKFLOWS = [IncidentWorkflow, AlertGroupWorkflow, StatusPageWorkflow, ActionItemWorkflow, ChannelArchiveWorkflow,
             GameDayWorkflow, HeartbeatWorkflow, PagerThrottleWorkflow, OnCallOverridesWorkflow]

# The sandbox: workflow code that calls the clock, the network or random at once fails under it.
# Our models are pure and deterministic: passed through instead of re-imported for every run.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "warroom", "pydantic", "pydantic_core", "yaml", "jinja2", "markupsafe"
    )
)


PROVIDERS: dict[type, type] = {
    PagerDutyConfig: PagerDutyPager,
    OpsgenieConfig: OpsgeniePager,
    SlackConfig: SlackMessenger,
    SlackWebhookConfig: SlackWebhookMessenger,
    SmtpConfig: SmtpNotifier,
    WebhookConfig: WebhookProvider,
    AtlassianConfig: AtlassianStatuspage,
    JiraConfig: JiraCloud,
    LinearConfig: Linear,
}


def tracker(settings: Settings) -> TrackerActivities:
    """The tracker of warroom.yaml's `providers.tracker`, if any (action items' issues)."""
    config = load_config(settings.config_file).providers.tracker
    return TrackerActivities(PROVIDERS[type(config)].from_config(config) if config else None)  # type: ignore[attr-defined]


def channels(client: Client, settings: Settings) -> ChannelActivities:
    """The providers per channel from warroom.yaml's `providers` (the outbox for all four and the
    built-in page for status unless configured): the pager throttled when configured, and every
    real provider behind the game-day guard (R-GAME-25: exercises go to the outbox)."""
    providers = load_config(settings.config_file).providers
    outbox = OutboxProvider(Outbox(settings.outbox_path))
    door = Door(client, settings.task_queue)

    def real(config: object) -> object:
        return PROVIDERS[type(config)].from_config(config)  # type: ignore[attr-defined]

    def build(config: object, per_minute: int | None = None) -> Any:
        if isinstance(config, TrackerTicketConfig):  # SEV4 tickets as issues of providers.tracker
            return GameDayGuard(TrackerTicketing(real(providers.tracker)), outbox)
        if isinstance(config, BuiltinStatusConfig):  # public too: exercises stay off it (R-GAME-25)
            return GameDayGuard(BuiltinStatusPage(client, settings.task_queue), outbox)
        provider = outbox if isinstance(config, OutboxConfig) else real(config)
        if per_minute:
            provider = ThrottledPager(provider, door.admit_page, per_minute)  # type: ignore[arg-type]
        # exercises go to the outbox before any throttle: never bundled with real pages
        return provider if isinstance(config, OutboxConfig) else GameDayGuard(provider, outbox)

    incident_channels = (  # exercises' channels go to the outbox too (R-GAME-25)
        GameDayGuard(SlackIncidentChannels(providers.chat.bot_token, providers.chat.base_url), outbox)
        if isinstance(providers.chat, SlackConfig)
        else outbox
    )
    return ChannelActivities(
        channels=incident_channels,
        pager=build(providers.pager, providers.pager.throttle_per_minute),
        bundles=build(providers.pager),
        notifier=build(providers.email),
        messenger=build(providers.chat),
        ticketing=build(providers.ticket),
        statuspage=build(providers.statuspage),
    )


# Incidents a worker keeps in memory (~0.4 MiB each, measured RSS): past it, the least recently
# used is dropped and replayed whole at its next timer (~40 ms), which one worker cannot do for
# thousands of open incidents at once (bench/scale.py). 2 000 fit in 1 GiB; run more workers for more.
CACHED_INCIDENTS = 2000


def build_worker(client: Client, settings: Settings) -> Worker:
    """Settings chosen for a restart with many open incidents (bench/chaos.py, bench/scale.py):
    - no sandbox in service: a replay costs 2.5 times less without it (an incident's history of
      158 events: 108 ms sandboxed, 43 ms not), and after a SIGKILL with 500 open incidents the
      deliveries due next went out 13.7 s late (p99) sandboxed and 0.1 s not. The sandbox stays
      the suite's guard: the tests run every workflow under it (WARROOM_WORKFLOW_SANDBOX, set by
      tests/conftest.py) and the recorded histories replay through it;
    - up to CACHED_INCIDENTS kept in memory, and policies shared between them (warroom.policy);
    - a few workflow tasks at a time: a restarted worker replays every incident that fell due
      while it was down; taking 100 at once on 2 cores timed many out and redid them;
    - a short sticky timeout: a task sent to a dead worker's own queue moves to the shared queue
      after 2 s instead of 10;
    - a graceful SIGTERM: deliveries under way get 10 s to finish before the worker exits;
    - a build id of its own: left to the SDK, it hashes every loaded module's code first, a quarter
      of a second of CPU at each restart before the first task (no worker versioning is used)."""
    door = Door(client, settings.task_queue)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=channels(client, settings).all() + IncidentActivities(door).all() + GameDayActivities(door).all()
        + HeartbeatActivities(door).all() + tracker(settings).all(),
        workflow_runner=SANDBOX if settings.workflow_sandbox else UnsandboxedWorkflowRunner(),
        max_cached_workflows=CACHED_INCIDENTS,
        max_concurrent_workflow_tasks=8,
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=2),
        graceful_shutdown_timeout=timedelta(seconds=10),
        build_id=f"warroom-{__version__}",
    )


async def run_until_stopped(settings: Settings) -> None:
    """`warroom worker`: run until SIGINT or SIGTERM, then finish in-flight tasks."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_worker(settings, stop)


async def run_worker(settings: Settings, stop: asyncio.Event, client: Client | None = None) -> None:
    """Run until `stop` is set, then finish in-flight tasks and return. With WARROOM_METRICS_PORT,
    /metrics is served on it meanwhile (a worker has no web server of its own; README "Metrics")."""
    client = client or await connect(settings)
    await ensure_search_attributes(client)
    worker = build_worker(client, settings)
    scraped = metrics.serve(settings.metrics_port, settings.metrics_host) if settings.metrics_port else None
    try:
        async with worker:
            await stop.wait()
    finally:
        if scraped is not None:  # its port freed for the next worker in this process (`warroom up`, tests)
            await asyncio.to_thread(scraped.shutdown)
            scraped.server_close()
