"""Every JSON body the gateway takes is held to warroom.limits before a route parses it: FastAPI's
parser would recurse into 1 000 nested arrays or convert a 5 000-digit number and crash (a 500),
where the caller deserves a 400 naming the body. The alert routes and chat parse their own raw
bodies (they sign them) with the same limits; this guards the REST API and the web forms' JSON."""

from __future__ import annotations

import json
from typing import Any

from warroom import limits

MAX_BODY = 1_048_576  # a review document is at most 200 000 characters
OWN_PARSERS = ("/v1/alerts/", "/v2/enqueue", "/v1/chat/", "/v1/heartbeat/")


class BoundedJson:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH") \
                or scope["path"].startswith(OWN_PARSERS) or not _json(scope):
            await self.app(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # a disconnect: let the app see it
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > MAX_BODY:
                await _refuse(send, 413, f"body larger than {MAX_BODY} bytes")
                return
        body = b"".join(chunks)
        if body.strip():
            try:
                limits.loads(body)
            except limits.Unacceptable as exc:
                await _refuse(send, 400, f"body: {exc}")
                return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _json(scope: dict[str, Any]) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


async def _refuse(send: Any, status: int, message: str) -> None:
    payload = json.dumps({"error": message, "errors": [{"field": "body", "message": message}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
