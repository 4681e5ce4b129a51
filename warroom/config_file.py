"""`warroom.yaml`: how the gateway authenticates each alert source, and which provider serves each
channel. Secrets are never written here: each is the name of an environment variable that holds
it, read when a request needs it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, ValidationInfo, WrapValidator, field_validator, model_validator

from warroom.durations import Duration, format_duration
from warroom.rules import Frozen
from warroom.severity import SeverityField
from warroom.yamlfile import ConfigError, Path_, dotted, load_model


class SecretRef(Frozen):
    """Where a secret lives: the name of an environment variable."""

    env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")

    def value(self) -> str | None:
        return os.environ.get(self.env) or None


class BasicAuth(Frozen):
    username: str
    password: SecretRef


class HeaderAuth(Frozen):
    """What Alertmanager's `http_config` sends: `authorization` (a bearer token) or `basic_auth`."""

    bearer_token: SecretRef | None = None
    basic_auth: BasicAuth | None = None

    @model_validator(mode="after")
    def _one(self) -> HeaderAuth:
        if (self.bearer_token is None) == (self.basic_auth is None):
            raise ValueError("give exactly one of bearer_token or basic_auth")
        return self


class GrafanaAuth(Frozen):
    """Grafana's webhook HMAC: hex HMAC-SHA256 of the body, or of `timestamp:body`."""

    hmac_secret: SecretRef
    header: str = "X-Grafana-Alerting-Signature"
    timestamp_header: str | None = None  # set it in Grafana too, to refuse replays


class PagerDutyAuth(Frozen):
    """Events v2 routing keys, each mapped to the service it alerts."""

    routing_keys: dict[str, SecretRef] = Field(min_length=1)  # service -> its routing key


class StandardWebhooksAuth(Frozen):
    secret: SecretRef  # whsec_<base64>


class Ingest(Frozen):
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    alertmanager: HeaderAuth | None = None
    grafana: GrafanaAuth | None = None
    pagerduty: PagerDutyAuth | None = None
    generic: StandardWebhooksAuth | None = None


# Providers ---------------------------------------------------------------------------------------
# One section per channel, each a union discriminated by `type`. Every real provider takes a base
# URL (the real service by default) so that tests, proxies and regional endpoints can change it.


class _Http(Frozen):
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    @field_validator("base_url", "url", check_fields=False)
    @classmethod
    def _http_url(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):  # a SecretRef (the Slack webhook URL): checked when read
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if info.field_name == "base_url" else value  # a webhook URL stays as given


class PagerOptions(Frozen):
    """What every pager takes: at most this many pages per minute to one person (activities.throttle)."""

    throttle_per_minute: int | None = Field(default=None, ge=1)


class OutboxConfig(Frozen):
    """Every message becomes a row in the data directory's outbox.sqlite (the development default)."""

    type: Literal["outbox"]

    def summary(self) -> str:
        return "outbox (the data directory's outbox.sqlite)"


class OutboxPager(OutboxConfig, PagerOptions):
    pass


class PagerDutyConfig(_Http, PagerOptions):
    """PagerDuty Events API v2: one trigger per person, dedup_key `INC-XXXXX:<action key>:<handle>`."""

    type: Literal["pagerduty"]
    routing_key: SecretRef  # the integration key of the Events API v2 integration
    base_url: str = "https://events.pagerduty.com"
    severity: Literal["critical", "error", "warning", "info"] = "critical"
    source: str = "warroom"

    def summary(self) -> str:
        return f"pagerduty {self.base_url} (routing key ${self.routing_key.env}, severity {self.severity})"


class OpsgenieConfig(_Http, PagerOptions):
    """Opsgenie Alert API: one alert per delivery, alias = the idempotency key, people as responders."""

    type: Literal["opsgenie"]
    api_key: SecretRef  # an API integration's key (GenieKey)
    base_url: str = "https://api.opsgenie.com"  # EU accounts: https://api.eu.opsgenie.com
    priority: Literal["P1", "P2", "P3", "P4", "P5"] = "P1"
    tags: tuple[str, ...] = ("warroom",)

    def summary(self) -> str:
        return f"opsgenie {self.base_url} (API key ${self.api_key.env}, priority {self.priority})"


class SlackConfig(_Http):
    """Slack Web API chat.postMessage with a bot token: a direct message to each person."""

    type: Literal["slack"]
    bot_token: SecretRef  # xoxb-…, scope chat:write
    base_url: str = "https://slack.com"
    fallback_channel: str | None = None  # where messages for people without a Slack id go

    def summary(self) -> str:
        extra = f", others to {self.fallback_channel}" if self.fallback_channel else ""
        return f"slack {self.base_url} (bot token ${self.bot_token.env}, DM to each person{extra})"


class SlackWebhookConfig(_Http):
    """A Slack incoming webhook: every message to the one channel the webhook was made for."""

    type: Literal["slack_webhook"]
    url: SecretRef  # the webhook URL is itself the credential

    def summary(self) -> str:
        return f"slack_webhook (URL ${self.url.env})"


class SmtpConfig(Frozen):
    """E-mail through an SMTP relay (stdlib smtplib)."""

    type: Literal["smtp"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"  # tls: implicit TLS, usually port 465
    username: str | None = None
    password: SecretRef | None = None
    sender: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$")  # the From address
    message_id_domain: str = Field(default="warroom", pattern=r"^[A-Za-z0-9.-]+$")
    timeout_seconds: float = Field(default=30.0, gt=0, le=120)

    @model_validator(mode="after")
    def _login(self) -> SmtpConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        return self

    def summary(self) -> str:
        login = f", login {self.username} (password ${self.password.env})" if self.password else ""
        return f"smtp {self.host}:{self.port} {self.security}, from {self.sender}{login}"


class WebhookConfig(_Http):
    """JSON POSTed to any URL, signed per Standard Webhooks (webhook-id = the idempotency key)."""

    type: Literal["webhook"]
    url: str
    secret: SecretRef  # whsec_<base64>

    def summary(self) -> str:
        return f"webhook {_without_query(self.url)} (signed with ${self.secret.env})"


class WebhookPager(WebhookConfig, PagerOptions):
    pass


class BuiltinStatusConfig(Frozen):
    """The built-in public status page (StatusPageWorkflow, served by the gateway)."""

    type: Literal["builtin"]

    def summary(self) -> str:
        return "builtin (StatusPageWorkflow, served by the gateway)"


class AtlassianConfig(_Http):
    """Atlassian Statuspage REST API v1: one Statuspage incident per warroom incident."""

    type: Literal["atlassian"]
    api_key: SecretRef  # an API key of the Statuspage user (Authorization: OAuth <key>)
    page_id: str = Field(min_length=1)
    base_url: str = "https://api.statuspage.io"
    components: dict[str, str] = {}  # warroom component name (runbooks) -> Statuspage component id
    deliver_notifications: bool = True  # Statuspage e-mails/SMS its subscribers

    def summary(self) -> str:
        return (
            f"atlassian {self.base_url} page {self.page_id} (API key ${self.api_key.env},"
            f" {len(self.components)} component(s) mapped)"
        )


class JiraConfig(_Http):
    """Jira Cloud REST API v3: action items (and, with `ticket: {type: tracker}`, SEV4 tickets) as
    issues of one project; basic auth with an Atlassian account's e-mail and API token. The site's
    admin webhook, registered with `webhook_secret`, reports issues closed and reopened there to
    POST /v1/tracker/jira."""

    type: Literal["jira"]
    base_url: str  # the site: https://your-company.atlassian.net
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")  # the account the API token belongs to
    api_token: SecretRef
    project: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,9}$")  # the project key, e.g. OPS
    issue_type: str = Field(default="Task", min_length=1, max_length=60)
    labels: tuple[Annotated[str, Field(pattern=r"^[^\s]{1,255}$")], ...] = ("warroom",)
    webhook_secret: SecretRef | None = None  # the admin webhook's secret: X-Hub-Signature

    def summary(self) -> str:
        hook = f", webhook secret ${self.webhook_secret.env}" if self.webhook_secret else ", no webhook secret"
        return (f"jira {self.base_url} project {self.project} ({self.issue_type}; {self.email},"
                f" API token ${self.api_token.env}{hook})")


class LinearConfig(_Http):
    """Linear's GraphQL API: action items (and, with `ticket: {type: tracker}`, SEV4 tickets) as
    issues of one team; a personal API key. Its webhook, with `webhook_secret` as signing secret,
    reports issues closed and reopened there to POST /v1/tracker/linear."""

    type: Literal["linear"]
    api_key: SecretRef  # lin_api_…
    team_id: str = Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    base_url: str = "https://api.linear.app"
    webhook_secret: SecretRef | None = None  # the webhook's signing secret: Linear-Signature

    def summary(self) -> str:
        hook = f", webhook secret ${self.webhook_secret.env}" if self.webhook_secret else ", no webhook secret"
        return f"linear {self.base_url} team {self.team_id} (API key ${self.api_key.env}{hook})"


class TrackerTicketConfig(Frozen):
    """SEV4 tickets as issues in `providers.tracker` (Jira or Linear), linked from the timeline."""

    type: Literal["tracker"]

    def summary(self) -> str:
        return "tracker (an issue in providers.tracker)"


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


def _by_type(variants: tuple[type[BaseModel], ...]) -> WrapValidator:
    """Validate a section against the variant its `type` names, so that an error points at the
    field (`providers.pager.routing_key`, its own line) rather than at the union's tag; anything
    else (no type, an unknown one) falls to pydantic's discriminated union and its error."""
    by_tag = {v.model_fields["type"].annotation.__args__[0]: v for v in variants}  # type: ignore[union-attr]

    def validate(value: Any, handler: Any, info: ValidationInfo) -> Any:
        if isinstance(value, dict) and isinstance(value.get("type"), str) and value["type"] in by_tag:
            return by_tag[value["type"]].model_validate(value)
        return handler(value)

    return WrapValidator(validate)


_PAGERS = (OutboxPager, PagerDutyConfig, OpsgenieConfig, WebhookPager)
_EMAIL = (OutboxConfig, SmtpConfig, SlackConfig, SlackWebhookConfig, WebhookConfig)
_CHAT = (OutboxConfig, SlackConfig, SlackWebhookConfig, WebhookConfig)
_TICKET = (OutboxConfig, WebhookConfig, TrackerTicketConfig)
_STATUS = (BuiltinStatusConfig, AtlassianConfig, WebhookConfig)
_TRACKER = (JiraConfig, LinearConfig)

PagerProvider = Annotated[Union[_PAGERS], Field(discriminator="type"), _by_type(_PAGERS)]  # type: ignore[valid-type]  # noqa: UP007 - a Union of a tuple of types
EmailProvider = Annotated[Union[_EMAIL], Field(discriminator="type"), _by_type(_EMAIL)]  # type: ignore[valid-type]  # noqa: UP007 - a Union of a tuple of types
ChatProvider = Annotated[Union[_CHAT], Field(discriminator="type"), _by_type(_CHAT)]  # type: ignore[valid-type]  # noqa: UP007 - a Union of a tuple of types
TicketProvider = Annotated[Union[_TICKET], Field(discriminator="type"), _by_type(_TICKET)]  # type: ignore[valid-type]  # noqa: UP007 - a Union of a tuple of types
StatusProvider = Annotated[Union[_STATUS], Field(discriminator="type"), _by_type(_STATUS)]  # type: ignore[valid-type]  # noqa: UP007 - a Union of a tuple of types
TrackerProvider = Annotated[Union[_TRACKER], Field(discriminator="type"), _by_type(_TRACKER)]  # type: ignore[valid-type]  # noqa: UP007 - a Union of a tuple of types

CHANNELS = ("pager", "email", "chat", "ticket", "statuspage")


class Providers(Frozen):
    """Which provider serves each channel: the outbox for the four message channels and the
    built-in page for the status page unless configured otherwise. `tracker` is optional: with
    it, every action item is also an issue there, kept in step both ways."""

    pager: PagerProvider = OutboxPager(type="outbox")
    email: EmailProvider = OutboxConfig(type="outbox")
    chat: ChatProvider = OutboxConfig(type="outbox")
    ticket: TicketProvider = OutboxConfig(type="outbox")
    statuspage: StatusProvider = BuiltinStatusConfig(type="builtin")
    tracker: TrackerProvider | None = None

    @model_validator(mode="after")
    def _tracker_for_tickets(self) -> Providers:
        if isinstance(self.ticket, TrackerTicketConfig) and self.tracker is None:
            raise ValueError("ticket: type tracker needs a providers.tracker (jira or linear)")
        return self


class SlackChat(Frozen):
    """The Slack app behind `/incident` and its buttons."""

    signing_secret: SecretRef  # Basic Information → Signing Secret


class MattermostChat(Frozen):
    """A Mattermost slash command; Mattermost sends `Authorization: Token <token>`."""

    token: SecretRef


class Chat(Frozen):
    slack: SlackChat | None = None
    mattermost: MattermostChat | None = None


class OpenIdConnect(Frozen):
    """Single sign-on: an ID or access token from this issuer is accepted as a bearer token; its
    e-mail claim must match a roster person's `contacts.email`. With a client id (and secret), the
    web app signs people in by the authorization-code flow with PKCE."""

    issuer: str
    audience: str
    jwks_url: str | None = None  # default: the issuer's discovery document's jwks_uri
    email_claim: str = "email"
    client_id: str | None = None  # the web app's client at the issuer
    client_secret: SecretRef | None = None


class TrustedProxy(Frozen):
    """A reverse proxy that authenticates people (oauth2-proxy): its header names the person, and
    is believed only on requests from these addresses."""

    header: str = "X-Forwarded-Email"
    addresses: tuple[str, ...] = Field(min_length=1)  # e.g. 127.0.0.1/32, 10.0.0.5

    @field_validator("addresses")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for address in value:
            ipaddress.ip_network(address, strict=False)  # a bad one is a ValueError naming it
        return value


class Api(Frozen):
    """Who the REST API (and the web app) believe: bearer tokens (warroom.tokens, their hashes in
    `tokens_file`), OpenID Connect tokens, a trusted proxy's header."""

    tokens_file: Path | None = None  # default: tokens.json in the data dir
    oidc: OpenIdConnect | None = None
    trusted_proxy: TrustedProxy | None = None
    session_secret: SecretRef | None = None  # signs the web app's session cookies; default: a key in the data dir
    secure_cookies: bool = False  # set when the gateway is served over HTTPS (behind a TLS proxy)


SHORTEST_BEAT = timedelta(seconds=10)
LONGEST_BEAT = timedelta(days=7)
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


class Heartbeat(Frozen):
    """A dead-man's switch: something (Alertmanager's always-firing Watchdog, a cron job) POSTs to
    `/v1/heartbeat/<name>` at least every `interval`; when nothing came for `interval + grace`, the
    monitor raises an alert for `service` at `severity` through the alert-group path, and the next
    beat resolves it (workflows/heartbeat.py).

    The model is also the monitor's workflow input, so it holds only what every monitor must: the
    10s..7d bounds a person's file keeps are checked where the file is read (heartbeat_problems),
    which lets the tests run minutes as seconds, as the policy's durations do."""

    name: str  # a slug: it is the URL's last segment and the workflow id's
    interval: Duration
    grace: Duration
    service: str = Field(min_length=1)  # must have a runbook (checked where the policy is known)
    severity: SeverityField
    summary: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.fullmatch(value):
            raise ValueError("must be a slug of at most 64 lowercase letters, digits and inner dashes, "
                             "e.g. prometheus-eu")
        return value

    @field_validator("interval")
    @classmethod
    def _some(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value

    @property
    def silence(self) -> timedelta:
        """How long without a beat before the monitor alerts."""
        return self.interval + self.grace


class WarroomConfig(Frozen):
    api: Api = Api()
    ingest: Ingest = Ingest()
    providers: Providers = Providers()
    chat: Chat = Chat()
    heartbeats: tuple[Heartbeat, ...] = ()

    def heartbeat(self, name: str) -> Heartbeat | None:
        return next((h for h in self.heartbeats if h.name == name), None)


def heartbeat_problems(
    config: WarroomConfig, services: Collection[str] | None, where: Callable[[Path_], str] = dotted,
    bounded: bool = True,
) -> list[str]:
    """What the file must hold beyond each field's shape: interval and grace within 10s..7d
    (shorter flaps on ordinary jitter, and Alertmanager repeats on its group_interval tick; longer
    is no switch at all), a name given once (one URL, one workflow), and, when the runbooks are
    known, a service that has one (else its incident could never open). `where` turns a field's
    path into `file:line: field` when the file's lines are known; `bounded=False` skips the bounds
    (a config built in code, at test speed)."""
    problems, first = [], {}
    for index, beat in enumerate(config.heartbeats):
        for field in ("interval", "grace") if bounded else ():
            value = getattr(beat, field)
            if not SHORTEST_BEAT <= value <= LONGEST_BEAT:
                problems.append(f"{where(('heartbeats', index, field))}: {format_duration(value)} is outside "
                                f"{format_duration(SHORTEST_BEAT)}..{format_duration(LONGEST_BEAT)}")
        if beat.name in first:
            problems.append(f"{where(('heartbeats', index, 'name'))}: {beat.name!r} is already the name of "
                            f"heartbeats[{first[beat.name]}]")
        first.setdefault(beat.name, index)
        if services is not None and beat.service not in services:
            problems.append(f"{where(('heartbeats', index, 'service'))}: {beat.service!r} has no runbook "
                            f"(services: {', '.join(sorted(services))})")
    return problems


def secret_refs(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], SecretRef]]:
    """Every SecretRef in a config, with the path of the field that holds it."""
    if isinstance(value, SecretRef):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from secret_refs(getattr(value, name), path + (name,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from secret_refs(item, path + (key,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from secret_refs(item, path + (index,))


def load_config(path: Path | str, services: Collection[str] | None = None) -> WarroomConfig:
    """The file's config, defaults when it does not exist; ConfigError names file, line, field.
    With `services` (the runbooks' names), every heartbeat's service is checked against them."""
    file = Path(path)
    if not file.exists():
        return WarroomConfig()
    problems: list[str] = []
    config, lines = load_model(WarroomConfig, file, problems)
    if config is not None:
        problems += heartbeat_problems(
            config, services, lambda field: f"{file}:{line_of(lines, field)}: {dotted(field)}"
        )
    if problems:
        raise ConfigError(problems)
    return config or WarroomConfig()


def line_of(lines: dict[Path_, int], field: Path_) -> int:
    """The line of a field, or of the nearest enclosing one the file has."""
    while field and field not in lines:
        field = field[:-1]
    return lines.get(field, 1)
