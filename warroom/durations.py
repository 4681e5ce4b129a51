"""Durations as people write them in policy files and on the command line: `90s`, `30m`, `2h`, `48h`, `14d`.

Compound forms (`1h30m`) are accepted; pydantic's own forms (ISO 8601 `PT30M`, seconds as a
number) still parse, so a serialised model round-trips. Serialised back in the short form.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

LONGEST = timedelta(days=3650)  # longer is a typo, and past it timedelta and datetime overflow
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?[wdhms])+$")


def parse_duration(text: str) -> timedelta:
    """Parse `30m`, `2h`, `1h30m`, `14d`; raise ValueError naming the bad text."""
    compact = text.strip().replace(" ", "")
    if not _WHOLE.match(compact):
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit, e.g. 90s, 30m, 2h, 14d"
        )
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(compact))
    if seconds > LONGEST.total_seconds():
        raise ValueError(f"{text!r} is longer than {LONGEST.days // 365} years")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """An exact short form: 1800s -> `30m`, 5400s -> `1h30m`, 48h -> `48h`, 14d -> `14d`."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    remaining = abs(total)
    if remaining == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m"):
        if unit == "d" and remaining < 3 * _UNITS["d"]:
            continue  # people say 48h, not 2d
        count, remaining = divmod(remaining, _UNITS[unit])
        if count:
            parts.append(f"{int(count)}{unit}")
    if remaining:
        parts.append(f"{remaining:g}s")
    return sign + "".join(parts)


def _coerce(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, (int, float)):
        raise ValueError(f"{value!r} has no unit; write e.g. 90s, 30m, 2h, 14d")
    if isinstance(value, str) and value.strip()[:1].isdigit():
        return parse_duration(value)
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("a duration cannot be negative")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    AfterValidator(_not_negative),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A timedelta field that reads and writes the short form."""
