"""How every CLI command speaks: results on stdout (JSON with --json), errors on stderr in one
line, exit 0 for success, 1 for a refused or failed command, 2 for a usage error. Standard
library only: the CLI's start-up time is import time."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

REFUSED = 1
USAGE = 2


class CliError(Exception):
    """A failure to report as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = REFUSED):
        super().__init__(" ".join(str(message).split()))
        self.code = code


def fail(message: str, code: int = REFUSED) -> NoReturn:
    raise CliError(message, code)


def emit_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def warn(message: str) -> None:
    print(f"warroom: warning: {message}", file=sys.stderr)
