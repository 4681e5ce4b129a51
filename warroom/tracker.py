"""Issue trackers (Jira Cloud, Linear) as warroom sees them: the issue an action item or a SEV4
ticket lives as there, and the two states warroom keeps in step with it (R-PIR-23: an item closed
in the team's tracker is done here and stops being chased; one done here is closed there).

Pure: the providers (activities/jira.py, activities/linear.py) speak the wire formats, the
gateway (warroom/gateway/trackers.py) reads their webhooks into a `Reported`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from warroom.rules import Frozen


class TrackerKind(StrEnum):
    jira = "jira"
    linear = "linear"

    @property
    def label(self) -> str:
        return "Jira" if self is TrackerKind.jira else "Linear"


class TrackerState(StrEnum):
    """All warroom needs of a tracker's workflow: is the work still to do? Jira's status categories
    `new` and `indeterminate` and Linear's `backlog`/`unstarted`/`started`/`triage` are open; Jira's
    `done` and Linear's `completed`/`canceled` are done."""

    open = "open"
    done = "done"


LINEAR_DONE_TYPES = frozenset({"completed", "canceled"})


def jira_state(category: str) -> TrackerState:
    """A Jira status category key (`new`, `indeterminate`, `done`) as warroom's state."""
    return TrackerState.done if category == "done" else TrackerState.open


def linear_state(state_type: str) -> TrackerState:
    """A Linear workflow state's type (`triage`, `backlog`, `unstarted`, `started`, `completed`,
    `canceled`) as warroom's state."""
    return TrackerState.done if state_type in LINEAR_DONE_TYPES else TrackerState.open


class TrackerRef(Frozen):
    """The issue there. `state` is what warroom last set there or heard from there: a webhook that
    reports exactly that is the echo of warroom's own change (or a repeat) and changes nothing."""

    kind: TrackerKind
    id: str = Field(min_length=1, max_length=100)  # Jira's issue id, Linear's UUID: stable when the key moves
    key: str = Field(min_length=1, max_length=100)  # OPS-12, ENG-123: what people read
    url: str = Field(max_length=2000)
    state: TrackerState = TrackerState.open
    reported_at: AwareDatetime | None = None  # the tracker's time of the last change applied from it

    @property
    def name(self) -> str:
        return f"{self.kind.label} {self.key}"

    @property
    def search_value(self) -> str:
        """The ActionItemTracker search attribute: how a webhook finds its item."""
        return tracker_search_value(self.kind, self.id)


def tracker_search_value(kind: TrackerKind, issue_id: str) -> str:
    return f"{kind.value}:{issue_id}"


class TrackerIssue(Frozen):
    """An issue to open. `key` is its idempotency key (an item's id, or `INC-XXXXX:ticket:open`):
    a retried create finds the issue the first attempt made instead of opening a second."""

    key: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1)
    text: str


class TrackerSync(Frozen):
    """Move the issue there to `state` (an item done, cancelled or reopened here)."""

    ref: TrackerRef
    state: TrackerState


class Reported(Frozen):
    """What a tracker's signed webhook says happened to one of its issues."""

    kind: TrackerKind
    issue_id: str
    key: str
    state: TrackerState
    at: AwareDatetime  # the tracker's own time of the change
    by: str  # who did it there, as the tracker names them
