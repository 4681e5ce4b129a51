"""Every recorded decision still decided the same (tests/unit/brain_golden.py says how the record
was made and how to rewrite it): the actions due, the upcoming ones, wake_at, and every key,
kind, rule, time, target, reason, body and payload of each, down to the JSON the workflow's
history would hold."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from tests.unit.brain_golden import SEVERITIES, VERSIONS, dump, load
from warroom.actions import Action, Decision
from warroom.brain import decide
from warroom.state import IncidentState

POLICIES, RECORDS = load()


def _shape(decision: Decision) -> list[str]:
    """What JSON would not show: tuples stay tuples, times stay aware, every field set."""
    problems = []
    if not isinstance(decision.actions, tuple) or not isinstance(decision.upcoming, tuple):
        problems.append("actions and upcoming are tuples")
    for action in (*decision.actions, *decision.upcoming):
        if type(action) is not Action or not isinstance(action.targets, tuple) or action.at.tzinfo is None:
            problems.append(f"{action.key}: an Action with tuple targets and an aware time")
        if action.model_fields_set != set(Action.model_fields):
            problems.append(f"{action.key}: every field set, as built")
    return problems


def test_every_recorded_decision_is_decided_the_same() -> None:
    differences = []
    for number, record in enumerate(RECORDS):
        state = IncidentState.model_validate(record["state"])
        for at, expected in record["decisions"]:
            decision = decide(state, POLICIES[record["policy"]], datetime.fromisoformat(at))
            if dump(decision) != expected or _shape(decision):
                differences.append((number, at, expected, dump(decision), _shape(decision)))
    assert not differences, _report(differences)


def _report(differences: list) -> str:
    number, at, expected, got, shape = differences[0]
    lines = [f"{len(differences)} decision(s) differ; the first: state #{number} at {at}", *shape]
    for part in ("actions", "upcoming"):
        was = {a["key"]: a for a in expected[part]}
        now = {a["key"]: a for a in got[part]}
        lines += [f"  {part}: {key} was {was.get(key)}\n    now {now.get(key)}"
                  for key in sorted(was.keys() | now.keys()) if was.get(key) != now.get(key)]
        was_order, now_order = [a["key"] for a in expected[part]], [a["key"] for a in got[part]]
        if was_order != now_order:
            lines.append(f"  {part} order was {was_order}\n    now {now_order}")
    if expected["wake_at"] != got["wake_at"]:
        lines.append(f"  wake_at was {expected['wake_at']}, now {got['wake_at']}")
    return "\n".join(lines)


def test_the_record_covers_every_version_severity_and_policy() -> None:
    states = [r["state"] for r in RECORDS]
    assert {s["version"] for s in states} == set(VERSIONS)
    assert {c["severity"] for s in states for c in s["severities"]} == set(SEVERITIES)
    assert {r["policy"] for r in RECORDS} == set(range(len(POLICIES)))
    decided = Counter(a["key"].split(":")[0] for r in RECORDS for _, d in r["decisions"] for a in d["actions"])
    for family in ("page", "ack", "f15", "comms", "update-due", "sme-report", "deliver", "channel", "escalate",
                   "review", "alerts", "sme", "ticket", "notify"):
        assert decided[family], f"no due {family}:… action recorded"
