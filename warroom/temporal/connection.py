"""Connecting to Temporal the one way every process does (where and how: warroom.temporal.target):
pydantic payloads, tracing, and the search attributes the board needs registered; and what
Temporal's failures mean to us."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode

from warroom.commands.base import Refused
from warroom.config import Settings
from warroom.temporal import board
from warroom.temporal.target import TemporalConfigError, connect_options, describe, reason

ALL_KEYS: tuple[SearchAttributeKey, ...] = board.INCIDENT_KEYS + board.ITEM_KEYS
QUERY_TIMEOUT = timedelta(seconds=15)
NEW_RUN_WAIT_S, NEW_RUN_TRIES = 0.2, 10  # a run just begun has no workflow task for a moment


async def ask(handle: WorkflowHandle, query: Any, *args: Any) -> Any:
    """`handle.query(query, *args)`, asked again for up to 2 s while the server says the latest run
    has no workflow task scheduled yet (FAILED_PRECONDITION): for a moment after a continue-as-new
    the new run cannot answer, and a `warroom show` at that moment is no reason to say "retry later"."""
    for _ in range(NEW_RUN_TRIES - 1):
        try:
            return await handle.query(query, *args, rpc_timeout=QUERY_TIMEOUT)
        except RPCError as exc:
            if exc.status != RPCStatusCode.FAILED_PRECONDITION:
                raise
        await asyncio.sleep(NEW_RUN_WAIT_S)
    return await handle.query(query, *args, rpc_timeout=QUERY_TIMEOUT)


class Unavailable(Exception):
    """Temporal (or its worker) did not answer: retry later."""


class UnknownIncident(Refused):
    """No such incident or action item."""


def of_type(workflow_class: type) -> str:
    """The visibility clause for a workflow class's executions (its type is its class name)."""
    return f'WorkflowType="{workflow_class.__name__}"'


@contextmanager
def answered(incident_id: str) -> Iterator[None]:
    """Temporal's answers as ours: an unknown workflow is an unknown incident, the rest retry later."""
    try:
        yield
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownIncident(f"no incident {incident_id}") from None
        raise unavailable(exc) from None


def unavailable(exc: RPCError) -> Unavailable:
    return Unavailable(
        f"Temporal did not answer ({exc.status.name if exc.status else 'error'}: {exc.message}); retry later"
    )


@cache
def sdk_runtime(bind_address: str) -> Runtime:
    """The SDK's runtime with its own Prometheus endpoint (workflow task latency, poll and slot
    counts, RPC errors: what shows a worker falling behind). A runtime owns core threads and binds
    its port: one per process and address, never one per connect."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(
        bind_address=bind_address, counters_total_suffix=True, durations_as_seconds=True)))


def runtime_for(settings: Settings) -> Runtime | None:
    """WARROOM_TEMPORAL_METRICS_PORT's runtime, or None: the SDK's default runtime, no metrics."""
    if settings.temporal_metrics_port is None:
        return None
    return sdk_runtime(f"{settings.metrics_host}:{settings.temporal_metrics_port}")


async def connect(settings: Settings) -> Client:
    """The one way every process connects: where and how from warroom.temporal.target (Temporal's
    client configuration, warroom's aliases over it), the SDK's metrics runtime when configured;
    any failure is Unavailable, in one line."""
    try:
        options = connect_options(settings)
    except TemporalConfigError as exc:
        raise Unavailable(str(exc)) from None
    try:
        return await Client.connect(
            **options, data_converter=pydantic_data_converter, interceptors=[TracingInterceptor()],
            runtime=runtime_for(settings),
        )
    except (RuntimeError, RPCError) as exc:
        raise Unavailable(f"cannot reach Temporal at {describe(options)}: {reason(exc, options)}") from None


async def ensure_search_attributes(client: Client) -> list[str]:
    """Register the board's search attributes that are missing in the client's namespace; return
    the names added. Where this client may not add them (Temporal Cloud adds them by its own API
    or UI, not by a namespace's credentials), say which are missing, in one line."""
    namespace = client.namespace
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace))
        missing = {
            key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
            for key in ALL_KEYS
            if key.name not in existing.custom_attributes
        }
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
    except RPCError as exc:
        wanted = ", ".join(f"{name} ({kind})" for name, kind in attribute_types().items())
        raise Unavailable(f"cannot register the board's search attributes in namespace {namespace} "
                          f"({exc.status.name if exc.status else 'error'}: {exc.message}); create them there "
                          f"(Temporal Cloud: its UI or tcld): {wanted}") from None
    return sorted(missing)


def attribute_types() -> dict[str, str]:
    """Each search attribute's type as Temporal's tools spell it: Keyword, Datetime, Bool."""
    return {key.name: SearchAttributeIndexedValueType(key.indexed_value_type).name.capitalize() for key in ALL_KEYS}


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` for the dev server, so the board works from its first second."""
    return [flag for name, kind in attribute_types().items() for flag in ("--search-attribute", f"{name}={kind}")]
