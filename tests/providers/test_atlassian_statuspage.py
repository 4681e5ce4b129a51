"""Atlassian Statuspage against a local, stateful stand-in for its REST API v1 that checks the
requests (https://developer.statuspage.io/#tag/incidents) and keeps incidents and their updates."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest

from activities.atlassian_statuspage import AtlassianStatuspage
from tests.providers.conftest import failure, update
from tests.providers.fakes import Answer, FakeService, Request
from warroom.config_file import SecretRef

KEY = "89a229ce1a8dbcf9ff30430fbe35eb4c0426574bca932061892cefd2138aa4b1"
ENV = "WARROOM_TEST_STATUSPAGE_KEY"
PAGE = "kctbh9vrtdwd"
COMPONENTS = {"Checkout": "8kbf7d35c070", "Card payments": "vtnh60py4yd7"}  # Refunds: not mapped
STATUSES = {
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "scheduled",
    "in_progress",
    "verifying",
    "completed",
}
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv(ENV, KEY)


class Statuspage:
    """Incidents with their updates; answers as the API does (201 create, 200 update, 401, 404)."""

    def __init__(self, fail_create_answer: bool = False):
        self.incidents: dict[str, dict] = {}
        self.ids = (f"p31zjtct2jer{n}" for n in itertools.count())
        self.clock = (datetime(2026, 3, 2, 2, 0, tzinfo=UTC) + timedelta(seconds=n) for n in itertools.count())
        self.fail_create_answer = fail_create_answer  # create, then answer 500 (an answer lost on the way)
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"OAuth {KEY}":
            return Answer(401, {"error": "Could not authenticate"})
        base = f"/v1/pages/{PAGE}/incidents"
        with self.lock:
            if request.method == "GET" and request.path == base + "/unresolved":
                return Answer(200, [i for i in self.incidents.values() if i["status"] != "resolved"])
            if request.method == "GET" and request.path == base:
                q = request.query.get("q", [""])[0]
                return Answer(200, [i for i in self.incidents.values() if q in i["name"]])
            if request.method == "POST" and request.path == base:
                fields = self.check(request.json)
                incident = {
                    "id": next(self.ids),
                    "name": fields["name"],
                    "status": fields["status"],
                    "metadata": fields.get("metadata", {}),
                    "incident_updates": [],
                    "components": [],
                }
                self.apply(incident, fields)
                self.incidents[incident["id"]] = incident
                if self.fail_create_answer:
                    self.fail_create_answer = False
                    return Answer(500, {"error": "Internal Server Error"})
                return Answer(201, incident)
            if request.method == "PATCH" and request.path.startswith(base + "/"):
                incident = self.incidents.get(request.path.rsplit("/", 1)[1])
                if incident is None:
                    return Answer(404, {"error": "Not found"})
                self.apply(incident, self.check(request.json))
                return Answer(200, incident)
        return Answer(404, {"error": "Not found"})

    @staticmethod
    def check(body: dict) -> dict:
        fields = body["incident"]
        assert fields["status"] in STATUSES
        assert set(fields["components"]) == set(fields["component_ids"]) <= set(COMPONENTS.values())
        assert set(fields["components"].values()) <= COMPONENT_STATUSES
        return fields

    def apply(self, incident: dict, fields: dict) -> None:
        incident["status"] = fields["status"]
        incident["components"] = [{"id": c, "status": s} for c, s in fields["components"].items()]
        incident["incident_updates"].insert(
            0, {"status": fields["status"], "body": fields["body"], "created_at": next(self.clock).isoformat()}
        )


def statuspage(service: FakeService) -> AtlassianStatuspage:
    return AtlassianStatuspage(SecretRef(env=ENV), PAGE, base_url=service.url, components=COMPONENTS)


def writes(service: FakeService) -> list[tuple[str, str]]:
    return [(r.method, r.path.rsplit("/", 1)[-1]) for r in service.seen() if r.method in ("POST", "PATCH")]


async def test_one_statuspage_incident_per_warroom_incident_updated_in_place():
    page = Statuspage()
    with FakeService(page) as service:
        await statuspage(service).publish(update("investigating", "We are investigating failed checkouts."))
        await statuspage(service).publish(update("identified", "A database pool is exhausted."))
        await statuspage(service).publish(
            update(
                "resolved", "Checkouts work again.", components={"Checkout": "operational", "Refunds": "operational"}
            )
        )
        create = next(r for r in service.seen() if r.method == "POST").json["incident"]
    (incident,) = page.incidents.values()
    assert incident["name"] == "[INC-7K2QD] Checkout failing"
    assert incident["metadata"] == {"warroom": {"incident_id": "INC-7K2QD"}}
    assert create["components"] == {"8kbf7d35c070": "major_outage"}  # Refunds has no id: left out
    assert create["component_ids"] == ["8kbf7d35c070"]
    assert [u["status"] for u in incident["incident_updates"]] == ["resolved", "identified", "investigating"]
    assert incident["components"] == [{"id": "8kbf7d35c070", "status": "operational"}]
    assert writes(service) == [("POST", "incidents"), ("PATCH", incident["id"]), ("PATCH", incident["id"])]


async def test_a_retried_publish_creates_and_posts_nothing_twice():
    page = Statuspage()
    with FakeService(page) as service:
        for _ in range(2):
            await statuspage(service).publish(update("investigating", "Investigating."))
        for _ in range(2):
            await statuspage(service).publish(update("identified", "Found it."))
        for _ in range(2):  # a resolved incident is no longer unresolved: found by search
            await statuspage(service).publish(update("resolved", "Fixed."))
    (incident,) = page.incidents.values()
    assert [u["status"] for u in incident["incident_updates"]] == ["resolved", "identified", "investigating"]
    assert [m for m, _ in writes(service)] == ["POST", "PATCH", "PATCH"]


async def test_a_create_whose_answer_was_lost_is_found_on_the_retry():
    page = Statuspage(fail_create_answer=True)
    with FakeService(page) as service:
        error = await failure(statuspage(service).publish(update("investigating", "Investigating.")))
        assert not error.non_retryable
        await statuspage(service).publish(update("investigating", "Investigating."))  # the retry
    assert len(page.incidents) == 1
    assert [m for m, _ in writes(service)] == ["POST"]


async def test_another_incidents_page_is_left_alone():
    page = Statuspage()
    with FakeService(page) as service:
        await statuspage(service).publish(update("investigating", "First."))
        await statuspage(service).publish(
            update("investigating", "Second.", key="INC-AAAAA:c:1", incident_id="INC-AAAAA")
        )
    assert sorted(i["name"] for i in page.incidents.values()) == [
        "[INC-7K2QD] Checkout failing",
        "[INC-AAAAA] Checkout failing",
    ]


@pytest.mark.parametrize("status", [420, 429])
async def test_rate_limits_retry_after_the_time_asked(status):
    with FakeService(lambda r: Answer(status, {"error": "rate limited"}, {"Retry-After": "8"})) as service:
        error = await failure(statuspage(service).publish(update()))
    assert not error.non_retryable and error.next_retry_delay == timedelta(seconds=8)


async def test_500_retries_and_a_wrong_key_does_not(monkeypatch):
    with FakeService(lambda r: Answer(500, {"error": "oops"})) as service:
        assert not (await failure(statuspage(service).publish(update()))).non_retryable
    monkeypatch.setenv(ENV, "not-the-key")
    with FakeService(Statuspage()) as service:
        error = await failure(statuspage(service).publish(update()))
    assert error.non_retryable and "HTTP 401" in error.message and "not-the-key" not in error.message
