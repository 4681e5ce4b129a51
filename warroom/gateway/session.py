"""The web app's sessions and sign-in: signed cookies (Starlette's SessionMiddleware, itsdangerous),
a CSRF token per session checked on every form, and the one-time sign-in links `warroom up` prints.

The session holds who signed in (a roster handle), how (`link`, `oidc`, `proxy`), whether they may
act for others (the local operator of `warroom up`), and whom they act as now. Nothing else: the
incident state is Temporal's. The signing key comes from warroom.yaml's `api.session_secret`, else
a random key kept in the data dir (`session.key`, mode 0600) so sessions survive a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

LINK_LIFETIME_S = 24 * 3600
SESSION_MAX_AGE_S = 12 * 3600


def session_key(configured: str | None, data_dir: Path) -> str:
    if configured:
        return configured
    path = data_dir / "session.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass(frozen=True)
class Viewer:
    handle: str  # who signed in
    via: str  # link | oidc | proxy
    admin: bool  # may act on behalf of others (recorded)
    acting_as: str  # whom their commands are for: themselves unless an admin chose someone


def viewer(request: Request) -> Viewer | None:
    data = request.session
    handle = data.get("handle")
    if not isinstance(handle, str):
        return None
    admin = bool(data.get("admin"))
    acting = data.get("acting_as") if admin and isinstance(data.get("acting_as"), str) else handle
    return Viewer(handle=handle, via=str(data.get("via", "")), admin=admin, acting_as=acting)


def sign_in(request: Request, handle: str, via: str, admin: bool = False) -> None:
    request.session.clear()
    request.session.update({"handle": handle, "via": via, "admin": admin, "csrf": secrets.token_urlsafe(24)})


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and isinstance(given, str) and hmac.compare_digest(expected, given)


class SignInLinks:
    """One-time sign-in codes, held by the gateway process that prints them (`warroom up`, like
    Jupyter's token): each signs one browser in as the local operator, once, within a day."""

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, float]] = {}

    def issue(self, handle: str) -> str:
        code = secrets.token_urlsafe(24)
        self._codes[hashlib.sha256(code.encode()).hexdigest()] = (handle, time.monotonic() + LINK_LIFETIME_S)
        return code

    def redeem(self, code: str) -> str | None:
        found = self._codes.pop(hashlib.sha256(code.encode()).hexdigest(), None)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]
