"""Who is calling the REST API: never a name the caller typed, always a credential checked here.

    Authorization: Bearer wr_…       a warroom token (warroom.tokens), bound to one roster person;
                                     an admin token may add `X-Warroom-On-Behalf-Of: alice`, and the
                                     timeline then says "alice via admin-token NAME"
    Authorization: Bearer eyJ…       an OpenID Connect ID or access token (warroom.yaml api.oidc):
                                     signature by the issuer's JWKS, issuer, audience, expiry; its
                                     e-mail claim must be a roster person's contacts.email
    X-Forwarded-Email: a@example.com a trusted proxy's header (api.trusted_proxy), believed only
                                     from the proxy's own addresses

The channel (`cli` when the CLI says so in X-Warroom-Client, else `rest`) is informational.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import urllib.request
from dataclasses import dataclass

import jwt
from fastapi import Request

from warroom.config_file import Api
from warroom.gateway.session import viewer
from warroom.model import Origin
from warroom.policy import Policy
from warroom.tokens import TokenStore

ON_BEHALF = "x-warroom-on-behalf-of"
CLIENT = "x-warroom-client"


@dataclass(frozen=True)
class Caller:
    handle: str
    through: Origin


class Unauthenticated(Exception):
    """401: no credential, or one that does not check out (the message says which, never a secret)."""


class Forbidden(Exception):
    """403: a valid credential asking for more than it may (acting on behalf without admin)."""


class Identities:
    def __init__(self, api: Api, tokens: TokenStore, policy: Policy):
        self.api, self.tokens, self.policy = api, tokens, policy
        self.people = {p.handle for p in policy.roster.people}
        self.by_email = {p.contacts["email"].lower(): p.handle for p in policy.roster.people if "email" in p.contacts}
        self._jwks: jwt.PyJWKClient | None = None

    async def caller(self, request: Request) -> Caller:
        channel = "cli" if request.headers.get(CLIENT, "").lower() == "cli" else "rest"
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential.startswith("wr_"):
            return self._token(credential, request.headers.get(ON_BEHALF, "").strip().lower(), channel)
        if scheme.lower() == "bearer" and credential and self.api.oidc is not None:
            return Caller(await self._oidc(credential), Origin(channel=channel, via="oidc"))
        proxy = self.api.trusted_proxy
        if proxy is not None and request.headers.get(proxy.header) and self._from_proxy(request):
            return Caller(self._person(request.headers[proxy.header]), Origin(channel="web", via="proxy"))
        seen = viewer(request) if "session" in request.scope and request.method == "GET" else None
        if seen is not None and seen.handle in self.people:  # the web app's own reads (its live updates)
            return Caller(seen.acting_as, Origin(channel="web", via=seen.via))
        raise Unauthenticated("a valid bearer token is required: Authorization: Bearer <token from "
                              "`warroom token create HANDLE`>")

    def proxied(self, request: Request) -> str | None:
        """The person a trusted proxy's header names, on a request from the proxy; else None."""
        proxy = self.api.trusted_proxy
        if proxy is None or not request.headers.get(proxy.header) or not self._from_proxy(request):
            return None
        try:
            return self._person(request.headers[proxy.header])
        except Unauthenticated:
            return None

    def _token(self, token: str, behalf: str, channel: str) -> Caller:
        record = self.tokens.authenticate(token)
        if record is None or record.handle not in self.people:
            raise Unauthenticated("the token is unknown, revoked, or its person left the roster")
        if not behalf or behalf == record.handle:
            return Caller(record.handle, Origin(channel=channel, via=f"token {record.name}"))
        if not record.admin:
            raise Forbidden(f"only an admin token acts on behalf of others ({ON_BEHALF}); this one is "
                            f"{record.handle}'s")
        if behalf not in self.people:
            raise Forbidden(f"{ON_BEHALF}: {behalf!r} is not a person in oncall.yaml")
        return Caller(behalf, Origin(channel=channel, via=f"admin-token {record.name} ({record.handle})"))

    async def _oidc(self, token: str) -> str:
        oidc = self.api.oidc
        assert oidc is not None
        try:
            key = await asyncio.to_thread(self._signing_key, token)
            claims = jwt.decode(token, key, algorithms=["RS256", "ES256", "PS256", "EdDSA"], audience=oidc.audience,
                                issuer=oidc.issuer, options={"require": ["exp", "iss", "aud"]})
        except (jwt.PyJWTError, OSError, ValueError) as exc:
            raise Unauthenticated(f"the OpenID Connect token was not accepted: {type(exc).__name__}") from None
        email = claims.get(oidc.email_claim)
        if not isinstance(email, str):
            raise Unauthenticated(f"the OpenID Connect token has no {oidc.email_claim!r} claim")
        return self._person(email)

    def _signing_key(self, token: str) -> object:
        if self._jwks is None:
            oidc = self.api.oidc
            assert oidc is not None
            url = oidc.jwks_url or _discovered_jwks(oidc.issuer)
            self._jwks = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)
        return self._jwks.get_signing_key_from_jwt(token).key

    def _person(self, email: str) -> str:
        handle = self.by_email.get(email.strip().lower())
        if handle is None:
            raise Unauthenticated(f"{email} is not the e-mail of a person in oncall.yaml")
        return handle

    def _from_proxy(self, request: Request) -> bool:
        proxy = self.api.trusted_proxy
        host = request.client.host if request.client else ""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return proxy is not None and any(address in ipaddress.ip_network(n, strict=False) for n in proxy.addresses)


def _discovered_jwks(issuer: str) -> str:
    with urllib.request.urlopen(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=5) as answer:
        return str(json.load(answer)["jwks_uri"])
