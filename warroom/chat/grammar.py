"""`/incident <verb> …` is parsed by the very CLI that parses `warroom <verb> …` (no second
implementation of a verb): the CLI runs in chat mode, where instead of connecting to Temporal it
hands its work to the caller, and its errors become the chat's answer."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client

from warroom.cli.app import app
from warroom.cli.incident import Deferred
from warroom.cli.output import CHAT, ChatMode, Rejected
from warroom.policy import Policy

VERBS = ("declare", "ack", "sev", "role", "status", "update", "note", "flag", "escalate", "resolve", "comms",
         "review", "show", "list", "action")
TAKES_ID_FIRST = ("ack", "sev", "role", "status", "update", "note", "flag", "escalate", "resolve", "show")
_INCIDENT = re.compile(r"^(?:inc-?)?[0-9a-hjkmnp-tv-z]{5}$", re.IGNORECASE)
_CHANNEL = re.compile(r"^inc-([0-9a-hjkmnp-tv-z]{5})(?:-|$)")
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


class ChatError(Exception):
    """Something to tell the person who typed the command (usage, refusal)."""


@dataclass(frozen=True)
class Parsed:
    verb: str
    work: Callable[[Client], Awaitable[Any]]


def _handle(word: str, policy: Policy) -> str:
    """A Slack mention `<@U0BOB0002|bob>` as the roster handle it stands for."""
    mention = _MENTION.match(word)
    if not mention:
        return word
    person = policy.roster.by_slack_id(mention.group(1))
    return person.handle if person else word


def help_text() -> str:
    import typer.main

    group = typer.main.get_command(app)
    lines = ["Usage: /incident <verb> [arguments] — the same verbs and options as the `warroom` CLI:"]
    for name in VERBS:
        command = group.commands[name]  # type: ignore[attr-defined]
        lines.append(f"• {name} — {(command.help or '').splitlines()[0]}")
    lines.append("Add --help after a verb for its options, e.g. /incident update --help.")
    return "\n".join(lines)


def parse(text: str, actor: str, policy: Policy, task_queue: str, channel_name: str = "") -> Parsed | str:
    """The work a slash command asks for, or a text to answer at once (help); ChatError else."""
    try:
        words = [_handle(word, policy) for word in shlex.split(text)]
    except ValueError as exc:
        raise ChatError(f"cannot read the command: {exc}") from None
    if not words or words[0] in ("help", "--help", "-h"):
        return help_text()
    verb = words[0].lower()
    if verb not in VERBS:
        raise ChatError(f"unknown verb {verb!r}; /incident help lists them")
    if verb == "review" and "submit" in words:
        raise ChatError("submit the review document with the CLI: warroom review submit ID --file review.md")
    in_channel = _CHANNEL.match(channel_name or "")
    if in_channel and verb in TAKES_ID_FIRST and (len(words) < 2 or not _INCIDENT.match(words[1])) and "--help" not in words:
        words.insert(1, in_channel.group(1))  # in an incident's channel, the incident is implied
    token = CHAT.set(ChatMode(actor, policy, task_queue))
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            app(args=[verb, *words[1:]], prog_name="/incident", standalone_mode=False)
    except Deferred as deferred:
        return Parsed(verb=verb, work=deferred.work)
    except Rejected as exc:
        raise ChatError(str(exc)) from None
    except Exception as exc:  # typer's (vendored click's) usage errors, matched by shape
        if hasattr(exc, "format_message"):
            raise ChatError(" ".join(exc.format_message().split())) from None
        raise
    finally:
        CHAT.reset(token)
    return out.getvalue().strip() or "done"
