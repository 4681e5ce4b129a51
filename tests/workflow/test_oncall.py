"""On-call overrides on the session's real dev server, through the real gateway served over HTTP
and the real `warroom` CLI: an override recorded over REST changes what `warroom oncall now
payments` answers and who the next incident's page reaches (the outbox); a bad override is a 422
naming the field (the CLI: one line, exit 2), an outsider's is refused naming who may, and
neither records anything; the calendar feeds answer only their token's person. The harness's
rotation is pinned (bob primary, carol secondary), so no date or week changes what is seen."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import icalendar
import uvicorn

from tests.workflow.harness import Harness, keys
from warroom.config_file import WarroomConfig
from warroom.gateway.app import create_app
from warroom.tokens import TokenStore, tokens_file
from workers.up import EmbeddedServer

WARROOM = Path(__file__).parents[2] / ".venv" / "bin" / "warroom"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """The gateway app served by uvicorn on a local port, for the CLI to talk to."""

    def __init__(self, h: Harness):
        self.h = h
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(h.settings, h.client, h.policy, WarroomConfig())
        self.server = EmbeddedServer(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.tokens = TokenStore(tokens_file(h.settings, WarroomConfig()))

    async def __aenter__(self) -> Served:
        self.serving = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.serving

    def token(self, handle: str) -> str:
        return self.tokens.create(handle, "test")

    async def cli(self, token: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "WARROOM_URL": self.url, "WARROOM_TOKEN": token, "COLUMNS": "200"}
        return await asyncio.to_thread(subprocess.run, [str(WARROOM), *args], capture_output=True, text=True,
                                       timeout=60, env=env, cwd=self.h.settings.data_dir)


async def test_an_override_changes_oncall_now_and_who_the_next_page_reaches(make_harness):
    async with make_harness() as h, Served(h) as gw, httpx.AsyncClient(base_url=gw.url, timeout=30) as api:
        carol = gw.token("carol")
        before = await gw.cli(carol, "oncall", "now", "payments", "--json")
        assert before.returncode == 0, before.stderr
        [row] = json.loads(before.stdout)
        assert (row["primary"], row["secondary"], row["manager"]) == ("bob", "carol", "dana")

        now = datetime.now(UTC)
        recorded = await api.post("/v1/oncall/overrides", headers={"Authorization": f"Bearer {carol}"}, json={
            "team": "payments", "start": (now - timedelta(minutes=1)).isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(), "by": "alice", "replaces": "bob",
            "reason": "bob is on a plane"})
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["id"] == f"oncall-overrides-{h.settings.task_queue}-payments"

        after = await gw.cli(carol, "oncall", "now", "payments", "--json")
        [row] = json.loads(after.stdout)
        assert (row["primary"], row["secondary"]) == ("alice", "carol")
        assert [(o["by"], o["replaces"], o["actor"]) for o in row["overrides"]] == [("alice", "bob", "carol")]
        shown = await gw.cli(carol, "oncall", "now", "payments")
        assert shown.returncode == 0 and "alice" in shown.stdout and "bob is on a plane" in shown.stdout, shown
        following = json.loads((await gw.cli(carol, "oncall", "next", "payments", "--json")).stdout)
        assert following[0]["primary"] == "bob" and following[0]["since"] == row["until"]  # back after the override

        incident = await h.declare("SEV1", actor="dana")
        rows = await h.wait_rows(incident, lambda rows: any(r.action_key == "page:SEV1" for r in rows))
        assert ("page:SEV1", "alice") in keys(rows), keys(rows)
        page = (await h.view(incident)).state.done["page:SEV1"]
        assert page.targets[0] == "alice"  # the on-call's place; bob is paged too, as the runbook's SME

        listed = await gw.cli(carol, "oncall", "overrides", "payments")
        assert listed.returncode == 0 and "alice instead of bob" in listed.stdout, listed


async def test_a_bad_or_unauthorized_override_names_the_field_or_who_may_and_records_nothing(make_harness):
    async with make_harness() as h, Served(h) as gw, httpx.AsyncClient(base_url=gw.url, timeout=30) as api:
        carol, kim = gw.token("carol"), gw.token("kim")
        end = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        for body, field in (
            ({"team": "payments", "end": "2030-01-01T10:00:00", "by": "alice"}, "end"),  # no zone
            ({"team": "payments", "end": end, "by": "zoe"}, "by"),
            ({"team": "payments", "end": end, "by": "mia"}, "by"),  # identity's, not payments'
            ({"team": "payments", "end": end}, "by"),
            ({"team": "billing", "end": end, "by": "alice"}, "team"),
        ):
            answer = await api.post("/v1/oncall/overrides", headers={"Authorization": f"Bearer {carol}"}, json=body)
            assert answer.status_code == 422, (body, answer.text)
            assert [e["field"] for e in answer.json()["errors"]] == [field], answer.text
        refused = await api.post("/v1/oncall/overrides", headers={"Authorization": f"Bearer {kim}"},
                                 json={"team": "payments", "end": end, "by": "alice"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == ("only the team (bob, carol, alice, dana) or leadership (erin) records "
                                           "on-call overrides for payments (R-F15-7)")
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        cli = await gw.cli(carol, "oncall", "override", "payments", "--to", past, "--by", "alice")
        assert cli.returncode == 2 and cli.stdout == "", cli
        assert cli.stderr.startswith("warroom: end: ") and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
        assert "Traceback" not in cli.stderr
        listed = await api.get("/v1/oncall/overrides", params={"team": "payments"},
                               headers={"Authorization": f"Bearer {carol}"})
        assert listed.status_code == 200 and listed.json() == []
        [row] = (await api.get("/v1/oncall/now", params={"team": "payments"},
                               headers={"Authorization": f"Bearer {carol}"})).json()
        assert row["primary"] == "bob"


async def test_the_calendar_feeds_answer_their_tokens_person_and_show_the_override(make_harness):
    async with make_harness() as h, Served(h) as gw, httpx.AsyncClient(base_url=gw.url, timeout=30) as api:
        alice = gw.token("alice")
        now = datetime.now(UTC)
        start, end = now + timedelta(hours=2), now + timedelta(hours=5)
        recorded = await api.post("/v1/oncall/overrides", headers={"Authorization": f"Bearer {alice}"}, json={
            "team": "payments", "start": start.isoformat(), "end": end.isoformat(), "by": "alice"})
        assert recorded.status_code == 200, recorded.text
        printed = await gw.cli(alice, "oncall", "feed")
        assert printed.returncode == 0, printed.stderr
        urls = dict(line.split(": ", 1) for line in printed.stdout.splitlines())
        mine, team = urls["your shifts"], urls["payments"]
        assert mine.startswith(f"{gw.url}/v1/calendar/person/alice.ics?token=alice.")

        feed = await api.get(mine.removeprefix(gw.url))
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar"), feed.text
        events = list(icalendar.Calendar.from_ical(feed.content).walk("VEVENT"))
        overrides = [e for e in events if str(e["summary"]).startswith("Override")]
        assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in overrides] == [
            (start.replace(microsecond=0), end.replace(microsecond=0))]  # iCalendar has whole seconds
        assert str(overrides[0]["summary"]) == "Override: on call: payments primary"
        teams = icalendar.Calendar.from_ical((await api.get(team.removeprefix(gw.url))).content)
        primaries = [str(e["summary"]) for e in teams.walk("VEVENT") if "primary" in str(e["summary"])]
        assert primaries[:3] == ["payments primary: bob", "Override: payments primary: alice", "payments primary: bob"]

        token = mine.partition("token=")[2]
        assert (await api.get("/v1/calendar/person/bob.ics", params={"token": token})).status_code == 403
        assert (await api.get("/v1/calendar/team/payments.ics", params={"token": "alice.forged"})).status_code == 401
        assert (await api.get("/v1/calendar/team/billing.ics", params={"token": token})).status_code == 404
