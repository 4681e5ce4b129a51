"""Where and how every process reaches Temporal, decided in one place.

First Temporal's own client configuration (`temporalio.envconfig`, the convention every Temporal
tool shares, so a cluster is configured for warroom exactly as for the `temporal` CLI): a profile
from temporal.toml ($TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; chosen by
--profile, else $TEMPORAL_PROFILE, else "default"), with the TEMPORAL_* variables over it field by
field. Over that, warroom's settings: WARROOM_TEMPORAL_ADDRESS and WARROOM_NAMESPACE (documented
aliases that win when set) or what a process sets itself, as `warroom up` does for its dev server.
Nothing set anywhere: localhost:7233, namespace default, plaintext.

Messages name the address, the namespace and the kind of credentials, never a secret: neither an
API key nor a key file's contents reaches stderr or a log line.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from temporalio.envconfig import ClientConfigProfile
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from warroom.config import Settings

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
WHERE = ("profiles are read from $TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; "
         "--profile or $TEMPORAL_PROFILE chooses one")

# What the SDK's transport errors mean, by a fragment of their text, and which setting to look at.
CAUSES = (
    ("ConnectionRefused", "connection refused: is Temporal (or `warroom up`) running there?"),
    ("dns error", "the host name does not resolve"),
    ("UnknownIssuer", "the server's certificate is not signed by a CA this client trusts "
                      "(TEMPORAL_TLS_SERVER_CA_CERT_PATH)"),
    ("NotValidForName", "the server's certificate is not valid for this name (TEMPORAL_TLS_SERVER_NAME)"),
    ("CertificateRequired", "the server requires a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, "
                            "TEMPORAL_TLS_CLIENT_KEY_PATH)"),
    ("400 Bad Request", "refused with HTTP 400, as a TLS proxy that requires a client certificate answers "
                        "(TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)"),
    ("InvalidContentType", "the server does not speak TLS (TEMPORAL_TLS=false; an API key turns TLS on)"),
    ("h2 protocol error", "the server does not answer plaintext gRPC: it may want TLS (TEMPORAL_TLS=true)"),
)
REFUSED_CREDENTIALS = {RPCStatusCode.UNAUTHENTICATED, RPCStatusCode.PERMISSION_DENIED}


class TemporalConfigError(Exception):
    """Temporal's client configuration cannot be used: bad TOML, an unknown profile, an unreadable file."""


def profile(settings: Settings) -> ClientConfigProfile:
    """Temporal's configuration with warroom's settings over it. Never print it: it holds the API key."""
    loaded = ClientConfigProfile()
    if settings.temporal_config:
        try:
            loaded = ClientConfigProfile.load(settings.temporal_profile)
        except RuntimeError as exc:  # the SDK's ConfigError: a bad temporal.toml, an unknown profile
            raise TemporalConfigError(f"Temporal client configuration: {one_line(str(exc))} ({WHERE})") from None
    return dataclasses.replace(
        loaded,
        address=settings.temporal_address or loaded.address or DEFAULT_ADDRESS,
        namespace=settings.namespace or loaded.namespace or DEFAULT_NAMESPACE,
    )


def connect_options(settings: Settings) -> dict[str, Any]:
    """`Client.connect`'s keyword arguments: target, namespace, API key and TLS, its files read now."""
    try:
        return dict(profile(settings).to_client_connect_config())
    except OSError as exc:
        raise TemporalConfigError(f"Temporal TLS: cannot read {exc.filename}: {exc.strerror}") from None


def describe(options: dict[str, Any]) -> str:
    """The connection as a message may show it: address, namespace, kind of credentials."""
    tls = options.get("tls")
    how = "plaintext"
    if tls:
        how = "TLS with a client certificate" if isinstance(tls, TLSConfig) and tls.client_cert else "TLS"
    if options.get("api_key"):
        how += ", API key"
    return f"{options['target_host']} (namespace {options['namespace']}, {how})"


def reason(exc: BaseException, options: dict[str, Any]) -> str:
    """Why a connection failed, in one line that says which setting to look at."""
    if isinstance(exc, RPCError) and exc.status in REFUSED_CREDENTIALS:
        return f"the server refused the credentials (TEMPORAL_API_KEY or the client certificate): {exc.message}"
    text = str(exc)
    for fragment, meaning in CAUSES:
        if fragment in text:
            return meaning
    return one_line(text.splitlines()[0] if text else type(exc).__name__, options.get("api_key"))


def one_line(text: str, secret: str | None = None, limit: int = 300) -> str:
    """A message on one line: a TOML error's quoted source lines dropped (they may hold a key)."""
    lines = [line for line in text.splitlines() if not re.match(r"^\s*\d*\s*\|", line)]
    flat = "; ".join(" ".join(line.split()) for line in lines if line.strip())
    if secret:
        flat = flat.replace(secret, "***")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
