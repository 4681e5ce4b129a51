"""The `warroom` command: typer sub-apps per concern, one entry point that owns exit codes."""

from __future__ import annotations

import os
import sys

import typer

from warroom.cli import actions, incident, policy, report, runtime

app = typer.Typer(
    name="warroom",
    help="Incident command for software teams, on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(policy.app, name="policy")
app.add_typer(__import__("warroom.cli.configcmd", fromlist=["app"]).app, name="config")  # warroom config check
incident.register(app)
app.add_typer(actions.app, name="action")
report.register(app)
runtime.register(app)


def main() -> None:
    """Run the CLI and leave with os._exit: the Temporal SDK can abort at interpreter exit after
    the work is done (temporalio/sdk-python#300), which would turn a success into exit 134."""
    code = 0
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except KeyboardInterrupt:
        print("warroom: interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # typer vendors click: match its exceptions by shape, not by import
        if hasattr(exc, "format_message"):  # usage errors and other click errors
            print(f"warroom: {' '.join(exc.format_message().split())} (see --help)", file=sys.stderr)
            code = getattr(exc, "exit_code", 2)
        elif isinstance(getattr(exc, "exit_code", None), int):  # typer.Exit
            code = exc.exit_code
        elif type(exc).__name__ == "Abort":
            print("warroom: interrupted", file=sys.stderr)
            code = 130
        else:
            raise
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
