"""The buttons on an incident's chat message (pinned in its channel): each stands for one verb,
and a press becomes that verb's Command directly, acted by whoever pressed it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from warroom.commands import Ack, AssignRole, Command, Escalate, Resolve
from warroom.verbs import BY_NAME, Verb


@dataclass(frozen=True)
class Button:
    action_id: str
    label: str
    style: Literal["primary", "danger"] | None
    verb: Verb
    command: Callable[[str], Command] | None  # actor -> the command; None: the verb needs fields a button lacks


BUTTONS = (
    Button("ack", "Acknowledge", "primary", BY_NAME["ack"], lambda actor: Ack(actor=actor)),
    Button("ic", "I'm IC", None, BY_NAME["role"], lambda actor: AssignRole(actor=actor, role="ic", handle=actor)),
    Button("sme", "Join as SME", None, BY_NAME["role"],
           lambda actor: AssignRole(actor=actor, role="sme", handle=actor)),
    Button("escalate", "Escalate now", "danger", BY_NAME["escalate"],
           lambda actor: Escalate(actor=actor, to="manager", reason=f"escalated from chat by {actor}")),
    Button("update", "Post update", None, BY_NAME["update"], None),
    Button("resolve", "Resolve", None, BY_NAME["resolve"], lambda actor: Resolve(actor=actor)),
)
BY_ID = {button.action_id: button for button in BUTTONS}
