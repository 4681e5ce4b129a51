"""Single sign-on for the REST API (and the web app to come): an OpenID Connect token whose
signature checks out against the issuer's JWKS (served here by a local HTTP server, the keys made
by the test), and a trusted proxy's X-Forwarded-Email, believed only from the proxy's address."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.workflow.harness import gateway
from warroom.config_file import Api, OpenIdConnect, TrustedProxy, WarroomConfig

ISSUER = "https://login.example.com/"
AUDIENCE = "warroom"


def key_pair() -> tuple[rsa.RSAPrivateKey, dict]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": f"test-{id(private)}", "use": "sig", "alg": "RS256"}


@contextmanager
def jwks_server(keys: list[dict]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = json.dumps({"keys": keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()


def signed(private: rsa.RSAPrivateKey, kid: str, **claims: object) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, "email": "judy@example.com", **claims}
    return jwt.encode(payload, private, algorithm="RS256", headers={"kid": kid})


async def test_an_openid_connect_token_acts_as_the_roster_person_of_its_email(make_harness):
    private, public = key_pair()
    stranger, stranger_public = key_pair()
    with jwks_server([public]) as url:
        config = WarroomConfig(api=Api(oidc=OpenIdConnect(issuer=ISSUER, audience=AUDIENCE, jwks_url=url)))
        async with make_harness() as h, gateway(h, config) as api:
            good = signed(private, public["kid"])
            whoami = await api.get("/v1/whoami", headers={"Authorization": f"Bearer {good}"})
            assert whoami.status_code == 200 and whoami.json() == {"handle": "judy", "channel": "rest", "via": "oidc"}
            incident = await h.declare("SEV2", actor="dana")
            noted = await api.post(f"/v1/incidents/{incident}/note", headers={"Authorization": f"Bearer {good}"},
                                   json={"text": "signed in"})
            assert noted.status_code == 200
            [note] = [e for e in (await h.view(incident)).state.timeline if e.kind == "note"]
            assert (note.actor, note.via) == ("judy", "oidc")
            for bad in (
                signed(private, public["kid"], exp=int(time.time()) - 10),  # expired
                signed(private, public["kid"], aud="someone-else"),
                signed(private, public["kid"], iss="https://evil.example.com/"),
                signed(private, public["kid"], email="mallory@example.com"),  # nobody on the roster
                signed(stranger, stranger_public["kid"]),  # a key the issuer never published
                signed(private, public["kid"], email=None),
            ):
                answer = await api.get("/v1/whoami", headers={"Authorization": f"Bearer {bad}"})
                assert answer.status_code == 401, answer.text


async def test_a_trusted_proxys_header_counts_only_from_the_proxy(make_harness):
    header = {"X-Forwarded-Email": "Heidi@Example.com"}
    trusted = WarroomConfig(api=Api(trusted_proxy=TrustedProxy(addresses=("127.0.0.1/32",))))
    elsewhere = WarroomConfig(api=Api(trusted_proxy=TrustedProxy(addresses=("10.0.0.0/8",))))
    async with make_harness() as h:
        async with gateway(h, trusted) as api:
            answer = await api.get("/v1/whoami", headers=header)  # the test client is 127.0.0.1
            assert answer.status_code == 200 and answer.json()["handle"] == "heidi"
            assert (await api.get("/v1/whoami", headers={"X-Forwarded-Email": "x@example.com"})).status_code == 401
        async with gateway(h, elsewhere) as api:
            assert (await api.get("/v1/whoami", headers=header)).status_code == 401
