"""OpenTelemetry: the Temporal tracing interceptor is always installed (warroom.temporal) and
FastAPI traces each gateway request itself; spans leave the process only when the standard
variables say where:

- OTEL_TRACES_EXPORTER=otlp, or unset with OTEL_EXPORTER_OTLP_ENDPOINT (or
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set: OTLP to a collector, over OTEL_EXPORTER_OTLP_PROTOCOL
  (`grpc`, or `http/protobuf`, the specification's default); the exporter reads the endpoint,
  headers, certificate and timeout variables itself;
- OTEL_TRACES_EXPORTER=console: printed;
- otherwise (or `none`): nothing is set up and nothing changes.

OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the process (Resource.create reads them);
without them the service is the one the command passes (warroom, warroom-worker, warroom-gateway).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter


def exporter_name(env: Mapping[str, str]) -> str:
    """`otlp`, `console` or `none`, by the standard variables."""
    chosen = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if chosen:
        return chosen if chosen in ("otlp", "console") else "none"
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return "otlp" if endpoint else "none"


def span_exporter(env: Mapping[str, str]) -> SpanExporter | None:
    """The exporter the variables ask for; OTLP's modules are imported only when asked for (grpc is heavy)."""
    name = exporter_name(env)
    if name == "console":
        return ConsoleSpanExporter()
    if name != "otlp":
        return None
    protocol = (env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "http/protobuf").strip().lower()
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    return HttpExporter()


def tracer_provider(service: str, env: Mapping[str, str] | None = None) -> TracerProvider | None:
    """A provider exporting to what the variables name, or None when they name nothing."""
    env = os.environ if env is None else env
    exporter = span_exporter(env)
    if exporter is None:
        return None
    named = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": service}  # the variable wins
    provider = TracerProvider(resource=Resource.create(named))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure_tracing(service: str) -> None:
    """The one setup path, called once at a command's start: the global provider, when configured."""
    provider = tracer_provider(service)
    if provider is not None:
        trace.set_tracer_provider(provider)
