"""`/incident <verb> …`: chat's words read against the verb table (warroom.verbs) into the command
they stand for, acted by the person chat authenticated. The grammar is the CLI's words and
options (`/incident update 7k2qd --impact … --next 30m`); it shares the table with the CLI and
the REST API, not their parsers. Nothing runs here: `parse` returns a value the desk carries out.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Any

from warroom.commands import Command
from warroom.model import Origin
from warroom.policy import Policy
from warroom.requests import Invalid, build
from warroom.verbs import VERBS, UsageError, Verb, find, parse_words

_INCIDENT = re.compile(r"^(?:inc-?)?[0-9a-hjkmnp-tv-z]{5}$", re.IGNORECASE)
_CHANNEL = re.compile(r"^inc-([0-9a-hjkmnp-tv-z]{5})(?:-|$)")
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


class ChatError(Exception):
    """Something to tell the person who typed the command (usage, a bad field)."""


@dataclass(frozen=True)
class ChatRequest:
    verb: Verb
    subject: str | None
    command: Any = None  # the command a mutating verb stands for
    query: dict[str, Any] = field(default_factory=dict)  # a read's parameters
    preview: bool = False
    request_id: str | None = None  # the signed request's identity: a replay is applied once

    def sent(self, through: Origin, request_id: str | None) -> ChatRequest:
        """As the chat that authenticated it sent it: the command marked with its origin."""
        command = self.command.model_copy(update={"through": through}) if isinstance(self.command, Command) \
            else self.command
        return replace(self, command=command, request_id=request_id)


def help_text() -> str:
    lines = ["Usage: /incident <verb> [arguments] — the same verbs and options as the `warroom` CLI:"]
    for verb in VERBS:
        if verb.chat:
            lines.append(f"• {verb.name} — {verb.help.split('. ')[0].rstrip('.')}")
    lines.append("Add --help after a verb for its options, e.g. /incident update --help.")
    return "\n".join(lines)


def usage(verb: Verb) -> str:
    subject = f" {verb.subject.upper()}" if verb.subject != "none" else ""
    positionals = "".join(f" {p.name.upper()}{'…' if p.kind == 'words' else ''}" for p in verb.positionals)
    lines = [f"/incident {verb.name}{subject}{positionals} — {verb.help}", f"Who: {verb.who}."]
    for param in verb.options:
        value = "" if param.kind == "flag" else " VALUE"
        choices = f" ({' | '.join(param.choices)})" if param.choices else ""
        lines.append(f"  {param.flag}{value}: {param.help}{choices}{' (required)' if param.required else ''}")
    if verb.previewable:
        lines.append("  --preview: render the message without sending or recording it")
    return "\n".join(lines)


def parse(text: str, actor: str, policy: Policy, channel_name: str = "") -> ChatRequest | str:
    """The request a slash command stands for, or a text to answer at once (help); ChatError else."""
    try:
        words = [_handle(word, policy) for word in shlex.split(text)]
    except ValueError as exc:
        raise ChatError(f"cannot read the command: {exc}") from None
    if not words or words[0].lower() in ("help", "--help", "-h"):
        return help_text()
    found = find(words)
    if found is None:
        raise ChatError(f"unknown verb {words[0].lower()!r}; /incident help lists them")
    verb, rest = found
    if "--help" in rest or "-h" in rest:
        return usage(verb)
    if not verb.chat:
        raise ChatError(f"`{verb.name}` is not offered in chat: use the CLI (warroom {verb.name} --help) or the web")
    in_channel = _CHANNEL.match(channel_name or "")
    if in_channel and verb.subject == "incident" and (not rest or not _INCIDENT.match(rest[0])):
        rest.insert(0, in_channel.group(1))  # in an incident's channel, the incident is implied
    try:
        parsed = parse_words(verb, rest)
        if verb.read:
            return ChatRequest(verb=verb, subject=parsed.subject, query=parsed.body)
        command = build(verb, parsed.body, actor, policy, parsed.subject)
    except (UsageError, Invalid) as exc:
        raise ChatError(f"{exc} (/incident {verb.name} --help)") from None
    return ChatRequest(verb=verb, subject=parsed.subject, command=command, preview=parsed.preview)


def _handle(word: str, policy: Policy) -> str:
    """A Slack mention `<@U0BOB0002|bob>` as the roster handle it stands for."""
    mention = _MENTION.match(word)
    if not mention:
        return word
    person = policy.roster.by_slack_id(mention.group(1))
    return person.handle if person else word
