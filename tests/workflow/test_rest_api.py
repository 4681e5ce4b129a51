"""The REST API on the real gateway app and a real Temporal dev server: every call needs a token
bound to a roster handle, the actor is the token's person, errors name the field or the rule,
and nothing is written on any refusal."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, date, datetime, timedelta

import httpx

from tests.workflow.harness import Harness, gateway, review_document
from warroom.commands import Resolve
from warroom.config import Settings
from warroom.config_file import WarroomConfig
from warroom.gateway.app import create_app
from warroom.tokens import TokenStore, tokens_file


def token(h: Harness, handle: str) -> dict[str, str]:
    store = TokenStore(tokens_file(h.settings, WarroomConfig()))
    return {"Authorization": f"Bearer {store.create(handle, 'test')}"}


async def test_declare_ack_command_update_and_resolve_over_rest_as_the_tokens_person(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        heidi, bob = token(h, "heidi"), token(h, "bob")
        declared = await api.post("/v1/incidents", headers=heidi,
                                  json={"words": ["sev2", "payments", "Refunds", "slow"]})
        assert declared.status_code == 200, declared.text
        incident = declared.json()["incident_id"]
        for body_of, headers in (
            (("ack", {}), bob),
            (("role", {"role": "ic", "handle": "bob"}), bob),
            (("update", {"impact": "refunds take 10 min", "theory": "queue backlog", "next_steps": "scale out",
                         "next": "30s"}), bob),
            (("status", {"status": "mitigating"}), bob),
            (("resolve", {}), bob),
        ):
            verb, body = body_of
            answer = await api.post(f"/v1/incidents/{incident.lower()}/{verb}", headers=headers, json=body)
            assert answer.status_code == 200, (verb, answer.text)
            assert answer.json()["incident_id"] == incident
        shown = (await api.get(f"/v1/incidents/{incident}", headers=heidi)).json()
        state = shown["state"]
        assert state["declared_by"] == "heidi" and state["acknowledged_by"] == "bob" and state["ic"] == "bob"
        assert state["resolved_by"] == "bob" and state["updates"][0]["actor"] == "bob"
        assert [
            e["actor"] for e in state["timeline"] if e["kind"] in ("declared", "acknowledged", "role", "resolved")
        ] == ["heidi", "bob", "bob", "bob"]
        assert all({"what", "who", "rule", "at"} <= set(d) for d in shown["deadlines"])
        listed = (await api.get("/v1/incidents", headers=heidi, params={"severity": "SEV2"})).json()
        assert incident in [row["id"] for row in listed]

        exercise = (await api.post("/v1/incidents", headers=heidi, json={
            "words": ["sev3", "payments", "Game", "day"], "game_day": True})).json()["incident_id"]
        for wanted, present, absent in (("true", exercise, incident), ("false", incident, exercise)):
            rows = (await api.get("/v1/incidents", headers=heidi, params={"game_day": wanted, "all": "true"})).json()
            ids = [row["id"] for row in rows]
            assert present in ids and absent not in ids, (wanted, ids)


async def test_the_incident_list_comes_by_pages_each_incident_once(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        heidi = token(h, "heidi")
        declared = set()
        for n in range(5):
            answer = await api.post("/v1/incidents", headers=heidi,
                                    json={"words": ["sev3", "identity", "Logins", "slow", str(n)]})
            declared.add(answer.json()["incident_id"])
        seen, pages, page_token = [], 0, None
        while True:
            params = {"service": "identity", "all": "true", "limit": 2, **({"page_token": page_token} if page_token
                                                                           else {})}
            answer = await api.get("/v1/incidents", headers=heidi, params=params)
            assert answer.status_code == 200, answer.text
            assert len(answer.json()) <= 2
            seen += [row["id"] for row in answer.json()]
            pages += 1
            page_token = answer.headers.get("x-next-page-token")
            if page_token is None:
                break
        assert declared <= set(seen) and len(seen) == len(set(seen)) and pages >= 3, (pages, seen)

        for params, field in (({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "many"}, "limit"),
                              ({"page_token": "%%%"}, "page_token"),
                              ({"page_token": "bm90IGEgdG9rZW4="}, "page_token")):  # base64, but no token
            refused = await api.get("/v1/incidents", headers=heidi, params=params)
            assert refused.status_code == 422, (params, refused.text)
            assert [e["field"] for e in refused.json()["errors"]] == [field], refused.json()


async def test_without_a_valid_token_the_api_answers_401_and_does_nothing(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV2", actor="dana")
        store = TokenStore(tokens_file(h.settings, WarroomConfig()))
        revoked = store.create("bob", "leaving")
        store.revoke(revoked.split("_")[1])
        for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": f"Bearer {revoked}"},
                        {"Authorization": "Basic Ym9iOmJvYg=="}):
            answer = await api.post(f"/v1/incidents/{incident}/ack", headers=headers, json={})
            assert answer.status_code == 401, (headers, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer" and "token" in answer.json()["error"]
            assert (await api.get("/v1/incidents", headers=headers)).status_code == 401
        state = (await h.view(incident)).state
        assert state.acknowledged_at is None and [e.kind for e in state.timeline if e.actor != "warroom"] == [
            "declared"
        ]


async def test_refusals_and_bad_fields_name_the_rule_or_the_field_and_write_nothing(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV1", actor="dana")
        bob, kim = token(h, "bob"), token(h, "kim")
        await api.post(f"/v1/incidents/{incident}/role", headers=bob, json={"role": "ic", "handle": "bob"})
        before = (await h.view(incident)).state.timeline
        cases = [
            (kim, "resolve", {}, 409, "R-ROLE-4"),
            (bob, "severity", {"severity": "SEV9"}, 422, "severity"),
            (bob, "update", {"impact": "x", "theory": "y"}, 422, "next_steps"),
            (bob, "update", {"impact": "x", "theory": "y", "next_steps": "z", "next": "99999999999999999999h"}, 422,
             "next"),
            (bob, "ack", {"actor": "kim"}, 422, "actor"),
            (bob, "role", {"role": "ic", "handle": "nobody-here"}, 409, "nobody-here"),
        ]
        for headers, verb, body, status, named in cases:
            answer = await api.post(f"/v1/incidents/{incident}/{verb}", headers=headers, json=body)
            assert answer.status_code == status, (verb, body, answer.text)
            assert named in answer.text, (verb, answer.text)
        unknown = await api.post("/v1/incidents/INC-22222/ack", headers=bob, json={})
        assert unknown.status_code == 404 and "INC-22222" in unknown.json()["error"]
        malformed = await api.post("/v1/incidents/not-an-id/ack", headers=bob, json={})
        assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "incident"
        after = (await h.view(incident)).state.timeline
        assert [e for e in after if e.actor != "warroom"] == [e for e in before if e.actor != "warroom"]


async def test_previews_drafts_action_items_and_the_report_over_rest(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV2", actor="dana")
        bob, judy = token(h, "bob"), token(h, "judy")
        await api.post(f"/v1/incidents/{incident}/role", headers=bob, json={"role": "ic", "handle": "bob"})
        preview = await api.post(f"/v1/incidents/{incident}/comms/customer/preview", headers=bob,
                                 json={"affected": "Refunds", "share": "some", "symptom": "slow refunds"})
        assert preview.status_code == 200 and "slow refunds" in preview.json()["preview"]
        assert not (await h.view(incident)).state.communications  # a preview sends nothing
        due = (date.today() + timedelta(days=20)).isoformat()
        added = await api.post(f"/v1/incidents/{incident}/action-items", headers=bob,
                               json={"title": ["Alert", "on", "backlog"], "owner": "judy", "due": due})
        assert added.status_code == 200, added.text
        item = added.json()
        assert (item["title"], item["owner"], item["due"], item["created_by"]) == (
            "Alert on backlog",
            "judy",
            due,
            "bob",
        )
        done = await api.post(f"/v1/action-items/{item['id'].lower()}/done", headers=judy, json={"note": "added"})
        assert done.status_code == 200 and done.json()["status"] == "done"
        listed = (await api.get("/v1/action-items", headers=judy, params={"incident": incident, "all": "true"})).json()
        assert [i["id"] for i in listed] == [item["id"]]
        await api.post(f"/v1/incidents/{incident}/resolve", headers=bob, json={})
        draft = await api.get(f"/v1/incidents/{incident}/review/draft", headers=bob)
        assert draft.status_code == 200 and incident in draft.json()
        report = await api.get("/v1/report", headers=judy, params={"since": "1d"})
        assert report.status_code == 200 and report.json()["incidents"] >= 1
        assert (await api.get("/v1/report", headers=judy, params={"since": "1000000d"})).status_code == 422


async def test_the_report_kept_between_calls_counts_what_closed_since_once_and_reads_further_back_anew(make_harness):
    """The gateway keeps closed incidents' facts between reports (warroom/temporal/report.py): an
    incident open at one report and closed before the next is counted once, as resolved; a
    report further back than any before lists everything again."""
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        erin = token(h, "erin")

        async def report(since: str = "1d") -> dict:
            answer = await api.get("/v1/report", headers=erin, params={"since": since})
            assert answer.status_code == 200, answer.text
            return answer.json()

        async def until_resolved_counted(count: int) -> dict:
            for _ in range(100):  # visibility shows a close a moment after it: a liveness bound
                if (now := await report())["mttr"]["count"] >= count:
                    return now
                await asyncio.sleep(0.1)
            raise AssertionError(f"the report never counted {count} resolutions: {now}")

        before = await report()
        incident = await h.declare("SEV4", actor="dana", title="Search index stale")
        running = await report()
        assert running["incidents"] == before["incidents"] + 1
        assert running["by_severity"]["SEV4"] == before["by_severity"]["SEV4"] + 1
        await h.send(incident, Resolve(actor="erin", reason="stale by design"))  # a SEV4 closes at once
        await h.handle(incident).result()
        closed = await until_resolved_counted(before["mttr"]["count"] + 1)
        assert closed["incidents"] == running["incidents"]  # counted once: kept, no longer running
        again = await report()
        assert {k: v for k, v in again.items() if k not in ("since", "until")} == {
            k: v for k, v in closed.items() if k not in ("since", "until")}
        wider = await report("2d")  # further back than any report before: everything listed anew
        assert (wider["incidents"], wider["mttr"]["count"]) == (closed["incidents"], closed["mttr"]["count"])


async def test_with_temporal_unreachable_the_api_answers_503_with_retry_after(make_harness, tmp_path):
    async with make_harness() as h:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        settings = Settings(temporal_address=f"127.0.0.1:{port}", data_dir=h.settings.data_dir,
                            task_queue=h.settings.task_queue)
        app = create_app(settings, client=None, policy=h.policy, config=WarroomConfig())
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as api:
            answer = await api.post("/v1/incidents/INC-7K2QD/ack", headers=token(h, "bob"), json={})
            assert answer.status_code == 503 and answer.headers["retry-after"], answer.text
            assert "retry" in answer.json()["error"]


async def test_a_submitted_review_closes_the_incident_and_the_incident_starts_its_action_items(make_harness):
    """R-PIR-23 in the command layer: the submit is one command, from any front-end; the incident
    starts each item it names as its own chased workflow. A line without a due date refuses it."""
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV2", actor="dana")
        bob = token(h, "bob")
        for verb, body in (("role", {"role": "ic", "handle": "bob"}), ("resolve", {})):
            assert (await api.post(f"/v1/incidents/{incident}/{verb}", headers=bob, json=body)).status_code == 200
        today = datetime.now(UTC).date()
        document = review_document(today).replace("no alert watched", "bob should have watched")
        undated = document + "- Load-test the pool (@judy)\n"
        refused = await api.post(f"/v1/incidents/{incident}/review", headers=bob, json={"document": undated})
        assert refused.status_code == 409 and "Load-test the pool" in refused.json()["error"], refused.text
        assert (await h.view(incident)).state.review is None
        submitted = await api.post(f"/v1/incidents/{incident}/review", headers=bob, json={"document": document})
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["stage"] == "closed" and "1 action item(s) to start" in submitted.json()["message"]
        assert any("names bob" in w for w in submitted.json()["warnings"])  # R-PIR-22: warned, not refused
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            found = (await api.get("/v1/action-items", headers=bob, params={"incident": incident})).json()
            if found or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.2)
        assert [(i["id"], i["owner"], i["due"], i["created_by"]) for i in found] == [
            (f"{incident}-A1", "judy", (today + timedelta(days=30)).isoformat(), "bob")]
        shown = await api.get(f"/v1/incidents/{incident}/review", headers=bob)  # review show
        assert shown.status_code == 200, shown.text
        assert (shown.json()["actor"], shown.json()["document"]) == ("bob", document.strip())
        assert [i["owner"] for i in shown.json()["items"]] == ["judy"]
        again = await api.post(f"/v1/incidents/{incident}/review", headers=bob, json={"document": document})
        assert again.status_code == 409 and f"warroom review show {incident}" in again.json()["error"], again.text


async def test_R_F15_11_a_responder_ticks_a_checklist_step_over_rest_and_a_stakeholder_may_not(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV2", actor="dana")
        bob, kim = token(h, "bob"), token(h, "kim")
        ticked = await api.post(f"/v1/incidents/{incident}/checklist", headers=bob, json={"step": "4"})
        assert ticked.status_code == 200, ticked.text
        assert ticked.json()["message"].startswith("checklist step 4 done: Check the card processor")
        refused = await api.post(f"/v1/incidents/{incident}/checklist", headers=kim, json={"step": "2"})
        assert refused.status_code == 409 and "R-F15-11" in refused.json()["error"], refused.text
        bad = await api.post(f"/v1/incidents/{incident}/checklist", headers=bob, json={"step": "four"})
        assert bad.status_code == 422 and "step" in bad.text, bad.text
        shown = (await api.get(f"/v1/incidents/{incident}", headers=kim)).json()
        steps = {item["number"]: item for item in shown["checklist"]}
        assert steps[4]["done"] and steps[4]["ticked_by"] == "bob" and not steps[2]["done"]


async def test_a_stakeholder_may_note_and_escalate_but_not_command_and_the_ic_may(make_harness):
    """Two tokens, the IC's and a stakeholder's (kim, support): kim's downgrade, status change, role
    change, resolve, publish and ack are refused naming the rule and who may, and write nothing."""
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV1", actor="dana")
        ic, kim = token(h, "bob"), token(h, "kim")
        assert (await api.post(f"/v1/incidents/{incident}/role", headers=ic,
                               json={"role": "ic", "handle": "bob"})).status_code == 200
        before = (await h.view(incident)).state
        refusals = [
            ("severity", {"severity": "SEV3"}, "only the IC (bob) lowers or confirms the severity (R-ROLE-1)"),
            ("status", {"status": "mitigating"}, "only the IC (bob) changes the status (R-ROLE-1)"),
            ("role", {"role": "comms", "handle": "kim"}, "only the IC (bob) assigns the comms lead and the SMEs"),
            ("resolve", {}, "only the IC (bob) resolves (R-ROLE-4)"),
            ("comms/stakeholder", {"impact": "checkout down"}, "only the comms lead (bob) publishes"),
            ("ack", {}, "acknowledges (R-F15-7)"),
        ]
        for verb, body, said in refusals:
            answer = await api.post(f"/v1/incidents/{incident}/{verb}", headers=kim, json=body)
            assert answer.status_code == 409 and said in answer.json()["error"], (verb, answer.text)
        people = {p.handle for p in h.policy.roster.people}
        after = (await h.view(incident)).state.timeline
        assert [e for e in after if e.actor in people] == [e for e in before.timeline if e.actor in people]
        for verb, body in (("note", {"text": "customers calling"}),
                           ("escalate", {"to": "leadership", "reason": "a big account"})):
            assert (await api.post(f"/v1/incidents/{incident}/{verb}", headers=kim, json=body)).status_code == 200
        for verb, body in (("severity", {"severity": "SEV2"}), ("status", {"status": "mitigating"}),
                           ("comms/stakeholder", {"impact": "checkout down"}), ("resolve", {})):
            answer = await api.post(f"/v1/incidents/{incident}/{verb}", headers=ic, json=body)
            assert answer.status_code == 200, (verb, answer.text)
        state = (await h.view(incident)).state
        assert state.resolved_by == "bob" and state.acknowledged_by == "bob"  # the IC's first word acknowledged
        [note] = [e for e in state.timeline if e.kind == "note"]
        assert (note.actor, note.channel, note.via) == ("kim", "rest", "token test")


async def test_only_an_admin_token_acts_on_behalf_of_others_and_the_timeline_says_so(make_harness):
    async with make_harness() as h, gateway(h, WarroomConfig()) as api:
        incident = await h.declare("SEV2", actor="dana")
        store = TokenStore(tokens_file(h.settings, WarroomConfig()))
        admin = {"Authorization": f"Bearer {store.create('erin', 'scripts', admin=True)}"}
        plain = token(h, "kim")
        behalf = {"X-Warroom-On-Behalf-Of": "bob"}
        refused = await api.post(f"/v1/incidents/{incident}/ack", headers={**plain, **behalf}, json={})
        assert refused.status_code == 403 and "admin token" in refused.json()["error"]
        stranger = await api.post(f"/v1/incidents/{incident}/ack", headers={**admin, "X-Warroom-On-Behalf-Of":
                                                                            "mallory"}, json={})
        assert stranger.status_code == 403 and "mallory" in stranger.json()["error"]
        acked = await api.post(f"/v1/incidents/{incident}/ack", headers={**admin, **behalf, "X-Warroom-Client": "cli"},
                               json={})
        assert acked.status_code == 200, acked.text
        event = next(e for e in (await h.view(incident)).state.timeline if e.kind == "acknowledged")
        assert (event.actor, event.channel, event.via) == ("bob", "cli", "admin-token scripts (erin)")
        assert (await api.get("/v1/whoami", headers=admin)).json()["handle"] == "erin"
