"""The web app in a real browser: Debian's chromium driven by Playwright (no browser download),
against the real gateway and a real Temporal dev server, with sign-in through a real OpenID
Connect provider (panva's oidc-provider, run with node) and through `warroom up`'s one-time link.

A whole SEV1 from the browser: erin (the local operator) declares from the board; the board shows
NOT ACKNOWLEDGED and a countdown; bob (on call) signs in by SSO and acknowledges from the page, and
erin's board updates without a reload; kim (support) sees no resolve button and her forged form
post is refused; bob takes command, resolves, and submits the review from the page. Screenshots of
the board and the incident page at 1400 px and 375 px are saved under test-artifacts/.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from playwright import async_api as playwright

from tests.workflow.harness import Harness, new_settings, review_document, scaled
from warroom.config_file import Api, OpenIdConnect, SecretRef, WarroomConfig
from warroom.gateway.app import create_app
from warroom.gateway.session import SignInLinks
from workers.main import build_worker
from workers.up import EmbeddedServer

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = Path(__file__).parent / "oidc"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.e2e


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_provider(port: int, redirect: str, secret: str, log: Path) -> subprocess.Popen:
    assert (PROVIDER / "node_modules" / "oidc-provider").exists(), (
        "the test OpenID provider is not installed: npm ci --prefix tests/e2e/oidc (make test does)")
    process = subprocess.Popen(
        ["node", str(PROVIDER / "provider.js")], cwd=PROVIDER, stdout=subprocess.PIPE, stderr=open(log, "wb"),
        env={**os.environ, "PORT": str(port), "REDIRECT_URI": redirect, "CLIENT_SECRET": secret}, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if "listening" in line:
            return process
    process.kill()
    raise AssertionError(f"the OpenID provider did not start: {log.read_text()}")


async def sso(context, base: str, email: str):
    """Sign in through the provider's login and consent pages, as `email`."""
    page = await context.new_page()
    await page.goto(f"{base}/signin")
    await page.click("text=Sign in with single sign-on")
    await page.fill("input[name=login]", email)
    await page.fill("input[name=password]", "any password: the test provider's login form takes any")
    await page.click("button[type=submit]")
    await page.click("button[type=submit]")  # consent: warroom may read the e-mail address
    await page.wait_for_url(f"{base}/")
    return page


async def test_a_whole_sev1_from_the_browser(temporal_env, tmp_path: Path, monkeypatch):
    assert Path(CHROMIUM).exists(), "chromium is not installed (apt-get install chromium; .ci/run does)"
    secret = "warroom-test-client-secret"
    monkeypatch.setenv("E2E_OIDC_SECRET", secret)
    gateway_port, provider_port = free_port(), free_port()
    base, issuer = f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{provider_port}"
    h = Harness(client=temporal_env.client, settings=new_settings(tmp_path, temporal_env.client), policy=scaled(1))
    config = WarroomConfig(api=Api(oidc=OpenIdConnect(issuer=issuer, audience="warroom", client_id="warroom",
                                                       client_secret=SecretRef(env="E2E_OIDC_SECRET"))))
    links = SignInLinks()
    app = create_app(h.settings, h.client, h.policy, config, links=links)
    server = EmbeddedServer(uvicorn.Config(app, host="127.0.0.1", port=gateway_port, log_level="warning",
                                           lifespan="off"))
    provider = start_provider(provider_port, f"{base}/signin/oidc/callback", secret, tmp_path / "provider.log")
    ARTIFACTS.mkdir(exist_ok=True)
    async with build_worker(h.client, h.settings):
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.05)
            async with playwright.async_playwright() as driver:
                browser = await driver.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                    "--no-first-run", "--disable-component-update", "--disable-sync"])
                try:
                    await whole_sev1(browser, base, links, h)
                finally:
                    await browser.close()
        finally:
            server.should_exit = True
            await serving
            provider.terminate()
            provider.wait(timeout=10)


async def whole_sev1(browser, base: str, links: SignInLinks, h: Harness) -> None:
    wide = {"viewport": {"width": 1400, "height": 1000}}
    erin_context = await browser.new_context(**wide)
    board = await erin_context.new_page()
    await board.goto(f"{base}/signin/link?code={links.issue('erin')}")
    assert board.url == f"{base}/"
    await board.select_option("#declare-sev", "SEV1")
    await board.select_option("#declare-service", "payments")
    await board.fill("#declare-title-input", "Checkout failing")
    await board.click("button:has-text('Declare')")
    incident = board.url.rsplit("/", 1)[1]
    assert incident.startswith("INC-")

    await board.goto(f"{base}/")
    card = board.locator(f"li.card:has-text('{incident}')")
    await card.locator("strong.alarm:text-is('NOT ACKNOWLEDGED')").wait_for()
    countdown = card.locator("time[data-due]")
    first = await countdown.text_content()
    assert first and first.startswith("in "), first
    await board.evaluate("window.__not_reloaded = true")
    await board.screenshot(path=ARTIFACTS / "board-1400.png", full_page=True)

    bob = await sso(await browser.new_context(**wide), base, "bob@example.com")
    await bob.goto(f"{base}/incidents/{incident}")
    await bob.click("button:has-text('Acknowledge')")
    await bob.locator("text=by bob at").wait_for()

    await card.locator("dd:text-is('yes')").wait_for(timeout=20_000)  # live: no reload
    assert await board.evaluate("window.__not_reloaded === true")

    kim = await sso(await browser.new_context(**wide), base, "kim@example.com")
    await kim.goto(f"{base}/incidents/{incident}")
    assert await kim.locator("button:has-text('Resolve')").count() == 0
    assert await kim.locator("button:has-text('Add note')").count() == 1  # anyone notes (R-ESC-20)
    forged = await kim.request.post(f"{base}/incidents/{incident}/do/resolve", form={"csrf": "forged"})
    assert forged.status == 403 and "CSRF" in await forged.text()
    csrf = await kim.locator("input[name=csrf]").first.get_attribute("value")
    refused = await kim.request.post(f"{base}/incidents/{incident}/do/resolve", form={"csrf": csrf or ""})
    said = await refused.text()
    assert refused.status == 409 and "only the acting IC (bob) resolves (R-ROLE-4)" in said, said[
        said.find("refused") :
    ][:400]

    await bob.select_option("#a-role", "ic")
    await bob.select_option("#a-handle", "bob")
    await bob.click("button:has-text('Assign')")
    await bob.locator("dd:text-is('bob')").first.wait_for()
    await bob.screenshot(path=ARTIFACTS / "incident-1400.png", full_page=True)
    await bob.click("button:has-text('Resolve')")
    await bob.locator("#r-document").wait_for()
    await bob.fill("#r-document", review_document(date.today()))
    await bob.click("button:has-text('Submit the review')")
    await bob.locator("text=Submitted by bob").wait_for()
    state = (await h.view(incident)).state
    assert state.stage.value == "closed" and state.review is not None and state.review.actor == "bob"
    assert [(e.actor, e.channel) for e in state.timeline if e.kind in ("acknowledged", "resolved")] == [
        ("bob", "web"), ("bob", "web")]

    phone = {"viewport": {"width": 375, "height": 812}, "is_mobile": True}
    small = await (await browser.new_context(**phone)).new_page()
    await small.goto(f"{base}/signin/link?code={links.issue('erin')}")
    await small.goto(f"{base}/?tab=review")
    await small.screenshot(path=ARTIFACTS / "board-375.png", full_page=True)
    await small.goto(f"{base}/incidents/{incident}")
    width = await small.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the incident page scrolls sideways on a phone ({width} px)"
    await small.screenshot(path=ARTIFACTS / "incident-375.png", full_page=True)
