"""The web app's pages over HTTP (the browser test drives the same in chromium): sign-in is
needed, a one-time link works once, a trusted proxy signs people in, forms need their CSRF token,
and a page offers exactly the forms its viewer may use."""

from __future__ import annotations

import re

import httpx

from tests.workflow.harness import Harness
from warroom.config_file import Api, TrustedProxy, WarroomConfig
from warroom.gateway.app import create_app
from warroom.gateway.session import SignInLinks


def web(h: Harness, config: WarroomConfig, links: SignInLinks) -> httpx.AsyncClient:
    app = create_app(h.settings, h.client, h.policy, config, links=links)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def test_the_board_needs_sign_in_and_a_one_time_link_works_once(make_harness):
    links = SignInLinks()
    async with make_harness() as h, web(h, WarroomConfig(), links) as browser:
        assert (await browser.get("/")).headers["location"] == "/signin"
        code = links.issue("erin")
        assert (await browser.get(f"/signin/link?code={code}")).status_code == 303
        board = await browser.get("/")
        assert board.status_code == 200 and "Declare an incident" in board.text
        async with web(h, WarroomConfig(), links) as other:
            again = await other.get(f"/signin/link?code={code}")
            assert again.status_code == 401 and "used already" in again.text


async def test_forms_need_their_csrf_token_and_a_page_offers_only_what_its_viewer_may(make_harness):
    proxy = WarroomConfig(api=Api(trusted_proxy=TrustedProxy(addresses=("127.0.0.1/32",))))
    async with make_harness() as h, web(h, proxy, SignInLinks()) as browser:
        kim = {"X-Forwarded-Email": "kim@example.com"}
        board = await browser.get("/", headers=kim)
        assert board.status_code == 200
        token = csrf(board.text)
        forged = await browser.post("/incidents", headers=kim, data={"severity": "SEV2", "service": "payments",
                                                                     "title": "Forged"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        declared = await browser.post("/incidents", headers=kim, data={"csrf": token, "severity": "SEV2",
                                                                       "service": "payments", "title": "Refunds slow"})
        assert declared.status_code == 303
        incident = declared.headers["location"].rsplit("/", 1)[1]
        page = (await browser.get(f"/incidents/{incident}", headers=kim)).text
        assert "NOT ACKNOWLEDGED" in page and "Add note" in page and "Escalate now" in page
        for absent in ("Acknowledge</button>", ">Resolve<", "Set status", "Assign"):
            assert absent not in page, absent
        async with web(h, proxy, SignInLinks()) as bobs:
            bob = {"X-Forwarded-Email": "bob@example.com"}  # on call: he may acknowledge
            assert "Acknowledge</button>" in (await bobs.get(f"/incidents/{incident}", headers=bob)).text
        refused = await browser.post(f"/incidents/{incident}/do/resolve", headers=kim, data={"csrf": token})
        assert refused.status_code == 409 and "R-ROLE-4" in refused.text
        assert (await h.view(incident)).state.resolved_at is None
