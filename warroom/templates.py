"""Message templates (Jinja2, StrictUndefined): a template that needs a field nobody gave is
refused naming the field, before anything is recorded or sent.

Templates travel inside the incident's policy snapshot, so rendering is a pure function that the
workflow may call, and an edited file never changes a message under a running incident.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

REQUIRED = (
    "internal_update", "customer_update", "customer_resolution", "executive_update", "stakeholder_notice", "review",
)
_UNDEFINED = re.compile(r"'(?:[^']*\s)?([A-Za-z_][A-Za-z0-9_]*)' is undefined")


class MissingField(Exception):
    def __init__(self, template: str, field: str):
        super().__init__(f"{template}: the field {field!r} is missing")
        self.template, self.field = template, field


@lru_cache(maxsize=256)
def _compile(source: str) -> jinja2.Template:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)
    return environment.from_string(source)


def render(name: str, source: str | None, context: dict[str, object]) -> str:
    """Render `source`; without one (a snapshot older than templates) list the fields plainly."""
    if source is None:
        return "\n".join(f"{key}: {value}" for key, value in context.items())
    try:
        return _compile(source).render(**context).strip()
    except jinja2.UndefinedError as exc:
        found = _UNDEFINED.search(str(exc))
        raise MissingField(name, found.group(1) if found else str(exc)) from None


def load_directory(directory: Path) -> tuple[dict[str, str], list[str]]:
    """`<name>.md.j2` files -> {name: source}; syntax errors as `file:line: message` problems."""
    templates: dict[str, str] = {}
    problems: list[str] = []
    for file in sorted(directory.glob("*.j2")):
        source = file.read_text(encoding="utf-8")
        try:
            _compile(source)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{file}:{exc.lineno}: template syntax: {exc.message}")
            continue
        templates[file.name.split(".")[0]] = source
    return templates, problems
