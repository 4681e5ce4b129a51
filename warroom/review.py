"""The post-incident review (R-PIR-21, R-PIR-22): a draft written from the incident's own facts,
and the checks a submitted document must pass (required sections filled) or should heed
(blameless wording: warned, never refused)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from warroom.durations import format_duration
from warroom.limits import sane_due
from warroom.policy import Policy
from warroom.state import IncidentState, ReviewItem, TimelineEvent
from warroom.templates import render

SECTIONS = ("Timeline", "Root causes and contributing factors", "What went well", "What to improve", "Action items")
ROOT_CAUSES = SECTIONS[1]
PLACEHOLDER = re.compile(r"^_.*_$")
BLAMING = (
    "human error", "should have", "shouldn't have", "should not have", "failed to", "fault", "careless",
    "negligen", "blame", "didn't follow", "did not follow", "mistake by", "screwed up", "incompetent",
)
ACTION_ITEM = re.compile(
    r"^[-*]\s+(?:\[ \]\s+)?(?P<title>.+?)\s+\(@(?P<owner>[a-z0-9._-]+),\s*due\s+(?P<due>\d{4}-\d{2}-\d{2})\)$"
)
LIST_LINE = re.compile(r"^[-*]\s+\S")
ITEM_SHAPE = "`- title (@owner, due YYYY-MM-DD)`"

LIFECYCLE = {"declared", "acknowledged", "severity", "role", "status", "update", "flag", "escalation", "comms",
             "resolved", "page", "escalate", "notify", "alerts", "review"}


def _duration(start: datetime, end: datetime | None) -> str:
    return format_duration(timedelta(seconds=round((end - start).total_seconds()))) if end else "—"


def draft(state: IncidentState, policy: Policy) -> str:
    """The review document as far as warroom knows it: facts, roles, the timeline with the SMEs'
    reports, the flags, escalations and communications sent, and the sections people write."""
    detected = state.detected_at
    smes_ever = {s.handle for s in state.smes} | set(state.released_smes) | set(state.reports)

    def row(e: TimelineEvent) -> dict[str, str]:
        return {"at": f"{e.at:%m-%d %H:%M:%S}", "offset": _duration(detected, e.at), "actor": e.actor,
                "text": e.text.replace("|", "/").replace("\n", " ")}

    timeline = [row(e) for e in state.timeline
                if e.kind in LIFECYCLE or (e.kind == "note" and e.actor in smes_ever)]
    smes = ", ".join(f"{s.handle} ({s.track})" if s.track else s.handle for s in state.smes) or "—"
    due = state.resolved_at + policy.rules.review.within if state.resolved_at else None
    context = {
        "incident": state.id, "title": state.title, "service": state.service, "severity": state.severity.value,
        "highest_severity": state.highest_severity.value, "detected_at": f"{detected:%Y-%m-%d %H:%M} UTC",
        "tta": _duration(detected, state.acknowledged_at), "ttm": _duration(detected, state.mitigated_at),
        "ttr": _duration(detected, state.resolved_at),
        "review_due": f"{due:%Y-%m-%d %H:%M} UTC" if due else "after resolution",
        "roles": {"ic": state.ic or "—", "comms": state.comms or "—", "smes": smes},
        "timeline": timeline,
        "sme_reports": [row(e) for e in state.timeline if e.kind == "note" and e.actor in smes_ever],
        "flags": [{"flag": name, "at": f"{f.at:%m-%d %H:%M}", "actor": f.actor, "note": f.note}
                  for name, f in sorted(state.flags.items())],
        "escalations": [row(e) for e in state.timeline if e.kind in ("escalation", "escalate", "notify")],
        "comms": [{"kind": c.kind, "at": f"{c.at:%m-%d %H:%M}", "actor": c.actor,
                   "how": "automatically at its deadline" if c.automatic else "by " + c.actor}
                  for c in state.communications],
    }
    return re.sub(r"\n{3,}", "\n\n", render("review", policy.template("review", state.service), context))


def sections(document: str) -> dict[str, list[tuple[int, str]]]:
    """`## Heading` -> its (line number, line) pairs."""
    found: dict[str, list[tuple[int, str]]] = {}
    current: str | None = None
    for number, line in enumerate(document.splitlines(), start=1):
        if line.startswith("## "):
            current = line[3:].strip()
            found[current] = []
        elif current is not None:
            found[current].append((number, line))
    return found


def missing_sections(document: str) -> list[str]:
    """Required sections absent, or holding nothing but the draft's placeholder."""
    found = sections(document)
    missing = []
    for name in SECTIONS:
        body = [line.strip() for _, line in found.get(name, []) if line.strip()]
        if not body or all(PLACEHOLDER.match(line) for line in body):
            missing.append(name)
    return missing


@dataclass(frozen=True)
class Warning:
    line: int
    text: str


def blame_warnings(document: str, policy: Policy) -> list[Warning]:
    """R-PIR-22: the root-cause section asks why the system allowed it, not who did it."""
    people = {p.handle for p in policy.roster.people} | {p.name.lower() for p in policy.roster.people}
    people |= {p.name.split()[0].lower() for p in policy.roster.people}
    warnings = []
    for number, line in sections(document).get(ROOT_CAUSES, []):
        if PLACEHOLDER.match(line.strip()):
            continue  # the draft's own prompt ("Blameless: ask what, not who") is no finding
        lowered = line.lower().replace("blameless", "")
        words = set(re.findall(r"[a-z0-9._-]+", lowered))
        named = sorted(p for p in people if (" " in p and p in lowered) or p in words)
        if named:
            warnings.append(Warning(number, f"names {', '.join(named)}: describe the system, not the person"))
        phrases = [b for b in BLAMING if b in lowered]
        if phrases:
            warnings.append(Warning(number, f"blaming wording ({', '.join(phrases)}): ask why the system allowed it"))
    return warnings


def action_items(document: str, today: date) -> tuple[list[ReviewItem], list[str]]:
    """R-PIR-23: the Action items section's list lines, each one owner and one due date, as items;
    and a problem per list line that is not one (named by its line), so that nothing is lost."""
    found: list[ReviewItem] = []
    problems: list[str] = []
    for number, line in sections(document).get("Action items", []):
        text = line.strip()
        if not LIST_LINE.match(text) or PLACEHOLDER.match(text[1:].strip()):
            continue
        match = ACTION_ITEM.match(text)
        if not match:
            problems.append(f"line {number}: {text[:80]!r} is not an action item like {ITEM_SHAPE}")
            continue
        try:
            due = date.fromisoformat(match["due"])
        except ValueError:
            problems.append(f"line {number}: due {match['due']} is not a date")
            continue
        try:
            sane_due(due, today)  # the item's own bounds: a review must not start an item that cannot be
        except ValueError as exc:
            problems.append(f"line {number}: due {exc}")
            continue
        found.append(ReviewItem(title=match["title"].strip()[:300], owner=match["owner"], due=due, line=number))
    return found, problems
