"""The brain's folds (warroom.brain._Folded) answer as a plain pass over the whole tuple would,
whatever they kept from earlier calls: tuples that grow from the last one seen, that share its
first item but not the rest, that are shorter, that are equal but not the same objects, and
several incidents' tuples taken in turns."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.actions import ActionKind
from warroom.brain import _automatic_run, _by_kind, _channel_events, _paged, _told

KINDS = [ActionKind.page, ActionKind.escalate, ActionKind.notify, ActionKind.remind, "channel", "note",
         "stakeholder", "customer", "executive"]


@dataclass(frozen=True)
class Item:
    """What the folds read of a done entry, a timeline event or a message."""

    kind: str
    targets: tuple[str, ...] = ()
    automatic: bool = False


items = st.builds(Item, kind=st.sampled_from(KINDS), targets=st.lists(st.sampled_from("abcd"), max_size=2).map(tuple),
                  automatic=st.booleans())
# each step: append to one of two incidents' tuples, cut it short, copy it (equal, other objects),
# swap one item for another, or start it again
steps = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(["append", "append", "append", "cut", "copy", "swap",
                                                               "restart"]), st.lists(items, max_size=3)), max_size=30)


def naive(sequence: tuple[Item, ...]) -> tuple[object, ...]:
    run = 0
    for item in reversed(sequence):
        if not item.automatic:
            break
        run += 1
    return (
        {kind: tuple(i for i in sequence if i.kind == kind) for kind in {i.kind for i in sequence}},
        run,
        sum(1 for i in sequence if i.kind == "channel"),
        {t for i in sequence if i.kind in (ActionKind.page, ActionKind.escalate) for t in i.targets},
        {t for i in sequence if i.kind == ActionKind.notify for t in i.targets},
    )


def folded(sequence: tuple[Item, ...]) -> tuple[object, ...]:
    return _by_kind(sequence), _automatic_run(sequence), _channel_events(sequence), _paged(sequence), _told(sequence)


@settings(max_examples=300, deadline=None)
@given(first=st.lists(items, min_size=1, max_size=2), steps=steps)
def test_every_fold_answers_as_a_pass_over_the_whole_tuple(first: list[Item], steps: list) -> None:
    incidents = [tuple(first), tuple(Item(i.kind, i.targets, not i.automatic) for i in first)]
    for which, step, more in steps:
        current = incidents[which]
        if step == "append":
            current = current + tuple(more)
        elif step == "cut":
            current = current[:max(1, len(current) // 2)]
        elif step == "copy":
            current = tuple(Item(i.kind, i.targets, i.automatic) for i in current)
        elif step == "swap" and more:
            current = current[:-1] + (more[0],)
        elif step == "restart":
            current = current[:1] + tuple(more)
        incidents[which] = current
        assert folded(current) == naive(current)
