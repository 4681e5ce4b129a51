"""REST API tokens: each bound to one roster handle, shown once, kept only as a hash.

A token reads `wr_<id>_<secret>`: the id finds its record, the secret (32 random bytes) is
compared by SHA-256 digest in constant time. A plain hash suffices because the secret is random,
not a password. The file (`tokens.json` in the data dir, or `api.tokens_file` in warroom.yaml)
holds id, handle, label, creation time and the digest; it is written whole through a temporary
file, so a reader never sees half of it. `warroom token create|list|revoke` manage it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.config import Settings
    from warroom.config_file import WarroomConfig

_TOKEN = re.compile(r"^wr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class TokenRecord:
    id: str
    handle: str
    label: str
    created_at: str
    sha256: str
    admin: bool = False  # may act on behalf of any roster person, recorded as "alice via admin-token NAME"

    @property
    def name(self) -> str:
        return self.label or self.id


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._cache: tuple[float, dict[str, TokenRecord]] | None = None

    def records(self) -> dict[str, TokenRecord]:
        """The file's records, re-read when it changed (a revoke takes effect at once)."""
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache is None or self._cache[0] != stamp:
            raw = json.loads(self.path.read_text(encoding="utf-8") or "{}")
            self._cache = (stamp, {r["id"]: TokenRecord(**r) for r in raw.get("tokens", [])})
        return self._cache[1]

    def create(self, handle: str, label: str = "", admin: bool = False) -> str:
        """A new token for `handle`; the only time its secret exists outside the caller."""
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        record = TokenRecord(id=token_id, handle=handle, label=label, admin=admin,
                             created_at=datetime.now(UTC).isoformat(timespec="seconds"), sha256=_digest(secret))
        self._write({**self.records(), token_id: record})
        return f"wr_{token_id}_{secret}"

    def revoke(self, token_id: str) -> TokenRecord | None:
        records = dict(self.records())
        gone = records.pop(token_id, None)
        if gone is not None:
            self._write(records)
        return gone

    def authenticate(self, token: str) -> TokenRecord | None:
        """The record of a presented token, or None."""
        match = _TOKEN.match(token.strip())
        if not match:
            return None
        record = self.records().get(match.group(1))
        if record is None or not hmac.compare_digest(record.sha256, _digest(match.group(2))):
            return None
        return record

    def _write(self, records: dict[str, TokenRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        body = json.dumps({"tokens": [asdict(r) for r in records.values()]}, indent=2)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(body)
        os.replace(temporary, self.path)
        self._cache = None


def tokens_file(settings: Settings, config: WarroomConfig) -> Path:
    """Where the tokens' hashes live: warroom.yaml's `api.tokens_file`, else the data dir."""
    return config.api.tokens_file or settings.data_dir / "tokens.json"
