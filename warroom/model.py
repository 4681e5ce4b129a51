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
