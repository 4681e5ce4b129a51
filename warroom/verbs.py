"""The verb table: every verb once, as data, from which the CLI (typer), the chat grammar (Slack,
Mattermost) and the REST API (FastAPI) are generated. None of them parses another's text.

A verb names its words (`comms customer`), its help, who may use it, its REST route, its
parameters and the command it builds: the `verb` discriminator of a command in warroom.commands
(`"severity"` builds SetSeverity on an incident, `"done"` CompleteItem on an action item), with `fixed`
fields the words imply (`comms customer` is Publish with kind customer). Reads build no command.

Plain dataclasses and the standard library only: the CLI imports this file and nothing heavy, so
`warroom --help` starts in a blink (bench/cli.py). tests/unit/test_verbs.py checks every verb
against the command it builds, so a renamed field cannot drift from here unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ParamKind = Literal["text", "words", "choice", "flag", "many", "duration", "next", "time", "date", "file", "number"]
Subject = Literal["incident", "item", "none"]

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
STATUSES = ("investigating", "identified", "mitigating")
ROLES = ("ic", "comms", "sme")
FLAGS = ("data-loss", "regulatory")
ESCALATION_TARGETS = ("secondary", "manager", "smes", "leadership", "executives", "legal")


@dataclass(frozen=True)
class Param:
    """One argument or option. `name` is its field in the REST body (and in the command, under
    `into` when nested: comms fields go into Publish.fields)."""

    name: str
    help: str
    kind: ParamKind = "text"
    positional: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    option: str = ""  # its spelling on the command line and in chat; default --name-with-dashes
    into: str | None = None

    @property
    def flag(self) -> str:
        return self.option or "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Verb:
    words: tuple[str, ...]
    help: str
    method: Literal["GET", "POST"]
    route: str  # `{incident}` / `{item}` stand for the subject
    subject: Subject = "incident"
    params: tuple[Param, ...] = ()
    command: str | None = None  # the command's discriminator; None: a read
    fixed: tuple[tuple[str, str], ...] = ()
    who: str = "anyone on the roster"
    previewable: bool = False  # --preview renders the message without sending or recording it
    chat: bool = True  # offered by /incident

    @property
    def name(self) -> str:
        return " ".join(self.words)

    @property
    def read(self) -> bool:
        return self.command is None

    @property
    def positionals(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.positional)

    @property
    def options(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.positional)

    def path(self, subject: str | None = None) -> str:
        """The route with its subject filled in (ids are `[0-9A-Z-]`, safe in a path)."""
        return self.route.replace("{incident}", subject or "").replace("{item}", subject or "")


def _p(name: str, help: str, **kw: object) -> Param:
    return Param(name=name, help=help, **kw)  # type: ignore[arg-type]


REASON = _p("reason", "why")
NEXT = _p("next", "next update: in 30m, or an ISO time [default: the cadence]", kind="next")
ONCALL_TEAM = _p("team", "only this team [default: every team]", positional=True)
COMPONENT = _p("components", "status-page component [default: the runbook's]", kind="many", option="--component")

NEXT_PAGE = "X-Next-Page-Token"  # `list`: the API's header for the page after; given back as `page_token`

VERBS: tuple[Verb, ...] = (
    Verb(("declare",), "Declare an incident; prints its id. `declare sev1 payments Checkout failing` and "
         "`declare --sev SEV1 --service payments \"Checkout failing\"` say the same.",
         "POST", "/v1/incidents", subject="none", command="declare", params=(
             _p("words", "[SEVERITY] [SERVICE] TITLE…", kind="words", positional=True),
             _p("title", "the title, instead of the words"),
             _p("severity", "SEV1..SEV4; repeat when unsure, the highest is taken (R-SEV-5)", kind="many",
                option="--sev"),
             _p("service", "a service with a runbook under runbooks/services/"),
             _p("detected_at", "when it was detected, ISO 8601 with a zone [default: now]", kind="time"),
             _p("game_day", "an exercise: nothing reaches real customers", kind="flag"),
         )),
    Verb(("ack",), "Acknowledge: you are on it (R-F15-7).", "POST", "/v1/incidents/{incident}/ack", command="ack",
         who="the paged responders"),
    Verb(("sev",), "Change (or confirm) the severity; an upgrade pages whoever it adds (R-SEV-6).",
         "POST", "/v1/incidents/{incident}/severity", command="severity", params=(
             _p("severity", "SEV1..SEV4", kind="choice", choices=SEVERITIES, positional=True, required=True),
             REASON,
         ), who="the IC to downgrade; anyone to upgrade"),
    Verb(("role",), "Assign the IC, the comms lead or an SME; the IC hands over explicitly (R-ROLE-4).",
         "POST", "/v1/incidents/{incident}/role", command="role", params=(
             _p("role", "ic | comms | sme", kind="choice", choices=ROLES, positional=True, required=True),
             _p("handle", "who takes it", positional=True, required=True),
             _p("track", "sme: the investigation track"),
             _p("release", "sme: release them", kind="flag"),
             _p("reason", "why (needed when leadership takes over the IC)"),
         ), who="the IC (leadership with a reason)"),
    Verb(("status",), "Move the response status forward (back only with a reason).",
         "POST", "/v1/incidents/{incident}/status", command="status", params=(
             _p("status", "investigating | identified | mitigating", kind="choice", choices=STATUSES,
                positional=True, required=True),
             _p("reason", "needed to go backwards"),
         ), who="the IC"),
    Verb(("update",), 'Post an internal status update (R-COMM-12); its "next update" is a promise (R-COMM-15).',
         "POST", "/v1/incidents/{incident}/update", command="update", previewable=True, params=(
             _p("impact", "who is affected and how", required=True),
             _p("theory", "the current theory, facts only", required=True),
             _p("next_steps", "what happens next", required=True),
             NEXT,
             _p("status", "also move the status", kind="choice", choices=STATUSES),
         ), who="the IC or the comms lead"),
    Verb(("note",), "Add a note to the timeline (an SME's note is their report to the IC).",
         "POST", "/v1/incidents/{incident}/note", command="note", params=(
             _p("text", "what to add to the timeline", kind="words", positional=True, required=True),
         )),
    Verb(("check",), "Tick a runbook checklist step done (R-F15-11); steps with facts behind them tick themselves.",
         "POST", "/v1/incidents/{incident}/checklist", command="check", params=(
             _p("step", "the step's number, as `warroom show` lists them", positional=True, required=True),
             _p("undo", "untick it", kind="flag"),
         ), who="the paged responders, the on-call"),
    Verb(("flag",), "Flag confirmed data loss (executives, SEV1) or regulatory implications (legal).",
         "POST", "/v1/incidents/{incident}/flag", command="flag", params=(
             _p("flag", "data-loss | regulatory", kind="choice", choices=FLAGS, positional=True, required=True),
             _p("note", "what is known"),
         )),
    Verb(("escalate",), "Escalate now; anyone may, at any time (R-ESC-20).",
         "POST", "/v1/incidents/{incident}/escalate", command="escalate", params=(
             _p("to", " | ".join(ESCALATION_TARGETS), kind="choice", choices=ESCALATION_TARGETS, required=True),
             _p("reason", "why now", required=True),
         )),
    Verb(("resolve",), "Resolve; only the IC may (R-ROLE-4). Starts the review window (R-PIR-21).",
         "POST", "/v1/incidents/{incident}/resolve", command="resolve", params=(
             _p("reason", "needed when you are not the IC"),
         ), who="the IC (leadership with a reason)"),
    Verb(("comms", "customer"), "A customer update (R-COMM-13), posted to the status page.",
         "POST", "/v1/incidents/{incident}/comms/customer", command="comms", fixed=(("kind", "customer"),),
         previewable=True, params=(
             _p("affected", "the affected service or feature", required=True, into="fields"),
             _p("share", "the share of customers affected, e.g. 'about 30%'", required=True, into="fields"),
             _p("symptom", "what they see, e.g. 'cannot complete checkout'", required=True, into="fields"),
             COMPONENT, NEXT,
         ), who="the comms lead (the IC while there is none)"),
    Verb(("comms", "executive"), "An executive update (R-COMM-14), e-mailed to the executives.",
         "POST", "/v1/incidents/{incident}/comms/executive", command="comms", fixed=(("kind", "executive"),),
         previewable=True, params=(
             _p("summary", "what is happening, in one sentence", required=True, into="fields"),
             _p("customer_impact", "customer impact", required=True, into="fields"),
             _p("business_impact", "revenue, reputation, contracts", required=True, into="fields"),
             _p("estimated_resolution", "honest, or 'investigating'", default="investigating", into="fields"),
             NEXT,
         ), who="the comms lead (the IC while there is none)"),
    Verb(("comms", "stakeholder"), "The stakeholder notice (R-SEV: SEV1 at once, SEV2 within 30m, SEV3 within 2h).",
         "POST", "/v1/incidents/{incident}/comms/stakeholder", command="comms", fixed=(("kind", "stakeholder"),),
         previewable=True, params=(
             _p("impact", "who is affected and how", required=True, into="fields"),
             NEXT,
         ), who="the comms lead (the IC while there is none)"),
    Verb(("review", "draft"), "Print the review drafted from the incident: timeline, durations, roles, empty sections.",
         "GET", "/v1/incidents/{incident}/review/draft"),
    Verb(("review", "submit"), "Submit the review: the required sections filled, it closes the incident and "
         "starts its action items. Wording that blames people is warned about (R-PIR-22), not refused.",
         "POST", "/v1/incidents/{incident}/review", command="review", chat=False, params=(
             _p("document", "the review document (Markdown)", kind="file", required=True, option="--file"),
         ), who="the IC"),
    Verb(("review", "show"), "Print the submitted review: who submitted it, when, and its action items.",
         "GET", "/v1/incidents/{incident}/review"),
    Verb(("show",), "The incident: severity, status, roles, next deadlines, timeline.",
         "GET", "/v1/incidents/{incident}"),
    Verb(("list",), "Incidents from Temporal visibility (open and in review; --all adds closed).",
         "GET", "/v1/incidents", subject="none", params=(
             _p("severity", "only this severity", kind="choice", choices=SEVERITIES, option="--sev"),
             _p("status", "only this response status", kind="choice", choices=(*STATUSES, "detected", "resolved")),
             _p("service", "only this service"),
             _p("all", "include closed incidents", kind="flag"),
             _p("game_day", "true: only exercises; false: only real incidents", kind="choice",
                choices=("true", "false")),
             _p("limit", "incidents per page, 1..1000 (default 200)", kind="number"),
             _p("page_token", "the page after the one that gave this token (the API's X-Next-Page-Token header)"),
         )),
    Verb(("policy", "reload"), "Swap a running incident's policy snapshot for the files as the gateway reads them now.",
         "POST", "/v1/incidents/{incident}/policy-reload", command="policy-reload", chat=False, who="the IC"),
    Verb(("action", "add"), "Add an action item; it is chased until done, even after the incident is closed.",
         "POST", "/v1/incidents/{incident}/action-items", command="action-item", params=(
             _p("title", "what is to be done", kind="words", positional=True, required=True),
             _p("owner", "the one person who owns it", required=True),
             _p("due", "due date, YYYY-MM-DD [default: the policy's due_in]", kind="date"),
         )),
    Verb(("action", "done"), "Mark it done.", "POST", "/v1/action-items/{item}/done", subject="item",
         command="done", params=(_p("note", "what was done"),), who="its owner"),
    Verb(("action", "cancel"), "Cancel it, with a reason.", "POST", "/v1/action-items/{item}/cancel", subject="item",
         command="cancel", params=(_p("reason", "why it is not needed", required=True),)),
    Verb(("action", "reopen"), "Reopen a done or cancelled item, with a reason: it is chased again (and its tracker "
         "issue reopened).", "POST", "/v1/action-items/{item}/reopen", subject="item", command="reopen",
         params=(_p("reason", "why it is not done after all", required=True),)),
    Verb(("action", "reassign"), "Give it to someone else.", "POST", "/v1/action-items/{item}/reassign",
         subject="item", command="reassign", params=(_p("owner", "the new owner", required=True),)),
    Verb(("action", "snooze"), "Move the due date later, with a reason.", "POST", "/v1/action-items/{item}/snooze",
         subject="item", command="snooze", params=(
             _p("until", "the new due date, YYYY-MM-DD", kind="date", required=True),
             _p("reason", "why it moves", required=True),
         )),
    Verb(("action", "list"), "Action items, open ones by default.", "GET", "/v1/action-items", subject="none", params=(
        _p("owner", "only this owner's"),
        _p("incident", "only this incident's"),
        _p("overdue", "only overdue ones", kind="flag"),
        _p("all", "include done and cancelled", kind="flag"),
    )),
    Verb(("gameday", "run"), "Run a game day now: its incident opens as an exercise through the real alert or "
         "declare path, its injects fire on time, and nothing reaches real customers (R-GAME-24, R-GAME-25).",
         "POST", "/v1/gamedays", subject="none", command="gameday-run", chat=False, params=(
             _p("scenario", "a scenario's name: runbooks/gamedays/<name>.yaml", positional=True, required=True),
             _p("speed", "run every duration this many times faster, 1..60 [default: policy.yaml game_days]",
                kind="number"),
             _p("team", "whose rotation picks the IC and comms lead [default: the scenario's service's team]"),
         ), who="the on-call, leadership"),
    Verb(("gameday", "list"), "Game days, newest first: scenario, IC and comms lead, incident, score.",
         "GET", "/v1/gamedays", subject="none", params=(_p("team", "only this team's"),)),
    Verb(("gameday", "roster"), "Who served as IC and comms lead when, and whose turn is next (R-GAME-25).",
         "GET", "/v1/gamedays/roster", subject="none", params=(
             _p("team", "the team", positional=True, required=True),)),
    Verb(("gameday", "schedule"), "Create or update the team's Temporal Schedule of game days (policy.yaml "
         "game_days: quarterly by default); running it again changes nothing more.",
         "POST", "/v1/gamedays/schedule", subject="none", command="gameday-schedule", chat=False, params=(
             _p("team", "the team", positional=True, required=True),), who="the on-call, leadership"),
    Verb(("gameday", "debrief"), "An ended game day's score per rule and its debrief, to submit as the review.",
         "GET", "/v1/gamedays/debrief", subject="none", params=(
             _p("exercise", "the game day's id, as `gameday list` shows it", positional=True, required=True),)),
    Verb(("oncall", "now"), "Who is on call now per team: primary, secondary, manager, since and until when, and "
         "the overrides behind it.", "GET", "/v1/oncall/now", subject="none", chat=False, params=(ONCALL_TEAM,)),
    Verb(("oncall", "next"), "The next hand-over per team: when, and who takes the primary and the secondary.",
         "GET", "/v1/oncall/next", subject="none", chat=False, params=(ONCALL_TEAM,)),
    Verb(("oncall", "override"), "Someone takes a shift for a while: the primary's, or with --replaces that "
         "person's wherever they are on call. Recorded in Temporal; new incidents page whoever it names.",
         "POST", "/v1/oncall/overrides", subject="none", command="oncall-override", chat=False, params=(
             _p("team", "the team", positional=True, required=True),
             _p("start", "from when, ISO 8601 with a zone [default: now]", kind="time", option="--from"),
             _p("end", "until when, ISO 8601 with a zone (within 90 days)", kind="time", required=True,
                option="--to"),
             _p("by", "who takes the shift (in the team)", required=True),
             _p("replaces", "whose place they take [default: the primary's, whoever holds it]"),
             _p("reason", "why (the feeds and `oncall overrides` show it)"),
         ), who="the team (its rotations and manager), leadership"),
    Verb(("oncall", "overrides"), "The team's overrides recorded, current and coming (and those ended this week).",
         "GET", "/v1/oncall/overrides", subject="none", chat=False, params=(
             _p("team", "the team", positional=True, required=True),)),
    Verb(("oncall", "feed"), "Your calendar feeds (iCalendar): your own shifts, and each team's. The addresses "
         "hold your feed token: keep them to yourself.", "GET", "/v1/oncall/feed", subject="none", chat=False),
    Verb(("report",), "Incidents per severity, MTTA/MTTM/MTTR (median, p90), reviews within the window, action "
         "items completed, on time, open, overdue, and completion per team.", "GET", "/v1/report", subject="none",
         params=(_p("since", "how far back, e.g. 30d, 90d", kind="duration", default="90d"),)),
)

BY_NAME: dict[str, Verb] = {verb.name: verb for verb in VERBS}
GROUPS: dict[str, str] = {
    "comms": "The comms lead publishes (R-ROLE-2): customer, executive, stakeholder.",
    "review": "The post-incident review (R-PIR-21).",
    "action": "Action items: one owner, one deadline, chased until done (R-PIR-23).",
    "policy": "Check the policy files and simulate the timeline they produce.",
    "oncall": "On call: who holds the pager now and next, overrides, calendar feeds.",
    "gameday": "Game days: rehearse the process on a scenario, rotate the IC, score the response (R-GAME-24).",
}

_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?[wdhms])+$")  # as warroom.durations reads them


def next_fields(text: str) -> dict[str, str]:
    """`--next 30m` is a duration, anything else an instant: the command's own two fields."""
    return {"next_update_in": text} if _DURATION.match(text.strip().replace(" ", "")) else {"next_update_at": text}


def find(words: list[str]) -> tuple[Verb, list[str]] | None:
    """The verb the first words name (the longest match), and the words after it."""
    lowered = [w.lower() for w in words]
    for size in (2, 1):
        verb = BY_NAME.get(" ".join(lowered[:size]))
        if verb is not None and len(words) >= size:
            return verb, words[size:]
    return None


@dataclass
class Parsed:
    """A verb's arguments as its REST body holds them (strings; the server validates)."""

    verb: Verb
    subject: str | None = None
    body: dict[str, object] = field(default_factory=dict)
    preview: bool = False


class UsageError(ValueError):
    """Words that do not fit the verb; the message names the argument."""


def parse_words(verb: Verb, words: list[str]) -> Parsed:
    """Chat's grammar: `[SUBJECT] POSITIONAL… --option value --flag`, shell-quoted words. The CLI
    has typer for this; both end in the same REST body."""
    parsed = Parsed(verb=verb)
    rest = list(words)
    if verb.subject != "none":
        if not rest or rest[0].startswith("--"):
            raise UsageError(f"give the {verb.subject} id: {verb.name} {verb.subject.upper()} …")
        parsed.subject = rest.pop(0)
    by_flag = {p.flag: p for p in verb.options}
    positional: list[str] = []
    while rest:
        word = rest.pop(0)
        if word == "--preview" and verb.previewable:
            parsed.preview = True
            continue
        if not word.startswith("--"):
            positional.append(word)
            continue
        name, _, inline = word.partition("=")
        param = by_flag.get(name)
        if param is None:
            known = ", ".join(sorted(by_flag)) or "none"
            raise UsageError(f"{verb.name}: no option {name} (options: {known})")
        if param.kind == "flag":
            parsed.body[param.name] = True
            continue
        if not inline and not rest:
            raise UsageError(f"{name} needs a value")
        value = inline or rest.pop(0)
        if param.kind == "many":
            parsed.body.setdefault(param.name, [])
            parsed.body[param.name].append(value)  # type: ignore[union-attr]
        else:
            parsed.body[param.name] = value
    for index, param in enumerate(verb.positionals):
        if param.kind == "words":
            if positional[index:]:
                parsed.body[param.name] = positional[index:]
            positional = positional[:index]
            break
        if index < len(positional):
            parsed.body[param.name] = positional[index]
    extra = positional[len(verb.positionals):] if not any(p.kind == "words" for p in verb.positionals) else []
    if extra:
        raise UsageError(f"{verb.name}: unexpected {' '.join(extra)!r}")
    for param in verb.params:
        if param.choices and param.name in parsed.body:
            parsed.body[param.name] = choose(param, str(parsed.body[param.name]))
    missing = [p for p in verb.params if p.required and p.name not in parsed.body]
    if missing:
        raise UsageError(
            f"{verb.name}: missing {', '.join(p.flag if not p.positional else p.name.upper() for p in missing)}"
        )
    return parsed


def choose(param: Param, value: str) -> str:
    """A choice in any case (`sev2`, `SEV2`), as the table spells it."""
    for choice in param.choices:
        if choice.lower() == value.strip().lower():
            return choice
    raise UsageError(f"{param.name}: {value!r} is not one of {', '.join(param.choices)}")
