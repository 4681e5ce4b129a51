"""The base every state model shares, and the small vocabularies several core modules name."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Immutable, and a misspelt field is an error rather than a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


CommsKind = Literal["stakeholder", "customer", "executive"]
"""The outward messages the comms lead owns (R-ROLE-2)."""

Flag = Literal["data-loss", "regulatory"]

Channel = Literal["cli", "rest", "web", "slack", "mattermost", "alert", "system"]


class Origin(Model):
    """Where a command came from, as the front-end that authenticated it says: the timeline keeps
    it beside the actor (who acted, through what, with which credential)."""

    channel: Channel
    via: str | None = None  # the credential: `token bob-laptop`, `admin-token warroom-up`, `oidc`, …
