"""Linear's GraphQL API (https://linear.app/developers/graphql): action items and SEV4 tickets as
issues of one team, `Authorization: <personal API key>` (no Bearer prefix, as Linear documents it).

create_issue(issue): the issue's id is chosen here, a UUID derived from the idempotency key
(IssueCreateInput takes an `id` "in UUID v4 format": the key's SHA-256 with the version and
variant bits of v4), so
  1. `issues(filter: {id: {eq: <uuid>}})` finds what an earlier attempt created, and returns it;
  2. else `issueCreate(input: {id, teamId, title, description})`.
  A second create with the same id could not make a second issue either.
set_state(ref, state): the issue's `state.type` already done (`completed`, `canceled`) or open
(anything else): nothing. Else `issueUpdate(id, input: {stateId})` with the team's first workflow
state (by position) of type `completed` for done, `unstarted` (else `backlog`, `started`) for open.

GraphQL answers errors with HTTP 200 or 400 and an `errors` list: `RATELIMITED` (and any 5xx) is
retried, every other error is not.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

from activities import http
from activities.channels import Tracker
from warroom.config_file import LinearConfig, SecretRef
from warroom.tracker import TrackerIssue, TrackerKind, TrackerRef, TrackerState, linear_state

PROVIDER = "linear"
TARGETS = {TrackerState.done: ("completed",), TrackerState.open: ("unstarted", "backlog", "started")}
RETRIED_CODES = frozenset({"RATELIMITED"})

ISSUE_FIELDS = "id identifier url state { type }"
FIND = ("query WarroomIssue($id: ID!) { issues(filter: {id: {eq: $id}}, first: 1) "
        f"{{ nodes {{ {ISSUE_FIELDS} }} }} }}")
CREATE = ("mutation WarroomIssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) "
          f"{{ success issue {{ {ISSUE_FIELDS} }} }} }}")
STATES = "query WarroomStates($team: String!) { team(id: $team) { states { nodes { id name type position } } } }"
UPDATE = ("mutation WarroomIssueUpdate($id: String!, $input: IssueUpdateInput!) "
          f"{{ issueUpdate(id: $id, input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }} }}")


def issue_id_for(key: str) -> str:
    """The issue's own id, the same for every attempt with this idempotency key."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"warroom:{key}".encode()).digest()[:16], version=4))


class Linear(Tracker):
    kind = TrackerKind.linear

    def __init__(
        self,
        api_key: SecretRef,
        team_id: str,
        base_url: str = "https://api.linear.app",
        timeout: float = http.DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ):
        self.api_key, self.team_id, self.base_url = api_key, team_id, base_url.rstrip("/")
        self.timeout, self.client = timeout, client

    @classmethod
    def from_config(cls, config: LinearConfig) -> Linear:
        return cls(config.api_key, config.team_id, config.base_url, config.timeout_seconds)

    async def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        key = self.api_key.value()
        if key is None:
            raise http.rejected(f"{PROVIDER}: ${self.api_key.env} (the API key) is not set on the worker")
        try:
            response = await http.request(
                self.client, "POST", f"{self.base_url}/graphql", PROVIDER, secrets=[key], timeout=self.timeout,
                headers={"Authorization": key, "Content-Type": "application/json"},
                json={"query": query, "variables": variables},
            )
        except ApplicationError as exc:  # Linear's rate limit may come as a 400 whose errors say RATELIMITED
            if exc.non_retryable and any(code in exc.message for code in RETRIED_CODES):
                raise http.retryable(exc.message, kind=http.THROTTLED) from None
            raise
        answer = http.json_of(response, PROVIDER)
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if errors:
            codes = {str((e.get("extensions") or {}).get("code", "")) for e in errors if isinstance(e, dict)}
            message = f"{PROVIDER}: " + "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
            if codes & RETRIED_CODES:
                raise http.retryable(http.redact(message, [key]), kind=http.THROTTLED)
            raise http.rejected(http.redact(message, [key]))
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise http.retryable(f"{PROVIDER}: an answer without data")
        return data

    def _ref(self, issue: Any) -> TrackerRef:
        try:
            return TrackerRef(kind=self.kind, id=str(issue["id"]), key=str(issue["identifier"]), url=str(issue["url"]),
                              state=linear_state(str((issue.get("state") or {}).get("type", ""))))
        except (KeyError, TypeError, AttributeError):
            raise http.retryable(f"{PROVIDER}: an issue without id, identifier and url") from None

    async def _find(self, issue_id: str) -> dict[str, Any] | None:
        data = await self._graphql(FIND, {"id": issue_id})
        nodes = ((data.get("issues") or {}).get("nodes")) or []
        return nodes[0] if nodes else None

    async def create_issue(self, issue: TrackerIssue) -> TrackerRef:
        issue_id = issue_id_for(issue.key)
        existing = await self._find(issue_id)
        if existing is not None:
            return self._ref(existing)
        data = await self._graphql(CREATE, {"input": {
            "id": issue_id, "teamId": self.team_id, "title": " ".join(issue.title.split()), "description": issue.text,
        }})
        created = data.get("issueCreate") or {}
        if not created.get("success"):
            raise http.retryable(f"{PROVIDER}: issueCreate did not succeed")
        return self._ref(created.get("issue"))

    async def set_state(self, ref: TrackerRef, state: TrackerState) -> None:
        current = await self._find(ref.id)
        if current is None:
            raise http.rejected(f"{PROVIDER}: {ref.key} is gone (deleted, or moved out of reach of the API key)")
        if self._ref(current).state is state:
            return
        data = await self._graphql(STATES, {"team": self.team_id})
        states = [s for s in ((data.get("team") or {}).get("states") or {}).get("nodes") or [] if isinstance(s, dict)]
        for wanted in TARGETS[state]:
            candidates = sorted((s for s in states if s.get("type") == wanted), key=lambda s: s.get("position") or 0)
            if candidates:
                updated = await self._graphql(UPDATE, {"id": ref.id, "input": {"stateId": candidates[0]["id"]}})
                if not (updated.get("issueUpdate") or {}).get("success"):
                    raise http.retryable(f"{PROVIDER}: issueUpdate did not succeed")
                return
        raise http.rejected(f"{PROVIDER}: the team has no workflow state of type {' or '.join(TARGETS[state])}")
