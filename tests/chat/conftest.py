"""The chat tests run on the session's real Temporal dev server, with the workflow tests' harness."""

from __future__ import annotations

from tests.workflow.conftest import make_harness  # noqa: F401  (the fixture, shared)
