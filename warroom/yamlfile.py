"""YAML files validated by pydantic, with errors that name the file, the line, the field and the
bad value (a responder fixing a policy at 2 AM needs the line, not a stack trace)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError


class ConfigError(Exception):
    """Invalid configuration files; `problems` holds one line per error."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


Path_ = tuple[str | int, ...]


def _lines(node: yaml.Node, path: Path_, into: dict[Path_, int], problems: list[str], name: str) -> None:
    into[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append(f"{name}:{key.start_mark.line + 1}: {dotted(path + (key.value,))}: key appears twice")
            seen.add(key.value)
            _lines(value, path + (key.value,), into, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _lines(value, path + (index,), into, problems, name)


def dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _read(file: Path, problems: list[str]) -> tuple[Any, dict[Path_, int]]:
    try:
        text = file.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        problems.append(f"{file}: cannot read: {exc.strerror}")
        return None, {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        problems.append(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}")
        return None, {}
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines, problems, str(file))
    return data, lines


def load_model(model: type[BaseModel], file: Path, problems: list[str]) -> tuple[Any, dict[Path_, int]]:
    """Validate a YAML file against `model`, adding `file:line: field: message (got value)` lines
    to `problems`; also return where each field sits, for later cross-checks."""
    data, lines = _read(file, problems)
    if data is None:
        if file.exists() and not problems:
            problems.append(f"{file}: the file is empty")
        return None, lines
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            known = loc
            while known and known not in lines:
                known = known[:-1]
            line = lines.get(known, 1)
            bad = error.get("input")
            got = f" (got {bad!r})" if isinstance(bad, (str, int, float, bool)) or bad is None else ""
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{file}:{line}: {dotted(loc)}: {message}{got}")
        return None, lines
