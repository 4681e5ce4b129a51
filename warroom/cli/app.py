"""The `warroom` command. The incident verbs are generated from the verb table (warroom.verbs) and
go through the REST API with a token you hold (warroom.cli.client); the process commands (`up`,
`worker`, `serve`), the operator's files (`token`, `outbox`, `policy check|simulate`,
`config check`) and `login` are in warroom.cli.local and import what they need when they run.
So `warroom --help` and `warroom ack` load typer, the table and http.client, nothing heavier.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from warroom import __version__
from warroom.cli import local
from warroom.cli.output import USAGE, CliError, emit_json, warn
from warroom.verbs import GROUPS, VERBS, Param, UsageError, Verb, choose

app = typer.Typer(
    name="warroom",
    help="Incident command for software teams, on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_TYPES: dict[str, Any] = {
    "flag": bool,
    "many": list[str] | None,
    "words": list[str] | None,
    "file": Path | None,
    "number": int | None,
}


def _version(value: bool) -> None:
    if value:
        print(f"warroom {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="print the version and exit", callback=_version,
                                          is_eager=True)] = False,
) -> None:
    """Incident command for software teams, on Temporal."""


def _parameter(param: Param) -> inspect.Parameter:
    kind = _TYPES.get(param.kind, str | None)
    choices = f" ({' | '.join(param.choices)})" if param.choices and param.choices[0] not in param.help else ""
    help_text = param.help + choices
    if param.positional:
        info: Any = typer.Argument(help=help_text, show_default=False)
        default: Any = ... if param.required else None
    else:
        info = typer.Option(param.flag, help=help_text, show_default=param.default is not None)
        default = False if param.kind == "flag" else (... if param.required else param.default)
    return inspect.Parameter(param.name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[kind, info],
                             default=default)


def _subject(verb: Verb) -> list[inspect.Parameter]:
    if verb.subject == "none":
        return []
    what = "incident id, e.g. INC-7K2QD (case and prefix optional)" if verb.subject == "incident" \
        else "action item id, e.g. INC-7K2QD-A1"
    return [inspect.Parameter("subject_", inspect.Parameter.KEYWORD_ONLY, default=..., annotation=Annotated[
        str, typer.Argument(metavar=verb.subject.upper(), help=what, show_default=False)])]


def _extras(verb: Verb) -> list[inspect.Parameter]:
    found = []
    if verb.previewable:
        found.append(inspect.Parameter("preview_", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
            bool, typer.Option("--preview", help="render the message without sending or recording it")]))
    found.append(inspect.Parameter("as_", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        str | None, typer.Option("--as", help="which of your tokens acts [default: $WARROOM_USER, then your "
                                                  "login's default]", show_default=False)]))
    found.append(inspect.Parameter("json_", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
        bool, typer.Option("--json", help="print JSON for scripts")]))
    return found


def _body(verb: Verb, values: dict[str, Any]) -> dict[str, Any]:
    """Typed-in values as the REST body: choices checked and spelt as the table does, files read."""
    body: dict[str, Any] = {}
    for param in verb.params:
        value = values.get(param.name)
        if value is None or value is False or value == []:
            continue
        if param.choices:
            try:
                value = choose(param, str(value))
            except UsageError as exc:
                raise CliError(str(exc), USAGE) from None
        if param.kind == "file":
            value = _read_text(Path(value), param)
        body[param.name] = value
    return body


def _read_text(path: Path, param: Param) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{param.flag}: {path}: no such file", USAGE) from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{param.flag}: {path} is not UTF-8 text (byte {exc.start})", USAGE) from None
    except OSError as exc:
        raise CliError(f"{param.flag}: {path}: {exc.strerror}", USAGE) from None


def _command(verb: Verb) -> Any:
    def run(**values: Any) -> None:
        from warroom.cli import client

        subject, preview, as_json = values.pop("subject_", None), values.pop("preview_", False), values.pop("json_")
        login = client.resolve(values.pop("as_"), anyone=verb.read)
        following = None
        if verb.read:
            query = {p.name: values.get(p.name) for p in verb.params}
            if verb.name == "list":
                result, following = client.page(login, verb.path(subject), query)
            else:
                result = client.request(login, "GET", verb.path(subject), query=query)
        else:
            path = verb.path(subject) + ("/preview" if preview else "")
            result = client.request(login, "POST", path, body=_body(verb, values))
        _show(verb, result, as_json, preview, login.url)
        if following:  # on stderr: stdout stays the table, or with --json the list, as one page
            print(f"more: the same command with --page-token {following} prints the next page", file=sys.stderr)

    run.__signature__ = inspect.Signature([*_subject(verb), *map(_parameter, verb.params), *_extras(verb)])  # type: ignore[attr-defined]
    run.__doc__ = f"{verb.help}\n\nWho may: {verb.who}."
    run.__name__ = verb.words[-1]
    return run


def _show(verb: Verb, result: Any, as_json: bool, preview: bool, url: str) -> None:
    from warroom.cli import present

    if as_json:
        emit_json(result)
    elif preview:
        print(result["preview"])
    elif verb.name == "declare":
        print(result["incident_id"])
    elif verb.name == "action add":
        print(result["id"])
    elif verb.name == "show":
        present.incident(result)
    elif verb.name == "list":
        present.incidents(result)
    elif verb.name == "action list":
        present.items(result)
    elif verb.name == "report":
        present.report(result)
    elif verb.name == "review draft":
        print(result)
    elif verb.name == "review show":
        present.review(result)
    elif verb.name == "gameday list":
        present.exercises(result)
    elif verb.name == "gameday roster":
        present.game_day_roster(result)
    elif verb.name == "gameday debrief":
        present.debrief(result)
    elif verb.name in ("oncall now", "oncall next"):
        present.on_call(result, "on call now" if verb.name == "oncall now" else "next shift")
    elif verb.name == "oncall overrides":
        present.overrides(result)
    elif verb.name == "oncall feed":
        present.feeds(result, url)
    elif verb.name in ("gameday run", "gameday schedule", "oncall override"):
        print(f"{result['id']}: {result['message']}")
    elif "incident_id" in result:
        print(f"{result['incident_id']}: {result['message']}")
    else:
        print(f"{result['id']}: {result['history'][-1]['text']}")
    if isinstance(result, dict):
        for warning in result.get("warnings") or ():
            warn(warning)


def _build() -> None:
    groups: dict[str, typer.Typer] = {}
    for verb in VERBS:
        target = app
        if len(verb.words) == 2:
            group = verb.words[0]
            if group not in groups:
                groups[group] = typer.Typer(help=GROUPS[group], no_args_is_help=True)
                app.add_typer(groups[group], name=group)
            target = groups[group]
        target.command(verb.words[-1])(_command(verb))
    local.register(app, groups.setdefault("policy", typer.Typer(help=GROUPS["policy"], no_args_is_help=True)))


_build()


def main() -> None:
    """Run the CLI and leave with os._exit: the Temporal SDK can abort at interpreter exit after
    the work is done (temporalio/sdk-python#300), which would turn a success into exit 134."""
    code = 0
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except CliError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        code = exc.code
    except KeyboardInterrupt:
        print("warroom: interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # typer vendors click: match its exceptions by shape, not by import
        if hasattr(exc, "format_message"):  # usage errors and other click errors
            print(f"warroom: {' '.join(exc.format_message().split())} (see --help)", file=sys.stderr)
            code = getattr(exc, "exit_code", USAGE)
        elif isinstance(getattr(exc, "exit_code", None), int):  # typer.Exit
            code = exc.exit_code
        elif type(exc).__name__ == "Abort":
            print("warroom: interrupted", file=sys.stderr)
            code = 130
        else:
            print(f"warroom: internal error ({type(exc).__name__}: {' '.join(str(exc).split())}); please report it",
                  file=sys.stderr)
            code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
