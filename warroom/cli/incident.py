"""The incident verbs on the command line: thin parsers over warroom.commands."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from pydantic import ValidationError
from temporalio.client import Client

from warroom.cli import render
from warroom.cli.output import CHAT, USAGE, emit_json, fail, invalid
from warroom.cli.policy import load
from warroom.commands import (
    Ack,
    AddNote,
    AssignRole,
    Command,
    Declare,
    Escalate,
    PostUpdate,
    Publish,
    Refused,
    Resolve,
    SetFlag,
    SetSeverity,
    SetStatus,
    SubmitReview,
)
from warroom.temporal import incidents as remote, items as remote_items, report as remote_report
from warroom.config import Settings
from warroom.durations import parse_duration
from warroom.severity import Severity
from warroom.action_items import AddItem
from warroom.review import action_items, blame_warnings
from warroom.temporal.connection import Unavailable, connect

T = TypeVar("T")

Id = Annotated[str, typer.Argument(help="incident id, e.g. INC-7K2QD (case and prefix optional)", show_default=False)]
As = Annotated[
    Optional[str], typer.Option("--as", help="who acts [default: $WARROOM_USER, then your login name]", show_default=False)
]
Json = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def actor(given: str | None) -> str:
    chat = CHAT.get()
    if chat is not None:
        if given:
            fail("--as is not available in chat: you act as yourself", USAGE)
        return chat.actor
    return (given or os.environ.get("WARROOM_USER") or getpass.getuser()).strip().lower()


def task_queue() -> str:
    chat = CHAT.get()
    return chat.task_queue if chat is not None else Settings.from_env().task_queue


class Deferred(Exception):
    """Chat parsed a command with this CLI: here is the work, for the gateway to do itself."""

    def __init__(self, work: Callable[[Client], Awaitable[Any]]):
        super().__init__("deferred to chat")
        self.work = work


def build(model: type[T], **fields: Any) -> T:
    """Construct a command; a shape error exits 2 naming the field."""
    try:
        return model(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        invalid(exc)


def run(work: Callable[[Client], Awaitable[T]]) -> T:
    """Connect, do the work, and turn every failure into one line on stderr and an exit code."""
    if CHAT.get() is not None:
        raise Deferred(work)

    async def main() -> T:
        return await work(await connect(Settings.from_env()))

    try:
        return asyncio.run(main())
    except Refused as exc:
        fail(str(exc))
    except Unavailable as exc:
        fail(str(exc))
    except ValueError as exc:  # an incident id that is not one
        fail(str(exc), USAGE)


def send(incident: str, command: Command, as_json: bool) -> None:
    result = run(lambda client: remote.send(client, incident, command))
    if as_json:
        emit_json(result)
    else:
        print(f"{result.incident_id}: {result.message}")


Preview = Annotated[bool, typer.Option("--preview", help="render the message without sending or recording it")]
Component = Annotated[list[str], typer.Option("--component", help="status-page component [default: the runbook's]")]
Next = Annotated[Optional[str], typer.Option("--next", help="next update: in 30m, or an ISO time [default: the cadence]")]


def next_update(text: str | None) -> dict[str, Any]:
    """`--next 30m` or `--next 2026-11-28T14:30:00+00:00` as the command's fields."""
    if not text:
        return {}
    try:
        return {"next_update_in": parse_duration(text)}
    except ValueError:
        try:
            return {"next_update_at": datetime.fromisoformat(text)}
        except ValueError:
            fail(f"--next: {text!r} is neither a duration (30m) nor an ISO time", USAGE)


def send_or_preview(incident: str, command: Publish | PostUpdate, preview: bool, as_json: bool) -> None:
    if not preview:
        send(incident, command, as_json)
        return
    text = run(lambda client: remote.preview(client, incident, command))
    if as_json:
        emit_json({"preview": text})
    else:
        print(text)


def _is_severity(word: str) -> bool:
    try:
        Severity.parse(word)
    except ValueError:
        return False
    return True


def register(app: typer.Typer) -> None:
    """Add the incident verbs to the root `warroom` command."""

    @app.command()
    def declare(
        words: Annotated[
            list[str],
            typer.Argument(help="[SEVERITY] [SERVICE] TITLE…: `sev1 payments Checkout failing`", show_default=False),
        ],
        sev: Annotated[
            Optional[list[str]],
            typer.Option("--sev", help="SEV1..SEV4; repeat when unsure, the highest is taken (R-SEV-5)"),
        ] = None,
        service: Annotated[Optional[str], typer.Option(help="a service with a runbook under runbooks/services/")] = None,
        detected_at: Annotated[Optional[datetime], typer.Option(help="when it was detected [default: now]")] = None,
        game_day: Annotated[bool, typer.Option(help="an exercise: nothing reaches real customers")] = False,
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Declare an incident; prints its id. `declare sev1 payments Checkout failing` and
        `declare --sev SEV1 --service payments "Checkout failing"` say the same."""
        if detected_at is not None and detected_at.tzinfo is None:
            fail("--detected-at needs a time zone, e.g. 2026-11-28T02:14:00+00:00", USAGE)
        policy = load(None)
        words = list(words)
        severities = list(sev or [])
        if not severities and words and _is_severity(words[0]):
            severities.append(words.pop(0))
        if service is None and words and words[0] in policy.runbooks:
            service = words.pop(0)
        if not severities:
            fail("give a severity: --sev SEV1..SEV4, or as the first word", USAGE)
        if service is None:
            fail(f"give a service ({', '.join(sorted(policy.runbooks))}): --service, or as the word after the severity", USAGE)
        command = build(
            Declare, actor=actor(as_), title=" ".join(words), service=service, severity=severities[0],
            unclear=tuple(severities[1:]), detected_at=detected_at, game_day=game_day,
        )
        queue = task_queue()
        result = run(lambda client: remote.declare(client, policy, command, queue))
        if as_json:
            emit_json(result)
        else:
            print(result.incident_id)

    @app.command()
    def ack(incident: Id, as_: As = None, as_json: Json = False) -> None:
        """Acknowledge: you are on it (R-F15-7)."""
        send(incident, build(Ack, actor=actor(as_)), as_json)

    @app.command()
    def sev(
        incident: Id,
        severity: Annotated[str, typer.Argument(help="SEV1..SEV4", show_default=False)],
        reason: Annotated[str, typer.Option(help="why")] = "",
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Change (or confirm) the severity; an upgrade pages whoever it adds (R-SEV-6)."""
        send(incident, build(SetSeverity, actor=actor(as_), severity=severity, reason=reason), as_json)

    @app.command()
    def role(
        incident: Id,
        role: Annotated[str, typer.Argument(help="ic | comms | sme", show_default=False)],
        handle: Annotated[str, typer.Argument(help="who takes it", show_default=False)],
        track: Annotated[Optional[str], typer.Option(help="sme: the investigation track")] = None,
        release: Annotated[bool, typer.Option(help="sme: release them")] = False,
        reason: Annotated[str, typer.Option(help="why (needed when leadership takes over the IC)")] = "",
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Assign the IC, the comms lead or an SME; the IC hands over explicitly (R-ROLE-4)."""
        send(
            incident,
            build(AssignRole, actor=actor(as_), role=role, handle=handle, track=track, release=release, reason=reason),
            as_json,
        )

    @app.command()
    def status(
        incident: Id,
        status: Annotated[str, typer.Argument(help="investigating | identified | mitigating", show_default=False)],
        reason: Annotated[str, typer.Option(help="needed to go backwards")] = "",
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Move the response status forward (back only with a reason)."""
        send(incident, build(SetStatus, actor=actor(as_), status=status, reason=reason), as_json)

    @app.command()
    def update(
        incident: Id,
        impact: Annotated[str, typer.Option(help="who is affected and how")],
        theory: Annotated[str, typer.Option(help="the current theory, facts only")],
        next_steps: Annotated[str, typer.Option(help="what happens next")],
        next_: Annotated[
            Optional[str], typer.Option("--next", help="next update: in 30m, or an ISO time [default: the cadence]")
        ] = None,
        status: Annotated[Optional[str], typer.Option(help="also move the status")] = None,
        preview: Preview = False,
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Post an internal status update (R-COMM-12); its "next update" is a promise (R-COMM-15)."""
        command = build(
            PostUpdate, actor=actor(as_), impact=impact, theory=theory, next_steps=next_steps, status=status,
            **next_update(next_),
        )
        send_or_preview(incident, command, preview, as_json)

    @app.command()
    def note(
        incident: Id,
        text: Annotated[str, typer.Argument(help="what to add to the timeline", show_default=False)],
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Add a note to the timeline (an SME's note is their report to the IC)."""
        send(incident, build(AddNote, actor=actor(as_), text=text), as_json)

    @app.command()
    def flag(
        incident: Id,
        flag: Annotated[str, typer.Argument(help="data-loss | regulatory", show_default=False)],
        note: Annotated[str, typer.Option(help="what is known")] = "",
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Flag confirmed data loss (executives, SEV1) or regulatory implications (legal)."""
        send(incident, build(SetFlag, actor=actor(as_), flag=flag, note=note), as_json)

    @app.command()
    def escalate(
        incident: Id,
        to: Annotated[str, typer.Option(help="secondary | manager | smes | leadership | executives | legal")],
        reason: Annotated[str, typer.Option(help="why now")],
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Escalate now; anyone may, at any time (R-ESC-20)."""
        send(incident, build(Escalate, actor=actor(as_), to=to, reason=reason), as_json)

    @app.command()
    def resolve(
        incident: Id,
        reason: Annotated[str, typer.Option(help="needed when you are not the IC")] = "",
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Resolve; only the IC may (R-ROLE-4). Starts the review window (R-PIR-21)."""
        send(incident, build(Resolve, actor=actor(as_), reason=reason), as_json)

    comms = typer.Typer(help="The comms lead publishes (R-ROLE-2): customer, executive, stakeholder.", no_args_is_help=True)
    app.add_typer(comms, name="comms")

    @comms.command("customer")
    def comms_customer(
        incident: Id,
        affected: Annotated[str, typer.Option(help="the affected service or feature")],
        share: Annotated[str, typer.Option(help="the share of customers affected, e.g. 'about 30%'")],
        symptom: Annotated[str, typer.Option(help="what they see, e.g. 'cannot complete checkout'")],
        component: Component = [],  # noqa: B006 - typer reads the default
        next_: Next = None,
        preview: Preview = False,
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """A customer update (R-COMM-13), posted to the status page."""
        fields = {"affected": affected, "share": share, "symptom": symptom}
        command = build(Publish, actor=actor(as_), kind="customer", fields=fields, components=tuple(component), **next_update(next_))
        send_or_preview(incident, command, preview, as_json)

    @comms.command("executive")
    def comms_executive(
        incident: Id,
        summary: Annotated[str, typer.Option(help="what is happening, in one sentence")],
        customer_impact: Annotated[str, typer.Option(help="customer impact")],
        business_impact: Annotated[str, typer.Option(help="revenue, reputation, contracts")],
        estimated_resolution: Annotated[str, typer.Option(help="honest, or 'investigating'")] = "investigating",
        next_: Next = None,
        preview: Preview = False,
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """An executive update (R-COMM-14), e-mailed to the executives."""
        fields = {"summary": summary, "customer_impact": customer_impact, "business_impact": business_impact,
                  "estimated_resolution": estimated_resolution}
        command = build(Publish, actor=actor(as_), kind="executive", fields=fields, **next_update(next_))
        send_or_preview(incident, command, preview, as_json)

    @comms.command("stakeholder")
    def comms_stakeholder(
        incident: Id,
        impact: Annotated[str, typer.Option(help="who is affected and how")],
        next_: Next = None,
        preview: Preview = False,
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """The stakeholder notice (R-SEV: SEV1 at once, SEV2 within 30m, SEV3 within 2h)."""
        command = build(Publish, actor=actor(as_), kind="stakeholder", fields={"impact": impact}, **next_update(next_))
        send_or_preview(incident, command, preview, as_json)

    review = typer.Typer(help="The post-incident review (R-PIR-21).", no_args_is_help=True)
    app.add_typer(review, name="review")

    @review.command("draft")
    def review_draft(incident: Id) -> None:
        """Print the review drafted from the incident: timeline, durations, roles, empty sections."""
        print(run(lambda client: remote.review_draft(client, incident)))

    @review.command("submit")
    def review_submit(
        incident: Id,
        file: Annotated[Path, typer.Option(help="the review document (Markdown)", exists=True, dir_okay=False)],
        as_: As = None,
        as_json: Json = False,
    ) -> None:
        """Submit the review: the required sections filled, it closes the incident. Wording that
        blames people is warned about (R-PIR-22), line by line, and not refused."""
        document = file.read_text(encoding="utf-8")
        policy = load(None)
        for warning in blame_warnings(document, policy):
            print(f"warroom: warning: {file}:{warning.line}: {warning.text}", file=sys.stderr)
        who = actor(as_)
        items = [
            build(AddItem, actor=who, incident_id=incident, title=found["title"], owner=found["owner"],
                  due=date.fromisoformat(found["due"]) if found["due"] else None)
            for found in action_items(document)
        ]
        send(incident, build(SubmitReview, actor=who, document=document), as_json)
        queue = task_queue()
        for item in items:  # `- title (@owner, due YYYY-MM-DD)` lines become chased action items
            added = run(lambda client, item=item: remote_items.add_item(client, policy, item, queue))
            print(f"{added.id}: {added.title} ({added.owner}, due {added.due.isoformat()})", file=sys.stderr if as_json else sys.stdout)

    @app.command()
    def show(incident: Id, as_json: Json = False) -> None:
        """The incident: severity, status, roles, next deadlines, timeline."""
        view = run(lambda client: remote.view(client, incident))
        if as_json:
            emit_json(view)
        else:
            render.incident(view)

    @app.command("list")
    def list_(
        sev: Annotated[Optional[str], typer.Option(help="only this severity")] = None,
        status: Annotated[Optional[str], typer.Option(help="only this response status")] = None,
        service: Annotated[Optional[str], typer.Option(help="only this service")] = None,
        all_: Annotated[bool, typer.Option("--all", help="include closed incidents")] = False,
        as_json: Json = False,
    ) -> None:
        """Incidents from Temporal visibility (open and in review; --all adds closed)."""
        from warroom.state import Status

        try:
            severity = Severity.parse(sev).value if sev else None
            wanted = Status(status.lower()).value if status else None
        except ValueError as exc:
            fail(str(exc) if sev and not status else f"--status: {status!r} is not a status", USAGE)
        if service is not None and not service.replace("-", "").isalnum():
            fail(f"--service: {service!r} is not a service name", USAGE)
        query = remote.incident_query(severity, wanted, service, all_)
        rows = run(lambda client: remote.list_incidents(client, query))
        if as_json:
            emit_json(rows)
        else:
            render.incidents(rows)
