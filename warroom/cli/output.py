"""How every CLI command speaks: results on stdout (JSON with --json), errors on stderr in one
line, exit 0 for success, 1 for a refused or failed command, 2 for a usage error."""

from __future__ import annotations

import json
import sys
from contextvars import ContextVar
from typing import Any, NoReturn

import typer
from pydantic import BaseModel, ValidationError

REFUSED = 1
USAGE = 2


class ChatMode:
    """Set while chat parses a slash command with this very CLI (warroom.chat.grammar): errors
    are raised to the chat instead of printed, `run` hands its work over instead of doing it, and
    the gateway's own policy and task queue stand in for the files and environment."""

    def __init__(self, actor: str, policy: Any, task_queue: str):
        self.actor, self.policy, self.task_queue = actor, policy, task_queue


CHAT: ContextVar[ChatMode | None] = ContextVar("warroom_chat_mode", default=None)


class Rejected(Exception):
    """A failure while parsing for chat: the message the CLI would have printed, and its code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = REFUSED) -> NoReturn:
    """Print `warroom: <message>` as one line on stderr and exit with `code`."""
    one_line = " ".join(str(message).split())
    if CHAT.get() is not None:
        raise Rejected(one_line, code)
    print(f"warroom: {one_line}", file=sys.stderr)
    raise typer.Exit(code)


def invalid(exc: ValidationError) -> NoReturn:
    """A command whose fields are wrong: name each field, exit 2 (the caller's usage)."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "input"
        parts.append(f"{field}: {error['msg'].removeprefix('Value error, ')}")
    fail("; ".join(parts), USAGE)


def emit_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    else:
        text = json.dumps(_plain(value), indent=2, default=str)
    print(text)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
