"""The bounds every input is held to at the edge, before anything acts on it: JSON depth and
number size (Python's parser recurses, and its int conversion refuses 4 300+ digits, both as
crashes rather than answers), text that UTF-8 can carry (a JSON `\\ud800` escape is a lone
surrogate no database, template or e-mail can encode), Unix-time headers, instants and due dates
(durations are bounded where they are read: warroom.durations).
Each check raises `Unacceptable` naming what is wrong; the front-ends turn it into a 4xx naming
the field. Pure and stdlib only: the CLI imports it too."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

MAX_DEPTH = 32  # no alert format, chat payload or API body nests deeper than a dozen levels
MAX_NUMBER_CHARS = 32  # ample for any id, count or epoch in milliseconds
MAX_UNIX_DIGITS = 12  # seconds until the year 33658
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no incident warroom handles started before this
AHEAD = timedelta(days=366)  # instants later than a year from now are typos or attacks
DUE_AHEAD = timedelta(days=5 * 366)  # action items' due dates

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class Unacceptable(ValueError):
    """An input outside the bounds: its message names what and why."""


def check_depth(body: bytes) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH, without parsing it (strings cannot nest)."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b'""', body)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            raise Unacceptable(f"JSON nested deeper than {MAX_DEPTH} levels")


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise Unacceptable(f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
        return kind(text)
    return parse


def _constant(name: str) -> Any:
    raise Unacceptable(f"{name} is not JSON")


def loads(body: bytes | str) -> Any:
    """json.loads within the bounds; Unacceptable (a ValueError) for anything outside them."""
    raw = body.encode() if isinstance(body, str) else body
    check_depth(raw)
    try:
        data = json.loads(raw, parse_int=_number(int), parse_float=_number(float), parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise Unacceptable(f"not JSON: {exc}") from None
    except UnicodeDecodeError:
        raise Unacceptable("not UTF-8") from None
    check_text(data)
    return data


def check_text(value: Any, where: str = "body") -> None:
    """Every string (keys too) encodable as UTF-8: no lone surrogates."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Unacceptable(f"{where}: text that is not valid Unicode (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, where)
            check_text(item, f"{where}.{key}" if isinstance(key, str) and key.isidentifier() else where)
    elif isinstance(value, list):
        for item in value:
            check_text(item, where)


def unix_seconds(stamp: str) -> int:
    """A Unix-time header, checked by length before any arithmetic (a 300-digit one overflows a float)."""
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > MAX_UNIX_DIGITS:
        raise Unacceptable("timestamp is not a Unix time in seconds")
    return int(stamp)


def sane_instant(value: datetime) -> datetime:
    """An instant between 2000-01-01 and a year from now, held in UTC (also for +14:00 at year 1)."""
    try:
        moment = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is outside the years a datetime can hold") from None
    if not EARLIEST <= moment <= datetime.now(UTC) + AHEAD:
        raise ValueError(f"{value.isoformat()} is not between {EARLIEST:%Y-%m-%d} and a year from now")
    return moment


def sane_due(value: date, today: date | None = None) -> date:
    """A due date a person means: from 2000 on, and within five years (the item's workflow turns
    it into the end of a business day; year 1 or 9999 cannot be)."""
    if not EARLIEST.date() <= value <= (today or datetime.now(UTC).date()) + DUE_AHEAD:
        raise ValueError(f"{value.isoformat()} is not between {EARLIEST:%Y-%m-%d} and five years from now")
    return value


MAX_URL = 2048


def web_url(value: object) -> bool:
    """An http(s) URL with a host, of a length a browser and a chat message take."""
    if not isinstance(value, str) or len(value) > MAX_URL or not value.isprintable():
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an invalid IPv6 host
        return False


def web_links(links: tuple[str, ...]) -> tuple[str, ...]:
    """An alert's links, those a responder can open: a `javascript:` or broken one is dropped, not
    the alert (refusing an alert for a bad link would lose the page it carries)."""
    return tuple(link for link in links if web_url(link))
