"""`warroom action add | done | cancel | reassign | snooze | list` (R-PIR-23)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Optional

import typer

from warroom.temporal import board
from warroom.action_items import AddItem, CancelItem, CompleteItem, ItemState, ReassignItem, SnoozeItem
from warroom.cli import render
from warroom.cli.incident import As, Json, actor, build, run, task_queue
from warroom.cli.output import USAGE, emit_json, fail
from warroom.cli.policy import load
from warroom.temporal import incidents as remote, items as remote_items, report as remote_report
from warroom.roster import HANDLE
from warroom.state import normalize_incident_id

app = typer.Typer(help="Action items: one owner, one deadline, chased until done (R-PIR-23).", no_args_is_help=True)
Item = Annotated[str, typer.Argument(help="action item id, e.g. INC-7K2QD-A1", show_default=False)]


def _show(item: ItemState, as_json: bool) -> None:
    if as_json:
        emit_json(item)
    else:
        print(f"{item.id}: {item.history[-1].text}")


@app.command()
def add(
    incident: Annotated[str, typer.Argument(help="the incident it comes from", show_default=False)],
    title: Annotated[str, typer.Argument(help="what is to be done", show_default=False)],
    owner: Annotated[str, typer.Option(help="the one person who owns it")],
    due: Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d"], help="due date [default: policy due_in]")] = None,
    as_: As = None,
    as_json: Json = False,
) -> None:
    """Add an action item; it is chased until done, even after the incident is closed."""
    command = build(AddItem, actor=actor(as_), incident_id=incident, title=title, owner=owner.lower(),
                    due=due.date() if due else None)
    policy = load(None)
    queue = task_queue()
    item = run(lambda client: remote_items.add_item(client, policy, command, queue))
    if as_json:
        emit_json(item)
    else:
        print(item.id)


@app.command()
def done(item: Item, note: Annotated[str, typer.Option(help="what was done")] = "", as_: As = None, as_json: Json = False) -> None:
    """Mark it done."""
    _show(run(lambda client: remote_items.change_item(client, item, build(CompleteItem, actor=actor(as_), note=note))), as_json)


@app.command()
def cancel(item: Item, reason: Annotated[str, typer.Option(help="why it is not needed")], as_: As = None, as_json: Json = False) -> None:
    """Cancel it, with a reason."""
    _show(run(lambda client: remote_items.change_item(client, item, build(CancelItem, actor=actor(as_), reason=reason))), as_json)


@app.command()
def reassign(item: Item, owner: Annotated[str, typer.Option(help="the new owner")], as_: As = None, as_json: Json = False) -> None:
    """Give it to someone else."""
    _show(run(lambda client: remote_items.change_item(client, item, build(ReassignItem, actor=actor(as_), owner=owner.lower()))), as_json)


@app.command()
def snooze(
    item: Item,
    until: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="the new due date")],
    reason: Annotated[str, typer.Option(help="why it moves")],
    as_: As = None,
    as_json: Json = False,
) -> None:
    """Move the due date later, with a reason."""
    command = build(SnoozeItem, actor=actor(as_), until=until.date(), reason=reason)
    _show(run(lambda client: remote_items.change_item(client, item, command)), as_json)


@app.command("list")
def list_(
    owner: Annotated[Optional[str], typer.Option(help="only this owner's")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only overdue ones")] = False,
    incident: Annotated[Optional[str], typer.Option(help="only this incident's")] = None,
    all_: Annotated[bool, typer.Option("--all", help="include done and cancelled")] = False,
    as_json: Json = False,
) -> None:
    """Action items, open ones by default."""
    clauses = ['WorkflowType="ActionItemWorkflow"']
    if not all_:
        clauses.append(f'{board.ITEM_STATUS.name}="open"')
    if owner:
        if not HANDLE.match(owner.lower()):
            fail(f"--owner: {owner!r} is not a handle", USAGE)
        clauses.append(f'{board.ITEM_OWNER.name}="{owner.lower()}"')
    if incident:
        try:
            clauses.append(f'{board.ITEM_INCIDENT.name}="{normalize_incident_id(incident)}"')
        except ValueError as exc:
            fail(str(exc), USAGE)
    found = run(lambda client: remote_items.items(client, " AND ".join(clauses)))
    now = datetime.now(UTC)
    if overdue:
        found = [i for i in found if i.overdue(now)]
    found.sort(key=lambda i: (i.status != "open", i.due, i.id))
    if as_json:
        emit_json(found)
    else:
        render.items(found, now)

