"""At most N pages a minute to one person; the rest arrive together, as one bundled page. Pure:
the state and its three moves; workflows/throttle.py keeps one such state per person in Temporal,
so the limit holds however many workers page that person (issue 16.3).

Per recipient, in a sliding window (a minute):
  - fewer than N pages went out in the window and nothing is held: the page goes out now (SEND);
  - otherwise it is HELD: it joins the person's bundle, which goes out as ONE page when the
    window has room; a page arriving while a bundle waits joins it, so the order holds too.

Asked again about a page it has seen (an activity retried), the throttle answers as it did the
first time: a retried SEND sends again (the provider de-duplicates by the idempotency key), a
retried HELD stays in its bundle.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, Field

from warroom.delivery import Delivery, Recipient
from warroom.rules import Frozen

WINDOW = timedelta(minutes=1)
KEEP = timedelta(hours=6)  # how long a page's verdict is remembered: beyond any retry of its activity


class Verdict(StrEnum):
    send = "send"  # the activity pages this person now
    held = "held"  # the person's bundle carries it; the activity is done with this person


class Page(Frozen):
    """One page for one person, as the pager activity asks about it."""

    recipient: Recipient
    key: str  # the delivery's idempotency key: incident id + action key
    incident_id: str
    subject: str
    text: str
    per_minute: int = Field(ge=1)  # as configured now: an edited limit applies from the next page
    window: timedelta = WINDOW


class Held(Frozen):
    key: str
    incident_id: str
    subject: str
    text: str


class Seen(Frozen):
    verdict: Verdict
    at: AwareDatetime


class ThrottleState(Frozen):
    recipient: Recipient
    per_minute: int = Field(ge=1)
    window: timedelta = WINDOW
    sent: tuple[AwareDatetime, ...] = ()  # when pages (bundles included) went out, oldest first
    held: tuple[Held, ...] = ()  # the waiting bundle, oldest first
    seen: dict[str, Seen] = {}

    @property
    def bundle_due(self) -> datetime | None:
        """When the waiting bundle may go out: the window has room for one more page then."""
        if not self.held:
            return None
        if len(self.sent) < self.per_minute:  # the limit was raised meanwhile: at once
            return datetime.min.replace(tzinfo=UTC)
        return self.sent[len(self.sent) - self.per_minute] + self.window


def admit(state: ThrottleState, page: Page, now: datetime) -> tuple[ThrottleState, Verdict]:
    """SEND or HELD for one page, and the state that remembers it."""
    state = _forget(state.model_copy(update={"per_minute": page.per_minute, "window": page.window,
                                             "recipient": page.recipient}), now)
    if (seen := state.seen.get(page.key)) is not None:
        return state, seen.verdict
    recent = [at for at in state.sent if at > now - state.window]
    verdict = Verdict.send if not state.held and len(recent) < state.per_minute else Verdict.held
    update: dict = {"seen": {**state.seen, page.key: Seen(verdict=verdict, at=now)}}
    if verdict is Verdict.send:
        update["sent"] = (*state.sent, now)
    else:
        update["held"] = (*state.held, Held(key=page.key, incident_id=page.incident_id, subject=page.subject,
                                            text=page.text))
    return state.model_copy(update=update), verdict


def take_bundle(state: ThrottleState, now: datetime, token: str) -> tuple[ThrottleState, Delivery]:
    """Empty the bundle into one page, counted in the window; `token` makes its key unique."""
    held = state.held
    incidents = list(dict.fromkeys(page.incident_id for page in held))
    lines = [
        f"{len(held)} page(s) for {state.recipient.name} were held back: at most {state.per_minute} pages a minute"
        " go to one person. Here they are together:",
        "",
    ]
    for page in held:
        first = page.text.splitlines()[0] if page.text else ""
        lines.append(f"- {page.subject or first} ({page.key})")
        if first and first != page.subject:
            lines.append(f"  {first}")
    bundle = Delivery(
        incident_id=incidents[0],
        action_key=f"throttled:{token}",
        channel="pager",
        recipients=(state.recipient,),
        subject=f"{len(held)} held page(s): {', '.join(incidents)}",
        text="\n".join(lines),
    )
    return state.model_copy(update={"held": (), "sent": (*state.sent, now)}), bundle


def _forget(state: ThrottleState, now: datetime) -> ThrottleState:
    """Drop what no decision and no retry can ask about any more, so the state stays small."""
    keep = max(len(state.sent) - state.per_minute, 0)  # the last `per_minute` pages always matter
    sent = tuple(at for i, at in enumerate(state.sent) if i >= keep or at > now - state.window)
    seen = {key: s for key, s in state.seen.items() if s.at > now - KEEP}
    return state.model_copy(update={"sent": sent, "seen": seen})


def is_idle(state: ThrottleState, now: datetime) -> bool:
    """Nothing held and nothing any retry could still ask about: the person's workflow may end."""
    return not state.held and all(s.at <= now - KEEP for s in state.seen.values())
