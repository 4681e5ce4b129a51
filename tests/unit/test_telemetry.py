"""OTLP trace export by the standard OTEL_* variables: a real exporter posting to a local HTTP
collector (it checks the path and the protobuf content type OTLP/HTTP uses), and nothing at all
when no variable names an exporter."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

from warroom.telemetry import exporter_name, span_exporter, tracer_provider


class Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["content-length"]))
        Collector.received.append((self.path, self.headers["content-type"], body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_an_otlp_endpoint_exports_spans_to_the_collector(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        provider = tracer_provider("warroom-gateway")
        assert provider is not None
        with provider.get_tracer("test").start_as_current_span("POST /v1/alerts/alertmanager"):
            pass
        assert provider.force_flush(10_000)
        provider.shutdown()
    finally:
        server.shutdown()
        server.server_close()
    [(path, content_type, body)] = Collector.received
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    assert b"POST /v1/alerts/alertmanager" in body and b"warroom-gateway" in body


def test_the_standard_variables_choose_the_exporter():
    assert exporter_name({}) == "none" and span_exporter({}) is None and tracer_provider("w", {}) is None
    assert exporter_name({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}) == "none"
    assert exporter_name({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}) == "otlp"
    assert exporter_name({"OTEL_TRACES_EXPORTER": "OTLP"}) == "otlp"
    assert exporter_name({"OTEL_TRACES_EXPORTER": "console"}) == "console"
    assert isinstance(span_exporter({"OTEL_TRACES_EXPORTER": "otlp"}), HttpExporter)  # the specification's default
    grpc = span_exporter({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    assert type(grpc).__module__.endswith("proto.grpc.trace_exporter")
