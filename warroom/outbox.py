"""The outbox: the development default's delivery log, `outbox.sqlite` in the data dir. Every
page, message and post the outbox provider (activities/outbox.py) sends becomes a row here;
`warroom outbox` and the gateway's `/v1/outbox` read it. Not incident state (Temporal holds
that): a log of what would have left the building.

The idempotency key (workflow id + action key) and the recipient are unique together, so a
retried activity, a worker killed mid-write, or a replay never writes a second row.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from warroom.delivery import Delivery

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    address TEXT NOT NULL,
    incident TEXT NOT NULL,
    action_key TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    text TEXT NOT NULL,
    game_day INTEGER NOT NULL DEFAULT 0,
    due_at TEXT,
    UNIQUE (idempotency_key, recipient)
);
CREATE INDEX IF NOT EXISTS outbox_incident ON outbox (incident, id);
"""

ADDRESS_FOR = {"pager": ("pagerduty", "phone", "email"), "email": ("email",), "chat": ("slack", "email"), "ticket": ()}


class OutboxRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    created_at: datetime
    channel: str
    recipient: str
    address: str
    incident: str
    action_key: str
    idempotency_key: str
    subject: str
    text: str
    game_day: bool
    due_at: datetime | None = None  # when its rule wanted it out (absent in rows of older outboxes)

    @property
    def late(self) -> float | None:
        """Seconds between when it was due and when it went out."""
        return None if self.due_at is None else (self.created_at - self.due_at).total_seconds()


class Outbox:
    """Writes and reads the outbox file; safe for one writer and many readers (WAL)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._prepared = False
        self._preparing = threading.Lock()
        self._held = threading.local()  # a connection per thread, kept: opening one per row cost more than the row

    def _connect(self) -> sqlite3.Connection:
        connection = getattr(self._held, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self._held.connection = sqlite3.connect(self.path, timeout=30)
            # WAL with synchronous=NORMAL: a row survives the worker's SIGKILL, a commit waits for no fsync
            connection.execute("PRAGMA synchronous=NORMAL")
        if not self._prepared:
            # once per process, one thread at a time: switching to WAL takes a lock that SQLite does
            # not wait for, so concurrent first writes would fail with "database is locked"
            with self._preparing:
                if not self._prepared:
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.executescript(SCHEMA)
                    columns = {row[1] for row in connection.execute("PRAGMA table_info(outbox)")}
                    if "due_at" not in columns:  # an outbox written before due times were kept
                        connection.execute("ALTER TABLE outbox ADD COLUMN due_at TEXT")
                    self._prepared = True
        return connection

    def write(self, delivery: Delivery) -> int:
        """Insert one row per recipient; return how many were new."""
        now = datetime.now(UTC).isoformat()
        rows = [
            (
                now, delivery.channel, r.handle, _address(delivery.channel, r.contacts), delivery.incident_id,
                delivery.action_key, delivery.idempotency_key, delivery.subject, delivery.text, int(delivery.game_day),
                delivery.due_at.isoformat() if delivery.due_at else None,
            )
            for r in delivery.recipients
        ]
        with self._connect() as connection:
            before = connection.total_changes
            connection.executemany(
                "INSERT OR IGNORE INTO outbox (created_at, channel, recipient, address, incident, action_key,"
                " idempotency_key, subject, text, game_day, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return connection.total_changes - before

    def read(self, incident: str | None = None, since_id: int = 0) -> list[OutboxRow]:
        if not self.path.exists():
            return []
        query = "SELECT * FROM outbox WHERE id > ?"
        params: list[object] = [since_id]
        if incident:
            query += " AND incident = ?"
            params.append(incident)
        with self._connect() as connection:
            connection.row_factory = sqlite3.Row
            return [OutboxRow.model_validate(dict(row)) for row in connection.execute(query + " ORDER BY id", params)]


def _address(channel: str, contacts: dict[str, str]) -> str:
    for kind in ADDRESS_FOR.get(channel, ()):
        if kind in contacts:
            return f"{kind}:{contacts[kind]}"
    return ""
