"""At most N pages a minute to one person; the rest arrive together, as one bundled page.

`ThrottledPager` wraps any Pager (`providers.pager.throttle_per_minute` in warroom.yaml). Per
recipient, in a sliding window (a minute):

  - fewer than N pages sent in the window: the page goes out now;
  - otherwise it is *held*: the first held page opens a bundle for that person, and the activity
    that carries it waits (heartbeating) until the window has room, then sends ONE page listing
    every page held meanwhile; pages held while a bundle is open join it and their activities
    return at once (their page is delivered by the bundle).

Idempotent by (idempotency key, recipient): a retried activity never sends a page or a bundle
a second time once it went out, and a held page stays in its bundle. A bundle's page has its own
stable key (`INC-XXXXX:throttled:<token>`), so the wrapped provider de-duplicates it too.

The state is a small SQLite file under the data directory (`throttle.sqlite`), so it is PER
WORKER HOST: with several worker hosts, each applies the limit on its own (a person may get up to
N pages a minute from each), and a bundle is sent by the host that opened it. Run one pager
worker, or accept that, when the limit must be global.

A bundle's wait is bounded by the activity attempt's start-to-close timeout: when the window
opens later than the attempt may run, the attempt ends with a retryable ProviderThrottled error
whose next_retry_delay is the time left, and the retry (which owns the bundle) sends it.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio import activity

from activities import http
from activities.channels import Pager
from warroom.delivery import Delivery, Recipient

SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    recipient TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    at REAL NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (recipient, idempotency_key)
);
CREATE TABLE IF NOT EXISTS bundles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL,
    recipient TEXT NOT NULL,
    owner TEXT NOT NULL,
    send_at REAL NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bundles_open ON bundles (recipient, state);
CREATE TABLE IF NOT EXISTS held (
    recipient TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    bundle INTEGER NOT NULL,
    incident_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    text TEXT NOT NULL,
    held_at REAL NOT NULL,
    PRIMARY KEY (recipient, idempotency_key)
);
"""

HEARTBEAT_EVERY = 5.0  # seconds between heartbeats while a bundle waits
MARGIN = 5.0  # seconds of an attempt's start-to-close kept free for sending the bundle
KEEP = 86_400.0  # seconds a sent page or bundle is remembered: far beyond any retry of its activity


@dataclass(frozen=True)
class Bundle:
    id: int
    token: str
    recipient: str
    send_at: float
    state: str


class ThrottledPager(Pager):
    def __init__(
        self,
        inner: Pager,
        per_minute: int,
        path: Path,
        window: timedelta = timedelta(minutes=1),
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.inner, self.limit, self.path = inner, per_minute, Path(path)
        self.window, self.clock, self.sleep = window.total_seconds(), clock, sleep

    # --- state ---------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        return connection

    def _decide(self, recipient: str, key: str, incident_id: str, subject: str, text: str) -> tuple[str, Bundle | None]:
        """One atomic decision for (recipient, key): "send" now, "own" a bundle, or "skip"."""
        now = self.clock()
        with _transaction(self._connect()) as db:
            self._forget(db, now)
            row = db.execute(
                "SELECT done FROM sent WHERE recipient = ? AND idempotency_key = ?", (recipient, key)
            ).fetchone()
            if row is not None:
                return ("skip" if row[0] else "send"), None
            row = db.execute(
                "SELECT b.id, b.token, b.recipient, b.send_at, b.state, b.owner FROM held h"
                " JOIN bundles b ON b.id = h.bundle WHERE h.recipient = ? AND h.idempotency_key = ?",
                (recipient, key),
            ).fetchone()
            if row is not None:
                bundle = Bundle(*row[:5])
                return ("own" if row[5] == key and bundle.state != "sent" else "skip"), bundle
            row = db.execute(
                "SELECT id, token, recipient, send_at, state FROM bundles WHERE recipient = ? AND state = 'open'",
                (recipient,),
            ).fetchone()
            if row is not None:  # a bundle is waiting: join it, so the limit and the order hold
                self._hold(db, recipient, key, row[0], incident_id, subject, text, now)
                return "skip", Bundle(*row)
            recent = [
                r[0]
                for r in db.execute(
                    "SELECT at FROM sent WHERE recipient = ? AND at > ? ORDER BY at", (recipient, now - self.window)
                )
            ]
            if len(recent) < self.limit:
                db.execute("INSERT INTO sent (recipient, idempotency_key, at) VALUES (?, ?, ?)", (recipient, key, now))
                return "send", None
            send_at = recent[len(recent) - self.limit] + self.window  # when the window has room for one
            token = secrets.token_hex(4)
            cursor = db.execute(
                "INSERT INTO bundles (token, recipient, owner, send_at, state) VALUES (?, ?, ?, ?, 'open')",
                (token, recipient, key, send_at),
            )
            bundle_id = int(cursor.lastrowid or 0)
            self._hold(db, recipient, key, bundle_id, incident_id, subject, text, now)
            return "own", Bundle(bundle_id, token, recipient, send_at, "open")

    @staticmethod
    def _forget(db: sqlite3.Connection, now: float) -> None:
        """Drop what no retry can ask about any more, so the file stays small."""
        db.execute("DELETE FROM sent WHERE done = 1 AND at < ?", (now - KEEP,))
        old = "SELECT id FROM bundles WHERE state = 'sent' AND send_at < ?"
        db.execute(f"DELETE FROM held WHERE bundle IN ({old})", (now - KEEP,))
        db.execute("DELETE FROM bundles WHERE state = 'sent' AND send_at < ?", (now - KEEP,))

    @staticmethod
    def _hold(
        db: sqlite3.Connection,
        recipient: str,
        key: str,
        bundle: int,
        incident_id: str,
        subject: str,
        text: str,
        now: float,
    ) -> None:
        db.execute(
            "INSERT INTO held (recipient, idempotency_key, bundle, incident_id, subject, text, held_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (recipient, key, bundle, incident_id, subject, text, now),
        )

    def _sent(self, recipient: str, key: str) -> None:
        with _transaction(self._connect()) as db:
            db.execute("UPDATE sent SET done = 1 WHERE recipient = ? AND idempotency_key = ?", (recipient, key))

    def _claim(self, bundle: Bundle) -> list[tuple[str, str, str, str]] | None:
        """Close the bundle to newcomers and count it as a page in the window; its held pages,
        oldest first, or None when it was sent already."""
        now = self.clock()
        with _transaction(self._connect()) as db:
            (state,) = db.execute("SELECT state FROM bundles WHERE id = ?", (bundle.id,)).fetchone()
            if state == "sent":
                return None
            db.execute("UPDATE bundles SET state = 'sending' WHERE id = ?", (bundle.id,))
            db.execute(
                "INSERT OR IGNORE INTO sent (recipient, idempotency_key, at) VALUES (?, ?, ?)",
                (bundle.recipient, _bundle_key(bundle), now),
            )
            return list(
                db.execute(
                    "SELECT idempotency_key, incident_id, subject, text FROM held WHERE bundle = ?"
                    " ORDER BY held_at, rowid",
                    (bundle.id,),
                )
            )

    def _bundle_sent(self, bundle: Bundle) -> None:
        with _transaction(self._connect()) as db:
            db.execute("UPDATE bundles SET state = 'sent' WHERE id = ?", (bundle.id,))
            db.execute(
                "UPDATE sent SET done = 1 WHERE recipient = ? AND idempotency_key = ?",
                (bundle.recipient, _bundle_key(bundle)),
            )

    # --- paging --------------------------------------------------------------------------------

    async def page(self, delivery: Delivery) -> None:
        now_recipients: list[Recipient] = []
        owned: list[tuple[Bundle, Recipient]] = []
        for recipient in delivery.recipients:
            verdict, bundle = await asyncio.to_thread(
                self._decide, recipient.handle, delivery.idempotency_key, delivery.incident_id, delivery.subject,
                delivery.text,
            )
            if verdict == "send":
                now_recipients.append(recipient)
            elif verdict == "own" and bundle is not None:
                owned.append((bundle, recipient))
        if now_recipients:
            await self.inner.page(delivery.model_copy(update={"recipients": tuple(now_recipients)}))
            for recipient in now_recipients:
                await asyncio.to_thread(self._sent, recipient.handle, delivery.idempotency_key)
        for bundle, recipient in sorted(owned, key=lambda pair: pair[0].send_at):
            await self._wait(bundle)
            held = await asyncio.to_thread(self._claim, bundle)
            if held is None:
                continue
            await self.inner.page(_bundled(bundle, recipient, held, self.limit))
            await asyncio.to_thread(self._bundle_sent, bundle)

    async def _wait(self, bundle: Bundle) -> None:
        if bundle.state != "open":
            return  # claimed by an earlier attempt that did not finish: send it now
        while (remaining := bundle.send_at - self.clock()) > 0:
            budget = _attempt_budget()
            if budget is not None and remaining > budget:
                raise http.retryable(
                    f"throttle: {bundle.recipient} had {self.limit} pages this minute; the held pages go out as one"
                    f" bundle at {datetime.fromtimestamp(bundle.send_at, UTC):%H:%M:%S} UTC",
                    timedelta(seconds=remaining),
                    http.THROTTLED,
                )
            http.keepalive()
            await self.sleep(min(remaining, HEARTBEAT_EVERY))


def _attempt_budget() -> float | None:
    """Seconds this activity attempt may still wait, keeping a margin to send; None outside one."""
    if not activity.in_activity():
        return None
    info = activity.info()
    if info.start_to_close_timeout is None:
        return None
    elapsed = (datetime.now(UTC) - info.started_time).total_seconds()
    return max(info.start_to_close_timeout.total_seconds() - elapsed - MARGIN, 0.0)


def _bundle_key(bundle: Bundle) -> str:
    return f"throttled:{bundle.token}"


def _bundled(bundle: Bundle, recipient: Recipient, held: list[tuple[str, str, str, str]], limit: int) -> Delivery:
    incidents = list(dict.fromkeys(incident for _, incident, _, _ in held))
    lines = [
        f"{len(held)} page(s) for {recipient.name} were held back: at most {limit} pages a minute go to one person."
        " Here they are together:",
        "",
    ]
    for key, _, subject, text in held:
        first = text.splitlines()[0] if text else ""
        lines.append(f"- {subject or first} ({key})")
        if first and first != subject:
            lines.append(f"  {first}")
    return Delivery(
        incident_id=incidents[0] if incidents else "throttle",
        action_key=_bundle_key(bundle),
        channel="pager",
        recipients=(recipient,),
        subject=f"{len(held)} held page(s): {', '.join(incidents)}",
        text="\n".join(lines),
    )


class _transaction:
    """BEGIN IMMEDIATE … COMMIT on a connection that is closed afterwards."""

    def __init__(self, connection: sqlite3.Connection):
        self.db = connection

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        try:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self.db.close()
