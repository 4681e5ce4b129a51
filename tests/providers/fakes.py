"""A local HTTP server for provider tests: records every request and answers through a function
the test gives it (the service's documented answers). Plain http.server in a thread, no mocks."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[Request], Answer]


class FakeService:
    """`with FakeService(respond) as service:` serves on 127.0.0.1 at `service.url`."""

    def __init__(self, respond: Responder):
        self.respond = respond
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with service._lock:
                    service.requests.append(request)
                try:
                    answer = service.respond(request)
                except Exception as exc:  # a failed check in the responder: make it visible
                    answer = Answer(599, {"fake_server_error": repr(exc)})
                    service.errors.append(repr(exc))
                if isinstance(answer.body, (dict, list)):
                    payload, kind = json.dumps(answer.body).encode(), "application/json"
                elif answer.body is None:
                    payload, kind = b"", "text/plain"
                else:
                    payload, kind = str(answer.body).encode(), "text/plain; charset=utf-8"
                self.send_response(answer.status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.errors: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        assert not self.errors, f"the fake service's checks failed: {self.errors}"

    def seen(self) -> list[Request]:
        with self._lock:
            return list(self.requests)
