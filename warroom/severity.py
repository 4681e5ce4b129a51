"""Severity levels SEV1 (critical) to SEV4 (low); SEV1 is the highest."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @property
    def level(self) -> int:
        """1 for SEV1 … 4 for SEV4: a lower level is more severe."""
        return int(self.value[3])

    def above(self, other: Severity) -> bool:
        """True when self is more severe than other."""
        return self.level < other.level

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accept `SEV1`, `sev1`, `1`, ` Sev 1 `; raise ValueError otherwise."""
        compact = str(text).strip().upper().replace(" ", "")
        if compact.isdigit():
            compact = "SEV" + compact
        try:
            return cls(compact)
        except ValueError:
            raise ValueError(f"{text!r} is not a severity; use SEV1, SEV2, SEV3 or SEV4") from None

    @classmethod
    def highest(cls, candidates: list[Severity]) -> Severity:
        """R-SEV-5: when the severity is unclear, take the higher one."""
        return min(candidates, key=lambda s: s.level)


def _coerce(value: Any) -> Any:
    return Severity.parse(value) if isinstance(value, (str, int)) and not isinstance(value, Severity) else value


SeverityField = Annotated[Severity, BeforeValidator(_coerce)]
"""A Severity that also accepts `sev1` and `1` at the edge."""
