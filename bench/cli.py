"""How fast the CLI answers: import time of the CLI module (what `--help` and every verb pay
before doing anything) and wall time of whole commands against a running `warroom up`, beside the
Temporal CLI's `temporal workflow list` against the same server as the reference.

    .venv/bin/python bench/cli.py [--runs 7]

Starts its own `warroom up` on free ports in a temporary data dir, declares one incident, then
times each command `--runs` times and prints the median and the slowest. Nothing is asserted:
timing goals live here, not in the tests.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def import_time_ms() -> float:
    """Cumulative import time of warroom.cli.app, as `python -X importtime` reports it."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import warroom.cli.app"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    line = [row for row in done.stderr.splitlines() if row.rstrip().endswith("warroom.cli.app")][-1]
    return int(re.split(r"\s*\|\s*", line)[1]) / 1000


def heavy_modules() -> str:
    probe = "import sys, warroom.cli.app; print(sorted(m for m in ('temporalio', 'pydantic', 'warroom.brain', " \
            "'fastapi', 'httpx') if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def wall_ms(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - began) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    rows: list[tuple[str, list[float]]] = [("import warroom.cli.app", [import_time_ms() for _ in range(runs)])]
    with tempfile.TemporaryDirectory() as data:
        ports = {name: free_port() for name in ("temporal", "ui", "http")}
        env = {**os.environ, "WARROOM_DATA_DIR": data, "WARROOM_TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}"}
        up = subprocess.Popen(
            [str(BIN / "warroom"), "up", "--temporal-port", str(ports["temporal"]), "--ui-port", str(ports["ui"]),
             "--http-port", str(ports["http"])], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        try:
            for line in up.stdout:  # type: ignore[union-attr]
                if line.startswith("Ctrl-C"):
                    break
            declared = subprocess.run([str(BIN / "warroom"), "declare", "sev2", "payments", "Bench", "--as", "erin"],
                                      cwd=ROOT, env=env, capture_output=True, text=True, check=True)
            incident = declared.stdout.strip()
            commands = {
                "warroom --help": [str(BIN / "warroom"), "--help"],
                "warroom note ID TEXT --as judy": [str(BIN / "warroom"), "note", incident, "bench", "--as", "judy"],
                "warroom show ID --json": [str(BIN / "warroom"), "show", incident, "--json"],
                "warroom list --json": [str(BIN / "warroom"), "list", "--json"],
                "temporal workflow list (reference)": [str(BIN / "temporal"), "workflow", "list", "--address",
                                                       env["WARROOM_TEMPORAL_ADDRESS"], "--limit", "10"],
            }
            for name, command in commands.items():
                rows.append((name, [wall_ms(command, env) for _ in range(runs)]))
        finally:
            up.send_signal(signal.SIGTERM)
            up.wait(timeout=60)
    print(f"{'what':<38} {'median ms':>10} {'max ms':>8}")
    for name, values in rows:
        print(f"{name:<38} {statistics.median(values):>10.0f} {max(values):>8.0f}")
    print(f"modules the CLI loads of temporalio, pydantic, warroom.brain, fastapi, httpx: {heavy_modules()}")
    print(f"({runs} runs each on {os.cpu_count()} cores; reproduce: .venv/bin/python bench/cli.py --runs {runs})")


if __name__ == "__main__":
    main()
