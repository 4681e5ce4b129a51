"""The CLI never prints a traceback (issue 15, item 3): over a corpus of bad inputs, each answer is
one line on stderr starting `warroom:`, exit 1 (refused or unreachable) or 2 (a bad field), and
nothing on stdout. No server is running: what the CLI checks itself is checked before it calls,
and the call itself fails cleanly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

WARROOM = Path(__file__).parents[2] / ".venv" / "bin" / "warroom"
RUNBOOKS = Path(__file__).parents[2] / "runbooks"

CORPUS = [
    ["report", "--since", "1000000d"],
    ["review", "submit", "INC-AAAAA", "--file", "{bad_utf8}"],
    ["review", "submit", "INC-AAAAA", "--file", "/nonexistent/review.md"],
    ["update", "INC-AAAAA", "--impact", "a", "--theory", "b", "--next-steps", "c", "--next", "99999999999999999999h"],
    ["declare", "--sev", "SEV1", "--service", "payments", "x", "--detected-at", "0001-01-01T00:00:00+14:00"],
    ["declare", "--sev", "SEV9", "--service", "payments", "x"],
    ["action", "add", "INC-AAAAA", "fix", "--owner", "bob", "--due", "0001-01-01"],
    ["action", "snooze", "INC-AAAAA-A1", "--until", "31/12/9999", "--reason", "x"],
    ["check", "INC-AAAAA", "abc"],
    ["show", "../../etc/passwd"],
    ["policy", "simulate", "--sev", "SEV1", "--until", "99999999999999999999999h"],
    ["policy", "simulate", "--sev", "SEV1", "--start", "0001-01-01T00:00:00+14:00"],
    ["policy", "simulate", "--sev", "SEV1", "--start", "9999-12-31T23:59:59-14:00"],
    ["policy", "simulate", "--sev", "SEV1", "--scenario", "{bad_utf8}"],
    ["policy", "simulate", "--sev", "SEV1", "--scenario", "{not_a_list}"],
    ["no-such-verb"],
]


@pytest.mark.parametrize("args", CORPUS, ids=[" ".join(a)[:60] for a in CORPUS])
def test_bad_input_is_one_line_on_stderr_and_exit_1_or_2(args: list[str], tmp_path: Path) -> None:
    bad_utf8, not_a_list = tmp_path / "bad.md", tmp_path / "scenario.yaml"
    bad_utf8.write_bytes(b"\xff\xfe not UTF-8 \x80")
    not_a_list.write_text("at: 5m\nevent: ack\n")
    argv = [a.format(bad_utf8=bad_utf8, not_a_list=not_a_list) for a in args]
    env = {**os.environ, "WARROOM_URL": "http://127.0.0.1:9", "WARROOM_TOKEN": "wr_nobody_x",
           "WARROOM_RUNBOOKS": str(RUNBOOKS)}
    result = subprocess.run([str(WARROOM), *argv], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.returncode in (1, 2), (argv, result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: "), result.stderr
    assert result.stdout == ""
