"""A game day's score and debrief (R-GAME-24): per rule id, met or missed and when, counted in the
policy's own time (an exercise run at 4x speed that acknowledged after 1 real minute acknowledged
at +4m), then the review draft with the score and the injects on top. The debrief is submitted
like any review (`warroom review submit`), so its action items are chased like any other."""

from __future__ import annotations

from collections import Counter

from warroom import review
from warroom.explain import Verdict, explain
from warroom.gamedays.rotation import Roles
from warroom.gamedays.scenario import Scenario
from warroom.model import Model
from warroom.policy import Policy
from warroom.simulate import Fired
from warroom.state import IncidentState


class Score(Model):
    rule: str
    asks: str
    outcome: str  # met, met late, missed, open, n/a (warroom.explain)
    at_seconds: int | None  # after detection, in policy time
    detail: str


class Debrief(Model):
    exercise: str
    incident: str
    scenario: str
    speed: int
    roles: Roles
    scores: tuple[Score, ...]
    document: str  # Markdown: the review draft with the score and the injects

    @property
    def tally(self) -> Counter[str]:
        return Counter(s.outcome for s in self.scores)


def fired(state: IncidentState) -> list[Fired]:
    """What warroom carried out, from the incident's own record, at policy time."""
    return sorted((Fired(at_seconds=round((d.at - state.detected_at).total_seconds() * state.speed),
                         kind=d.kind.value, key=key, targets=d.targets, rule=d.rule, reason="")
                   for key, d in state.done.items()), key=lambda f: (f.at_seconds, f.key))


def score(state: IncidentState) -> tuple[Score, ...]:
    return tuple(Score(**vars(v)) for v in explain(state, fired(state), state.speed))


def debrief(exercise: str, state: IncidentState, policy: Policy, scenario: Scenario, roles: Roles) -> Debrief:
    scores = score(state)
    rows = "\n".join(f"| {s.rule} | {s.outcome} | {_at(s)} | {s.asks}: {s.detail} |" for s in scores)
    counts = Counter(s.outcome for s in scores)
    injects = "\n".join(f"| +{i.at} | {i.what} | {i.provokes} |" for i in scenario.injects) or "| — | — | — |"
    speed = f", at {state.speed}x speed (times below in policy time)" if state.speed > 1 else ""
    top = (f"## Game day: {scenario.title}\n\n"
           f"Exercise {exercise}, scenario `{scenario.name}`{speed}. IC {roles.ic}, comms lead {roles.comms} "
           f"(R-GAME-25).\n\n### Score\n\n"
           + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) + "\n\n"
           "| rule | outcome | when | asks / what happened |\n|---|---|---|---|\n" + rows + "\n\n"
           "### Injects\n\n| at | what | meant to provoke |\n|---|---|---|\n" + injects + "\n")
    draft = review.draft(state, policy)
    first, _, rest = draft.partition("\n")
    return Debrief(exercise=exercise, incident=state.id, scenario=scenario.name, speed=state.speed, roles=roles,
                   scores=scores, document=f"{first}\n\n{top}\n{rest}")


def _at(s: Score | Verdict) -> str:
    return "—" if s.at_seconds is None else f"+{s.at_seconds // 60}m{s.at_seconds % 60:02d}s"
