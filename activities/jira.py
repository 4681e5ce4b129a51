"""Jira Cloud REST API v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/): action
items and SEV4 tickets as issues in one project, `Authorization: Basic <email:API token>`.

create_issue(issue):
  1. POST {base}/rest/api/3/search/jql {jql: `project = "OPS" AND labels = "warroom-<key>"`}: an
     earlier attempt's issue is found by its label (the key made label-safe), and returned;
  2. else POST {base}/rest/api/3/issue {fields: {project: {key}, summary, issuetype: {name},
     description: <Atlassian Document Format>, labels: [warroom, warroom-<key>]}} -> 201 {id, key}.
  Jira's search is eventually consistent: an attempt retried within a second or two of one whose
  answer was lost may not see its issue yet. Temporal's first retries wait 1 s, then 2, 4…
set_state(ref, state):
  GET …/issue/{id}?fields=status; already in a status of that category (`done`, or `new` /
  `indeterminate` for open): nothing. Else GET …/issue/{id}/transitions and POST the first one
  that leads to a status of the category (open prefers `new`, To Do, over `indeterminate`).
  No such transition (the project's workflow does not allow it) is a 4xx: retrying cannot help.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx

from activities import http
from activities.channels import Tracker
from warroom.config_file import JiraConfig, SecretRef
from warroom.tracker import TrackerIssue, TrackerKind, TrackerRef, TrackerState, jira_state

PROVIDER = "jira"
SUMMARY_MAX = 255
LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
OPEN_CATEGORIES = ("new", "indeterminate")  # in the order a reopen prefers them


def label_for(key: str) -> str:
    """The label that carries an issue's idempotency key (labels take no spaces or colons)."""
    return "warroom-" + LABEL_UNSAFE.sub("-", key)


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document: one paragraph per non-empty line
    (v3 takes no plain-text description; an ADF text node may not be empty)."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        for line in (line.strip() for line in text.splitlines()) if line
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def _category(issue: Any) -> str:
    try:
        return str(issue["fields"]["status"]["statusCategory"]["key"])
    except (KeyError, TypeError):
        raise http.retryable(f"{PROVIDER}: an issue without fields.status.statusCategory.key") from None


class JiraCloud(Tracker):
    kind = TrackerKind.jira

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: SecretRef,
        project: str,
        issue_type: str = "Task",
        labels: tuple[str, ...] = ("warroom",),
        timeout: float = http.DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ):
        self.base_url, self.email, self.api_token = base_url.rstrip("/"), email, api_token
        self.project, self.issue_type, self.labels = project, issue_type, tuple(labels)
        self.timeout, self.client = timeout, client

    @classmethod
    def from_config(cls, config: JiraConfig) -> JiraCloud:
        return cls(config.base_url, config.email, config.api_token, config.project, config.issue_type,
                   config.labels, config.timeout_seconds)

    def _token(self) -> str:
        token = self.api_token.value()
        if token is None:
            raise http.rejected(f"{PROVIDER}: ${self.api_token.env} (the API token) is not set on the worker")
        return token

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        token = self._token()
        credentials = base64.b64encode(f"{self.email}:{token}".encode()).decode()
        response = await http.request(
            self.client, method, f"{self.base_url}{path}", PROVIDER, secrets=[token, credentials],
            timeout=self.timeout, headers={"Authorization": f"Basic {credentials}", "Accept": "application/json"},
            **kwargs,
        )
        return http.json_of(response, PROVIDER) if response.content else None

    def _ref(self, issue: Any, state: TrackerState = TrackerState.open) -> TrackerRef:
        try:
            issue_id, key = str(issue["id"]), str(issue["key"])
        except (KeyError, TypeError):
            raise http.retryable(f"{PROVIDER}: an issue without id and key") from None
        return TrackerRef(kind=self.kind, id=issue_id, key=key, url=f"{self.base_url}/browse/{key}", state=state)

    async def find(self, key: str) -> TrackerRef | None:
        jql = f'project = "{self.project}" AND labels = "{label_for(key)}"'
        found = await self._call("POST", "/rest/api/3/search/jql",
                                 json={"jql": jql, "fields": ["status"], "maxResults": 1})
        issues = found.get("issues") if isinstance(found, dict) else None
        if not issues:
            return None
        return self._ref(issues[0], jira_state(_category(issues[0])))

    async def create_issue(self, issue: TrackerIssue) -> TrackerRef:
        existing = await self.find(issue.key)
        if existing is not None:
            return existing
        fields = {
            "project": {"key": self.project},
            "summary": " ".join(issue.title.split())[:SUMMARY_MAX],
            "issuetype": {"name": self.issue_type},
            "description": adf(issue.text),
            "labels": [*self.labels, label_for(issue.key)],
        }
        return self._ref(await self._call("POST", "/rest/api/3/issue", json={"fields": fields}))

    async def set_state(self, ref: TrackerRef, state: TrackerState) -> None:
        issue = await self._call("GET", f"/rest/api/3/issue/{ref.id}", params={"fields": "status"})
        if jira_state(_category(issue)) is state:
            return
        answer = await self._call("GET", f"/rest/api/3/issue/{ref.id}/transitions")
        transitions = [t for t in (answer or {}).get("transitions") or [] if isinstance(t, dict)]
        wanted = ("done",) if state is TrackerState.done else OPEN_CATEGORIES
        for category in wanted:
            for transition in transitions:
                if ((transition.get("to") or {}).get("statusCategory") or {}).get("key") == category:
                    await self._call("POST", f"/rest/api/3/issue/{ref.id}/transitions",
                                     json={"transition": {"id": str(transition["id"])}})
                    return
        names = ", ".join(str(t.get("name")) for t in transitions) or "none"
        raise http.rejected(f"{PROVIDER}: {ref.key} has no transition to a {state.value} status "
                            f"(available: {names}); allow one in the project's workflow")
