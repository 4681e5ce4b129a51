"""OpenTelemetry: the Temporal tracing interceptor is always installed (warroom.temporal); spans
are exported only when configured, with the standard variable OTEL_TRACES_EXPORTER=console."""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter


def configure_tracing(service: str) -> None:
    if os.environ.get("OTEL_TRACES_EXPORTER", "none").lower() != "console":
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
