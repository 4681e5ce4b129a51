"""Local, stateful stand-ins for Jira Cloud's REST API v3 and Linear's GraphQL API, served by
FakeService. Each checks the documented request (path, method, auth header, body shape: Atlassian
Document Format for Jira, UUID-v4 ids for Linear), keeps its issues, and, like the real services,
produces the documented signed webhook for every status change, whoever made it: a person there
(`person_moves`) or the API (warroom's own move, whose webhook is the echo warroom must ignore).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tests.providers.fakes import Answer, Request

JIRA_EMAIL = "warroom-bot@example.com"
JIRA_TOKEN = "ATATT3xFfGF0-test-token"
JIRA_SECRET = "jira-webhook-secret-for-tests"
JIRA_PROJECT = "OPS"
LINEAR_KEY = "lin_api_testkey0123456789"
LINEAR_SECRET = "lin_wh_test_secret"
LINEAR_TEAM = "9cfb482a-81e3-4154-b5b9-2c805e70a02d"
V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@dataclass
class Webhook:
    body: bytes
    headers: dict[str, str]


def _now_ms() -> int:
    return int(time.time() * 1000)


def check_adf(document: Any) -> None:
    """An ADF document as Jira v3 takes it: doc, version 1, paragraphs of non-empty text nodes."""
    assert document["type"] == "doc" and document["version"] == 1, document
    assert document["content"], "an empty description"
    for block in document["content"]:
        assert block["type"] == "paragraph", block
        for node in block["content"]:
            assert node["type"] == "text" and node["text"], node


class FakeJira:
    STATUSES = {  # name -> (id, category)
        "To Do": ("10000", "new"), "In Progress": ("10001", "indeterminate"), "Done": ("10002", "done"),
    }
    TRANSITIONS = (("11", "To Do"), ("21", "In Progress"), ("31", "Done"))

    def __init__(self, base_url: str = "", fail_create_answer: bool = False, transitions: tuple = TRANSITIONS):
        self.base_url = base_url  # set once the FakeService serving it has a port
        self.issues: dict[str, dict] = {}  # by id
        self.ids = itertools.count(10001)
        self.fail_create_answer = fail_create_answer
        self.transitions = transitions
        self.webhooks: list[Webhook] = []  # every status change, signed, in order
        self.moved_by_api = 0
        self.lock = threading.Lock()

    def by_key(self, key: str) -> dict:
        return next(i for i in self.issues.values() if i["key"] == key)

    def __call__(self, request: Request) -> Answer:
        expected = "Basic " + base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Answer(401, {"errorMessages": ["Client must be authenticated to access this resource."]})
        with self.lock:
            return self._route(request)

    def _route(self, request: Request) -> Answer:
        path, method = request.path, request.method
        if method == "POST" and path == "/rest/api/3/issue":
            return self._create(request.json)
        if method == "POST" and path == "/rest/api/3/search/jql":
            return self._search(request.json)
        match = re.fullmatch(r"/rest/api/3/issue/(\d+)(/transitions)?", path)
        issue = self.issues.get(match.group(1)) if match else None
        if issue is None:
            return Answer(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."]})
        if match.group(2) is None and method == "GET":
            assert request.query.get("fields") == ["status"], request.query
            return Answer(200, issue)
        if method == "GET":
            return Answer(200, {"transitions": [
                {"id": tid, "name": name, "to": self._status(name)} for tid, name in self.transitions]})
        if method == "POST":
            wanted = request.json["transition"]["id"]
            name = next((n for tid, n in self.transitions if tid == wanted), None)
            if name is None:
                return Answer(400, {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."]})
            self.moved_by_api += 1
            self._move(issue, name, "warroom bot")
            return Answer(204)
        return Answer(405, {"errorMessages": ["Method not allowed"]})

    def _status(self, name: str) -> dict:
        status_id, category = self.STATUSES[name]
        return {"id": status_id, "name": name, "statusCategory": {"key": category}}

    def _create(self, body: dict) -> Answer:
        fields = body["fields"]
        assert fields["project"] == {"key": JIRA_PROJECT}, fields["project"]
        assert fields["issuetype"] == {"name": "Task"}, fields["issuetype"]
        summary = fields["summary"]
        assert isinstance(summary, str) and 0 < len(summary) <= 255 and "\n" not in summary, summary
        check_adf(fields["description"])
        assert all(isinstance(label, str) and " " not in label for label in fields["labels"]), fields["labels"]
        issue_id = str(next(self.ids))
        key = f"{JIRA_PROJECT}-{len(self.issues) + 1}"
        self.issues[issue_id] = {"id": issue_id, "key": key, "self": f"{self.base_url}/rest/api/3/issue/{issue_id}",
                                 "fields": {**fields, "status": self._status("To Do")}}
        if self.fail_create_answer:  # created, but the answer is lost on the way
            self.fail_create_answer = False
            return Answer(500, {"errorMessages": ["Internal server error"]})
        return Answer(201, {"id": issue_id, "key": key, "self": self.issues[issue_id]["self"]})

    def _search(self, body: dict) -> Answer:
        match = re.fullmatch(r'project = "([A-Z0-9_]+)" AND labels = "([^"]+)"', body["jql"])
        assert match, body["jql"]
        assert body.get("fields") and body.get("maxResults"), body
        found = [i for i in self.issues.values()
                 if i["key"].startswith(match.group(1) + "-") and match.group(2) in i["fields"]["labels"]]
        return Answer(200, {"issues": found[: body["maxResults"]], "isLast": True})

    def _move(self, issue: dict, name: str, by: str) -> None:
        before = issue["fields"]["status"]
        issue["fields"]["status"] = after = self._status(name)
        body = json.dumps({
            "timestamp": _now_ms(),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": by, "active": True},
            "issue": issue,
            "changelog": {"id": str(len(self.webhooks) + 10100), "items": [{
                "field": "status", "fieldtype": "jira", "fieldId": "status", "from": before["id"],
                "fromString": before["name"], "to": after["id"], "toString": after["name"]}]},
        }).encode()
        signature = hmac.new(JIRA_SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.webhooks.append(Webhook(body, {
            "content-type": "application/json", "x-hub-signature": f"sha256={signature}",
            "x-atlassian-webhook-identifier": str(uuid.uuid4()),
        }))

    def person_moves(self, key: str, status: str, by: str = "Alice Example") -> Webhook:
        """Someone moves the issue in Jira's UI; the webhook Jira sends about it."""
        with self.lock:
            self._move(self.by_key(key), status, by)
            return self.webhooks[-1]


class FakeLinear:
    STATES = (  # id, name, type, position
        ("5d3f2bd0-0c9c-4a5e-9d1f-1a2b3c4d5e01", "Backlog", "backlog", 0),
        ("5d3f2bd0-0c9c-4a5e-9d1f-1a2b3c4d5e02", "Todo", "unstarted", 1),
        ("5d3f2bd0-0c9c-4a5e-9d1f-1a2b3c4d5e03", "In Progress", "started", 2),
        ("5d3f2bd0-0c9c-4a5e-9d1f-1a2b3c4d5e05", "Canceled", "canceled", 4),
        ("5d3f2bd0-0c9c-4a5e-9d1f-1a2b3c4d5e04", "Done", "completed", 3),
    )

    def __init__(self, rate_limit_once: bool = False):
        self.issues: dict[str, dict] = {}
        self.rate_limit_once = rate_limit_once
        self.webhooks: list[Webhook] = []
        self.operations: list[str] = []
        self.lock = threading.Lock()

    def state(self, name: str) -> dict:
        sid, sname, stype, _ = next(s for s in self.STATES if s[1] == name)
        return {"id": sid, "name": sname, "type": stype, "color": "#5e6ad2"}

    def by_identifier(self, identifier: str) -> dict:
        return next(i for i in self.issues.values() if i["identifier"] == identifier)

    def __call__(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != "/graphql":
            return Answer(404, {"errors": [{"message": "Not found"}]})
        if request.headers.get("authorization") != LINEAR_KEY:  # the key itself, no Bearer
            return Answer(400, {"errors": [{"message": "Authentication required, not authenticated",
                                            "extensions": {"type": "authentication error",
                                                           "code": "AUTHENTICATION_ERROR"}}]})
        assert request.headers.get("content-type", "").startswith("application/json")
        body = request.json
        assert set(body) == {"query", "variables"} and isinstance(body["variables"], dict), body
        query, variables = body["query"], body["variables"]
        with self.lock:
            if self.rate_limit_once:
                self.rate_limit_once = False
                return Answer(400, {"errors": [{"message": "Rate limit exceeded",
                                                "extensions": {"code": "RATELIMITED"}}]})
            return Answer(200, {"data": self._operate(query, variables)})

    def _operate(self, query: str, variables: dict) -> dict:
        operation = re.match(r"\s*(query|mutation)\s+(\w+)", query)
        assert operation, query
        self.operations.append(operation.group(2))
        if "issueCreate(" in query:
            data = variables["input"]
            assert V4.match(data["id"]), data["id"]
            assert data["teamId"] == LINEAR_TEAM and data["title"].strip() and isinstance(data["description"], str)
            assert data["id"] not in self.issues, "a second issueCreate with the same id"
            number = len(self.issues) + 1
            self.issues[data["id"]] = issue = {
                "id": data["id"], "identifier": f"ENG-{number}", "title": data["title"],
                "url": f"https://linear.app/acme/issue/ENG-{number}", "teamId": LINEAR_TEAM,
                "description": data["description"], "state": self.state("Todo"),
            }
            return {"issueCreate": {"success": True, "issue": issue}}
        if "issues(filter" in query:
            found = self.issues.get(variables["id"])
            return {"issues": {"nodes": [found] if found else []}}
        if "team(id" in query:
            assert variables["team"] == LINEAR_TEAM
            return {"team": {"states": {"nodes": [
                {"id": i, "name": n, "type": t, "position": p} for i, n, t, p in self.STATES]}}}
        if "issueUpdate(" in query:
            issue = self.issues[variables["id"]]
            name = next(s[1] for s in self.STATES if s[0] == variables["input"]["stateId"])
            self._move(issue, name, "warroom bot")
            return {"issueUpdate": {"success": True, "issue": issue}}
        raise AssertionError(f"an operation the fake does not know: {query}")

    def _move(self, issue: dict, name: str, by: str) -> None:
        before = issue["state"]
        issue["state"] = self.state(name)
        updated = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{_now_ms() % 1000:03d}Z"
        body = json.dumps({
            "action": "update", "type": "Issue", "createdAt": updated, "url": issue["url"],
            "actor": {"id": "2e6eea91-1111-4f5a-9a3b-1d2c3b4a5f60", "name": by, "type": "user"},
            "data": {**issue, "stateId": issue["state"]["id"], "updatedAt": updated},
            "updatedFrom": {"stateId": before["id"], "updatedAt": updated},
            "organizationId": "b5b3d6a0-2222-4d5e-8f9a-0b1c2d3e4f50",
            "webhookTimestamp": _now_ms(), "webhookId": "0f8d2c1e-3333-4b5a-9c8d-7e6f5a4b3c20",
        }).encode()
        signature = hmac.new(LINEAR_SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.webhooks.append(Webhook(body, {
            "content-type": "application/json; charset=utf-8", "linear-signature": signature,
            "linear-delivery": str(uuid.uuid4()), "linear-event": "Issue",
        }))

    def person_moves(self, identifier: str, state: str, by: str = "Alice Example") -> Webhook:
        with self.lock:
            self._move(self.by_identifier(identifier), state, by)
            return self.webhooks[-1]
