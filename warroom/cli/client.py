"""The CLI's side of the REST API: who you are (a token you hold) and one request per verb.

Where the URL and tokens come from, first found wins:
  1. WARROOM_URL and WARROOM_TOKEN in the environment;
  2. `<data dir>/login.json`, written by `warroom up` for its local operator: the gateway's URL
     and an admin token;
  3. `$XDG_CONFIG_HOME/warroom/login.json` (~/.config/…), written by `warroom login URL`.
`--as HANDLE` uses a token of HANDLE's that you hold, else your admin token on HANDLE's behalf
(the server checks it is an admin token and records "HANDLE via admin-token NAME"); it never makes
the server believe a name you typed.
Standard library only (http.client): no temporalio, no pydantic, no brain.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warroom.cli.output import REFUSED, USAGE, CliError
from warroom.verbs import NEXT_PAGE

TIMEOUT_S = 30


@dataclass(frozen=True)
class Login:
    url: str
    token: str
    handle: str | None  # as far as the file knows; the server decides
    on_behalf: str | None = None  # with an admin token: whom it acts for


def user_login_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "warroom" / "login.json"


def instance_login_file() -> Path:
    return Path(os.environ.get("WARROOM_DATA_DIR") or ".warroom") / "login.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: unreadable ({exc}); log in again with `warroom login`") from None
    return data if isinstance(data, dict) else {}


def write_login(path: Path, url: str, tokens: dict[str, str], default: str | None, admin: str | None = None) -> None:
    """Merge `tokens` into the file (mode 0600: it holds secrets); `admin` names the admin token's holder."""
    data = _read(path)
    data.update({"url": url, "tokens": {**data.get("tokens", {}), **tokens}})
    if default:
        data["default"] = default
    if admin:
        data["admin"] = admin
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)


def resolve(as_: str | None, anyone: bool = False) -> Login:
    """The token to act with: `as_`'s, else $WARROOM_USER's, else the file's default; for a read
    (`anyone`), any token you hold will do."""
    env_url, env_token = os.environ.get("WARROOM_URL"), os.environ.get("WARROOM_TOKEN")
    wanted = (as_ or os.environ.get("WARROOM_USER") or "").strip().lower() or None
    files = [f for f in (instance_login_file(), user_login_file()) if f.exists()]
    if env_token and not as_:
        url = env_url or next((_read(f).get("url") for f in files if _read(f).get("url")), None)
        if not url:
            raise CliError("WARROOM_TOKEN is set but not WARROOM_URL (the gateway's address)")
        return Login(url=url, token=env_token, handle=None)
    for file in files:
        data = _read(file)
        tokens: dict[str, str] = data.get("tokens") or {}
        handle = wanted or data.get("default") or (next(iter(sorted(tokens)), None) if anyone else None)
        if handle and handle in tokens:
            return Login(url=env_url or data["url"], token=tokens[handle], handle=handle)
        admin = data.get("admin")
        if handle and admin in tokens:
            return Login(url=env_url or data["url"], token=tokens[admin], handle=handle, on_behalf=handle)
    if not files and not env_url:
        raise CliError("not connected to warroom: run `warroom up`, or `warroom login URL --token TOKEN` "
                       "(or set WARROOM_URL and WARROOM_TOKEN)")
    held = sorted({h for f in files for h in (_read(f).get("tokens") or {})})
    if wanted:
        raise CliError(f"you hold no token for {wanted!r}" + (f" (you hold: {', '.join(held)})" if held else "")
                       + "; `warroom login URL --token …` adds one")
    raise CliError("who are you? give --as HANDLE or set WARROOM_USER" + (f" (you hold tokens for: {', '.join(held)})"
                                                                          if held else ""), USAGE)


def request(login: Login, method: str, path: str, body: dict[str, Any] | None = None,
            query: dict[str, Any] | None = None) -> Any:
    """One API call; the answer's JSON, or CliError saying why not (exit 2 for a bad field)."""
    return _exchange(login, method, path, body, query)[0]


def page(login: Login, path: str, query: dict[str, Any]) -> tuple[Any, str | None]:
    """One page of a list: its JSON, and the token for the page after it (None: the last)."""
    answer, headers = _exchange(login, "GET", path, None, query)
    return answer, headers.get(NEXT_PAGE)


def _exchange(login: Login, method: str, path: str, body: dict[str, Any] | None,
              query: dict[str, Any] | None) -> tuple[Any, http.client.HTTPMessage]:
    parts = urllib.parse.urlsplit(login.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(f"{login.url!r} is not a warroom URL like http://127.0.0.1:8080", USAGE)
    target = parts.path.rstrip("/") + path
    if query:
        target += "?" + urllib.parse.urlencode({k: _q(v) for k, v in query.items() if v not in (None, False, [])})
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT_S)
    headers = {"Authorization": f"Bearer {login.token}", "Accept": "application/json", "X-Warroom-Client": "cli"}
    if login.on_behalf:
        headers["X-Warroom-On-Behalf-Of"] = login.on_behalf
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, target, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        raise CliError(f"cannot reach warroom at {login.url} ({type(exc).__name__}: {exc}); "
                       "is `warroom up` (or the gateway) running?") from None
    finally:
        connection.close()
    try:
        answer = json.loads(raw) if raw else None
    except ValueError:
        answer = None
    if response.status < 300:
        return answer, response.headers
    message = answer.get("error") if isinstance(answer, dict) else None
    message = message or f"HTTP {response.status} {response.reason}"
    if response.status == 401:
        raise CliError(f"{message} (the token for {login.handle or 'you'} was not accepted)")
    if response.status in (400, 422):
        raise CliError(message, USAGE)
    if response.status >= 500:
        raise CliError(message if "retry" in message else f"{message}; retry later", REFUSED)
    raise CliError(message, REFUSED)


def _q(value: Any) -> str:
    return "true" if value is True else str(value)
