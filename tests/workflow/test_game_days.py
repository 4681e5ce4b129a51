"""Game days on the real dev server (R-GAME-24, R-GAME-25), through the REST API as a team would
run them: a scenario at 20x speed whose alert opens the incident through the alert-group path,
injects that land on the timeline and change it, isolation from every real provider and from the
report, the score of a response on time and of one that misses two deadlines, the rotation of
the IC over four exercises, and the team's Schedule created once and then updated."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from temporalio.service import RPCError

from tests.providers.fakes import Answer, FakeService, Request
from tests.workflow.harness import ROOT, SHIPPED, Harness, gateway, new_settings
from warroom.config_file import WarroomConfig, load_config
from warroom.temporal import gamedays
from warroom.tokens import TokenStore, tokens_file
from workers.main import build_worker
from workflows.status_page import STATUS_PAGE_ID

pytestmark = pytest.mark.temporal

SPEED = 20  # a policy minute is 3 s
SCENARIO = """\
title: Refunds fail after a deploy
service: payments
limit: 10m
start:
  alert:
    format: generic
    body: {dedup_key: refunds-5xx, status: firing, summary: "Refunds fail with 500", service: payments,
           severity: SEV2}
injects:
  - {at: 1m, note: "Customer report: refunds show an error page", provokes: a customer update (R-COMM-13)}
  - {at: 2m, flag: regulatory, provokes: legal is told (R-ESC-19)}
  - at: 3m
    alert:
      format: generic
      body: {dedup_key: refunds-5xx, status: resolved, summary: "Refunds fail with 500", service: payments,
             severity: SEV2}
    provokes: the IC decides when it is over, not the alert (R-ROLE-4)
"""
SHORT = """\
title: A quiet alert nobody takes charge of
service: payments
limit: 8m
start:
  alert:
    format: generic
    body: {dedup_key: short, status: firing, summary: "Checkout latency high", service: payments, severity: SEV2}
"""


async def public_page_history(h: Harness) -> str:
    """Everything the built-in public status page was ever sent (its workflow's history; it may
    not exist, and its worker may be another test's, long gone)."""
    try:
        history = await h.client.get_workflow_handle(STATUS_PAGE_ID).fetch_history()
    except RPCError:
        return ""
    return history.to_json()


def team_of_six():
    """payments with six in its rotation: bob primary and carol secondary (pinned), four free."""
    team = SHIPPED.roster.teams["payments"]
    rotation = team.rotation.model_copy(update={"members": ("bob", "carol", "alice", "judy", "heidi", "ivan")})
    teams = {**SHIPPED.roster.teams, "payments": team.model_copy(update={"rotation": rotation})}
    return SHIPPED.model_copy(update={"roster": SHIPPED.roster.model_copy(update={"teams": teams})})


class Exercise:
    def __init__(self, h: Harness, api: httpx.AsyncClient, pagerduty: FakeService):
        self.h, self.api, self.pagerduty = h, api, pagerduty
        self.store = TokenStore(tokens_file(h.settings, WarroomConfig()))

    def auth(self, handle: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.store.create(handle, 'test')}"}

    async def run(self, scenario: str, speed: int = SPEED, as_: str = "bob") -> str:
        answer = await self.api.post("/v1/gamedays", headers=self.auth(as_), json={"scenario": scenario,
                                                                                   "speed": speed})
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]

    async def row(self, exercise: str, until: Any = lambda r: r.incident) -> gamedays.ExerciseRow:
        for _ in range(300):
            rows = {r.id: r for r in await gamedays.exercises(self.h.client, self.h.settings.task_queue)}
            if exercise in rows and until(rows[exercise]):
                return rows[exercise]
            await asyncio.sleep(0.1)
        raise AssertionError(f"{exercise} never got there")

    async def act(self, incident: str, who: str, verb: str, **body: Any) -> None:
        answer = await self.api.post(f"/v1/incidents/{incident}/{verb}", headers=self.auth(who), json=body)
        assert answer.status_code == 200, (verb, answer.text)

    async def debrief(self, exercise: str) -> dict[str, Any]:
        for _ in range(600):
            answer = await self.api.get("/v1/gamedays/debrief", headers=self.auth("erin"),
                                        params={"exercise": exercise})
            if answer.status_code == 200:
                return answer.json()
            assert answer.status_code == 409 and "still running" in answer.text, answer.text
            await asyncio.sleep(0.2)
        raise AssertionError(f"{exercise} never ended: {answer.text}")


@pytest.fixture
def exercising(temporal_env: Any, tmp_path: Path, monkeypatch: Any) -> Any:
    """`async with exercising(policy) as ex:`: see `_exercising`."""
    return lambda policy=SHIPPED: _exercising(temporal_env, tmp_path, monkeypatch, policy)


@asynccontextmanager
async def _exercising(temporal_env: Any, tmp_path: Path, monkeypatch: Any, policy: Any) -> AsyncIterator[Exercise]:
    """A worker whose pager is a real provider (PagerDuty, at a local server that fails the test if
    anything reaches it) and the gateway over a runbooks copy holding the test's scenarios."""
    runbooks = tmp_path / "runbooks"
    shutil.copytree(ROOT / "runbooks", runbooks)
    (runbooks / "gamedays" / "refunds.yaml").write_text(SCENARIO)
    (runbooks / "gamedays" / "short.yaml").write_text(SHORT)
    reached: list[str] = []

    def real_pager(request: Request) -> Answer:
        reached.append(request.path)
        return Answer(202, {"status": "success", "message": "Event processed"})

    with FakeService(real_pager) as pagerduty:
        config = tmp_path / "warroom.yaml"
        monkeypatch.setenv("WARROOM_TEST_PD_ROUTING_KEY", "R0UT1NGKEY0000000000000000000003")
        config.write_text("providers:\n  pager:\n    type: pagerduty\n"
                          f"    routing_key: {{env: WARROOM_TEST_PD_ROUTING_KEY}}\n    base_url: {pagerduty.url}\n")
        client = temporal_env.client
        settings = new_settings(tmp_path, client).model_copy(update={"config_file": config, "runbooks": runbooks})
        async with build_worker(client, settings):
            h = Harness(client=client, settings=settings, policy=policy)
            async with gateway(h, load_config(config)) as api:
                yield Exercise(h, api, pagerduty)
    assert reached == [], f"a real provider was called during a game day: {reached}"


async def test_R_GAME_24_a_scenario_at_speed_opens_injects_isolates_and_scores_a_response_on_time(exercising):
    async with exercising() as ex:
        before = (await ex.api.get("/v1/report", headers=ex.auth("erin"), params={"since": "1d"})).json()
        exercise = await ex.run("refunds")
        row = await ex.row(exercise)
        incident = row.incident
        assert row.ic not in ("bob", "carol")  # on call today: not picked (R-GAME-25)
        # the responders, on time: bob (paged) acknowledges, hands the IC to the exercise's IC, who
        # names a comms lead and an SME with a track (the ack confirmed the severity), and resolves
        await ex.act(incident, "bob", "ack")
        await ex.act(incident, "bob", "role", role="ic", handle=row.ic)
        await ex.act(incident, row.ic, "role", role="comms", handle=row.comms)
        await ex.act(incident, row.ic, "role", role="sme", handle="judy", track="refund queue")
        await ex.act(incident, row.comms, "comms/customer", affected="Refunds", share="about 10%",
                     symptom="refunds show an error page")  # to the outbox, never the public page
        await asyncio.sleep(3 * 60 / SPEED + 2)  # the three injects fall at 1m, 2m and 3m policy time
        await ex.act(incident, row.ic, "status", status="mitigating")
        await ex.act(incident, row.ic, "resolve")
        debrief = await ex.debrief(exercise)
        view = await ex.h.view(incident)
        rows = ex.h.rows(incident)
        after = (await ex.api.get("/v1/report", headers=ex.auth("erin"), params={"since": "1d"})).json()
        public = await public_page_history(ex.h)

    state = view.state
    assert state.game_day and state.speed == SPEED and state.alerts is not None  # opened by its alert group
    notes = [e.text for e in state.timeline if e.actor == "system:gameday"]
    assert any(f"IC is {row.ic}" in n for n in notes)
    assert [n.split(":")[0] for n in notes if n.startswith("inject")] == ["inject at +1m", "inject at +2m",
                                                                          "inject at +3m"]
    assert "regulatory" in state.flags  # the flag inject, and legal was told of it, in the outbox only
    legal = [r for r in rows if r.recipient == "grace"]
    assert legal and all(r.game_day and r.text.startswith(f"[GAME DAY, {SPEED}x speed]") for r in legal)
    assert rows and all(r.game_day for r in rows)
    assert any(e.kind == "alerts" and "resolved" in e.text for e in state.timeline)  # the resolved alert
    assert [r for r in rows if r.channel == "status"]  # the customer update went to the outbox
    assert incident not in public  # and never to the built-in public page
    assert after["incidents"] == before["incidents"] and after["game_days"] == before["game_days"] + 1
    scores = {s["rule"]: s for s in debrief["scores"]}
    assert scores["R-F15-7"]["outcome"] == "met" and scores["R-F15-7"]["at_seconds"] < 120  # policy time
    assert scores["R-F15-8"]["outcome"] == "met"
    assert scores["R-F15-9"]["outcome"] == "met"
    assert debrief["roles"] == {"ic": row.ic, "comms": row.comms}
    document = debrief["document"]
    assert "### Score" in document and "| R-F15-7 | met |" in document and "## Timeline" in document


async def test_R_GAME_24_a_late_response_is_scored_late_and_missed(exercising):
    async with exercising() as ex:
        exercise = await ex.run("short")
        incident = (await ex.row(exercise)).incident
        await asyncio.sleep(2.5 * 60 / SPEED)  # past the 2-minute acknowledgement: the re-page went out
        await ex.act(incident, "bob", "ack")  # and nobody names an IC or confirms the severity
        debrief = await ex.debrief(exercise)  # the exercise ends at its 8-minute limit
        state = (await ex.h.view(incident)).state

    scores = {s["rule"]: s for s in debrief["scores"]}
    assert scores["R-F15-7"]["outcome"] == "met late"
    assert scores["R-F15-8"]["outcome"] == "missed"
    assert state.resolved_by == "system:gameday"
    assert any("the game day's limit (8m) was reached" in e.text for e in state.timeline)


async def test_R_GAME_25_four_exercises_have_four_different_ics_none_of_them_on_call(exercising):
    async with exercising(team_of_six()) as ex:
        ics = []
        for _ in range(4):
            exercise = await ex.run("short", speed=60)
            ics.append((await ex.row(exercise, until=lambda r: r.ic)).ic)
        roster = (await ex.api.get("/v1/gamedays/roster", headers=ex.auth("erin"), params={"team": "payments"})).json()
    assert len(set(ics)) == 4 and not {"bob", "carol"} & set(ics), ics
    assert ics == ["alice", "judy", "heidi", "ivan"]  # never served first, in roster order
    by = {r["handle"]: r for r in roster}
    assert by["bob"]["skipped"] == "on call" and by["bob"]["times_ic"] == 0
    assert all(by[h]["times_ic"] == 1 for h in ics)


async def test_R_GAME_24_the_schedule_is_created_once_then_updated_and_only_the_team_may(exercising):
    async with exercising() as ex:
        refused = await ex.api.post("/v1/gamedays/schedule", headers=ex.auth("kim"), json={"team": "payments"})
        first = await ex.api.post("/v1/gamedays/schedule", headers=ex.auth("erin"), json={"team": "payments"})
        second = await ex.api.post("/v1/gamedays/schedule", headers=ex.auth("bob"), json={"team": "payments"})
        handle = ex.h.client.get_schedule_handle(gamedays.schedule_id("payments"))
        described = await handle.describe()
        await handle.delete()
    assert refused.status_code == 409 and "R-GAME-24" in refused.json()["error"] and "erin" in refused.json()["error"]
    assert first.status_code == 200 and first.json()["message"].startswith("created")
    assert second.status_code == 200 and second.json()["message"].startswith("updated")
    assert described.schedule.spec.time_zone_name == "Europe/Berlin"
    upcoming = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in described.info.next_action_times]
    assert upcoming and all((t.month, t.day, t.hour, t.minute) in {(m, 15, 10, 0) for m in (1, 4, 7, 10)}
                            for t in upcoming)  # quarterly, whatever today's date
    action = described.schedule.action
    assert action.workflow == "GameDayWorkflow" and action.task_queue == ex.h.settings.task_queue


def test_the_shipped_scenarios_load_and_time_their_injects_within_their_limit():
    from warroom.gamedays.scenario import load_scenarios

    scenarios = load_scenarios(ROOT / "runbooks" / "gamedays", set(SHIPPED.runbooks))
    assert sorted(scenarios) == ["cross-team", "data-loss", "escalation"]
    assert {s.service for s in scenarios.values()} == {"payments"}
    cross = scenarios["cross-team"]
    assert any(i.alert and i.alert.body.get("service") == "identity" for i in cross.injects)  # two services
    assert all(max((i.at for i in s.injects), default=timedelta(0)) < s.limit for s in scenarios.values())
