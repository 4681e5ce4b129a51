"""The verb table is the one description of every verb: each front-end is generated from it, and
each verb's parameters are fields of the command it builds. These tests fail when a command's
field is renamed without the table, or a front-end forgets a verb."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
import typer.main
from pydantic import BaseModel

from warroom.action_items import AddItem, ItemUpdate
from warroom.chat.grammar import ChatError, ChatRequest, help_text, parse
from warroom.cli.app import app
from warroom.commands import (
    Ack,
    AddNote,
    AssignRole,
    Declare,
    Escalate,
    IncidentCommand,
    PostUpdate,
    Publish,
    Resolve,
    SetFlag,
    SetSeverity,
    SetStatus,
)
from warroom.config import Settings
from warroom.gateway.app import create_app
from warroom.policy import load_policy
from warroom.requests import GAME_DAY, TEAM_COMMAND, Invalid, build
from warroom.severity import Severity
from warroom.verbs import VERBS, UsageError, find, next_fields, parse_words

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(ROOT / "runbooks")


def _by_verb(union) -> dict[str, type[BaseModel]]:
    """A discriminated union's classes by their `verb` tag."""
    members = typing.get_args(typing.get_args(union)[0])
    return {cls.model_fields["verb"].default: cls for cls in members}


def command_class(verb) -> type[BaseModel]:
    if verb.command == "declare":
        return Declare
    if verb.command == "action-item":
        return AddItem
    if verb.command in GAME_DAY:
        return GAME_DAY[verb.command]
    if verb.command in TEAM_COMMAND:
        return TEAM_COMMAND[verb.command]
    return _by_verb(ItemUpdate if verb.subject == "item" else IncidentCommand)[verb.command]


@pytest.mark.parametrize("verb", [v for v in VERBS if not v.read], ids=lambda v: v.name)
def test_every_parameter_of_a_verb_is_a_field_of_the_command_it_builds(verb) -> None:
    fields = set(command_class(verb).model_fields)
    for param in verb.params:
        if param.name in ("words", "next"):  # read into title/severity/service, next_update_in/at
            continue
        assert (param.into or param.name) in fields, (verb.name, param.name, sorted(fields))
    for name, _ in verb.fixed:
        assert name in fields


def test_every_verb_is_a_cli_command_a_rest_route_and_in_chat_help(tmp_path) -> None:
    group = typer.main.get_command(app)
    paths = create_app(Settings(data_dir=tmp_path), policy=POLICY).openapi()["paths"]  # as /openapi.json says
    app_routes = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    text = help_text()
    for verb in VERBS:
        command = group
        for word in verb.words:
            command = command.commands[word]  # type: ignore[attr-defined]
        assert (verb.method, verb.route) in app_routes, verb.name
        if verb.previewable:
            assert ("POST", verb.route + "/preview") in app_routes
        assert (f"• {verb.name} —" in text) == verb.chat, verb.name


def test_chat_words_become_the_command_they_stand_for() -> None:
    request = parse('update 7k2qd --impact "30% fail" --theory pool --next-steps "raise it" --next 20m', "bob", POLICY)
    assert isinstance(request, ChatRequest) and request.subject == "7k2qd"
    assert request.command == PostUpdate(actor="bob", impact="30% fail", theory="pool", next_steps="raise it",
                                         next_update_in="20m")
    assert parse("sev inc-7k2qd sev2 --reason calmer", "bob", POLICY).command == SetSeverity(
        actor="bob", severity=Severity.SEV2, reason="calmer")
    assert parse("role 7K2QD sme judy --track database", "bob", POLICY).command == AssignRole(
        actor="bob", role="sme", handle="judy", track="database")
    assert parse(
        "comms customer 7k2qd --affected Checkout --share 'about 30%' --symptom declines", "heidi", POLICY
    ).command == Publish(
        actor="heidi", kind="customer", fields={"affected": "Checkout", "share": "about 30%", "symptom": "declines"}
    )
    assert parse("note 7k2qd pool at 100%", "judy", POLICY).command == AddNote(actor="judy", text="pool at 100%")
    assert parse("flag 7k2qd regulatory", "bob", POLICY).command == SetFlag(actor="bob", flag="regulatory")
    assert parse("escalate 7k2qd --to legal --reason now", "kim", POLICY).command == Escalate(
        actor="kim", to="legal", reason="now")
    assert parse("status 7k2qd Mitigating", "bob", POLICY).command == SetStatus(actor="bob", status="mitigating")
    assert parse("ack 7k2qd", "bob", POLICY).command == Ack(actor="bob")
    assert parse("resolve", "bob", POLICY, channel_name="inc-7k2qd-checkout").command == Resolve(actor="bob")


def test_declare_reads_severity_and_service_from_its_first_words_under_the_given_policy() -> None:
    request = parse("declare sev1 payments Checkout failing", "dana", POLICY)
    assert request.command == Declare(actor="dana", title="Checkout failing", service="payments", severity="SEV1")
    unsure = build(next(v for v in VERBS if v.name == "declare"),
                   {"words": ["Refunds", "slow"], "severity": ["SEV3", "SEV2"], "service": "payments"}, "dana", POLICY)
    assert (unsure.severity, unsure.unclear) == (Severity.SEV2, (Severity.SEV3,))  # R-SEV-5: the higher
    with pytest.raises(Invalid) as refused:
        build(next(v for v in VERBS if v.name == "declare"), {"words": ["sev1", "Checkout"]}, "dana", POLICY)
    assert [name for name, _ in refused.value.errors] == ["service"]


@pytest.mark.parametrize(("words", "expected"), [
    (["7k2qd", "--impact", "x"], "--theory"),
    (["7k2qd", "--as", "bob"], "no option --as"),
    (["--impact", "x"], "incident id"),
    (["7k2qd", "--next"], "--next needs a value"),
])
def test_words_that_do_not_fit_the_verb_name_the_argument(words, expected) -> None:
    with pytest.raises(UsageError, match=expected):
        parse_words(find(["update"])[0], words)


def test_a_field_error_names_the_field_as_the_caller_wrote_it() -> None:
    with pytest.raises(ChatError, match="severity"):
        parse("sev 7k2qd sev9", "bob", POLICY)
    with pytest.raises(Invalid) as bad:
        build(find(["comms", "customer"])[0], {"affected": "", "share": "x", "symptom": "y", "next": "soon"}, "heidi",
              POLICY)
    assert {name for name, _ in bad.value.errors} == {"next"}
    with pytest.raises(Invalid) as extra:
        build(find(["ack"])[0], {"actor": "bob"}, "mallory", POLICY)
    assert extra.value.errors[0][0] == "actor"  # the actor is never a field of the body


def test_next_is_a_duration_or_an_instant() -> None:
    assert next_fields("30m") == {"next_update_in": "30m"}
    assert next_fields("1h30m") == {"next_update_in": "1h30m"}
    assert next_fields("2026-11-28T14:30:00+00:00") == {"next_update_at": "2026-11-28T14:30:00+00:00"}
