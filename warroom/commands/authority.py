"""Who may do what (policy.yaml → permissions, warroom.permissions): checked for every command a
person sends, before its own rules. A refusal names the rule and who may do it instead:
"only the IC (carol) changes the status (R-ROLE-1); erin (leadership) may with --reason".
warroom's own actors (`system:…`, the alert ingestion and the brain) are not people and pass."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from warroom.brain import on_call
from warroom.commands.refused import Refused
from warroom.permissions import MEANING, WORDS, Allowed, Who
from warroom.policy import Policy
from warroom.state import IncidentState

if TYPE_CHECKING:
    from warroom.commands.base import Command


def authorize(command: Command, state: IncidentState, policy: Policy) -> None:
    if not command.human:
        return
    if command.acknowledges and state.acknowledged_at is None and may_acknowledge(command.actor, state, policy):
        # their command acknowledges first (commands.base.apply): judged as the acting IC it makes them
        state = state.model_copy(update={"acknowledged_by": command.actor})
    for name in command.permissions(state):
        _check(name, policy.rules.permissions.of(name), command, state, policy)


def _check(name: str, allowed: Allowed, command: Command, state: IncidentState, policy: Policy) -> None:
    actor = command.actor
    if any(actor in members(who, state, policy) for who in allowed.who):
        return
    reasoned = [who for who in allowed.with_reason if actor in members(who, state, policy)]
    reason = str(getattr(command, "reason", "") or "").strip()
    meaning = MEANING[name]
    if reasoned and reason:
        return
    if reasoned:
        raise Refused(f"{actor} ({WORDS[reasoned[0]]}) {meaning.does} only with --reason, which the timeline "
                      f"records ({meaning.rule})")
    message = f"only {_who(allowed.who, state, policy)} {meaning.does} ({meaning.rule})"
    if allowed.with_reason:
        message += f"; {_who(allowed.with_reason, state, policy)} may with --reason"
    raise Refused(message)


def _who(groups: tuple[Who, ...], state: IncidentState, policy: Policy) -> str:
    named = [_holders(who, state, policy) for who in groups
             if who in (Who.anyone, Who.ic) or members(who, state, policy)]
    return " or ".join(named) or "nobody yet"


def allowed(name: str, actor: str, state: IncidentState, policy: Policy) -> str | None:
    """May `actor` use permission `name` now? "yes", "with_reason", or None: what the web app asks
    to show exactly the forms its viewer may use."""
    rules = policy.rules.permissions.of(name)
    if state.acknowledged_at is None and may_acknowledge(actor, state, policy):
        state = state.model_copy(update={"acknowledged_by": actor})  # their first command acknowledges
    if any(actor in members(who, state, policy) for who in rules.who):
        return "yes"
    if any(actor in members(who, state, policy) for who in rules.with_reason):
        return "with_reason"
    return None


def may_acknowledge(actor: str, state: IncidentState, policy: Policy) -> bool:
    """R-F15-7: is this person one whose first response counts as the acknowledgement?"""
    allowed = policy.rules.permissions.acknowledge
    return any(actor in members(who, state, policy) for who in allowed.who)


def members(who: Who, state: IncidentState, policy: Policy) -> set[str]:
    roster = policy.roster
    match who:
        case Who.ic:
            if state.ic:
                return {state.ic}
            # before an IC is named, the acknowledging responder acts as IC (R-ROLE-4)
            return {state.acknowledged_by} if state.acknowledged_by else set()
        case Who.comms:
            return {state.comms} if state.comms else members(Who.ic, state, policy)  # R-ROLE-2
        case Who.smes:
            return {s.handle for s in state.smes}
        case Who.responders:
            roles = {h for h in (state.ic, state.comms, state.acknowledged_by) if h}
            return _paged(state) | roles | {s.handle for s in state.smes}
        case Who.oncall:
            return set(on_call(state, policy))
        case Who.team:
            team = policy.team(state.service)
            return set(team.members) | ({team.manager} if team.manager else set())
        case Who.leadership:
            return set(roster.leadership)
        case Who.anyone:
            return {p.handle for p in roster.people}
    raise AssertionError(who)


def _paged(state: IncidentState) -> set[str]:
    return state.reached(("page", "escalate"))


def _holders(who: Who, state: IncidentState, policy: Policy) -> str:
    """`the IC (carol)`, `the on-call (bob, carol, dana)`, `anyone on the roster`."""
    if who is Who.anyone:
        return WORDS[who]
    names = sorted(members(who, state, policy))
    if who is Who.ic and not state.ic:
        if state.acknowledged_by:
            return f"the acting IC ({state.acknowledged_by})"
        return "the IC (nobody yet: whoever acknowledges acts as IC)"
    return f"{WORDS[who]} ({', '.join(names) or 'nobody'})"


def for_team(name: str, actor: str, team: str, policy: Policy, now: datetime) -> None:
    """A permission used outside any incident (game days, on-call overrides): only the roster
    groups apply, the team's own among them; incident roles never do. Refused names who may."""
    found = policy.roster.teams.get(team)
    if found is None:
        raise Refused(f"team: {team!r} is not a team in oncall.yaml ({', '.join(sorted(policy.roster.teams))})")
    groups = {
        Who.oncall: tuple(h for _, h in found.chain(now)),
        Who.team: (*found.members, *((found.manager,) if found.manager else ())),
        Who.leadership: policy.roster.leadership,
        Who.anyone: tuple(p.handle for p in policy.roster.people),
    }
    allowed = policy.rules.permissions.of(name)
    if any(actor in groups.get(who, ()) for who in allowed.who):
        return
    meaning = MEANING[name]
    named = " or ".join(WORDS[w] if w is Who.anyone else f"{WORDS[w]} ({', '.join(groups.get(w, ())) or 'nobody'})"
                        for w in allowed.who)
    raise Refused(f"only {named} {meaning.does} for {team} ({meaning.rule})")
