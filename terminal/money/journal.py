"""The sale journal: every sale, its invoices and its forward attempts, durable in SQLite.

Every write is one transaction that is on disk when the call returns (WAL, ``synchronous=FULL``),
so a power cut right after a call loses nothing that call reported. The rules about which state
may follow which live in :mod:`terminal.money.sale`; this module only stores and loads.

A ``Journal`` belongs to the thread that opened it (sqlite3's own check enforces that). The
running terminal keeps it on a worker thread of its own (:mod:`terminal.money.worker`), so an
fsync never stalls the event loop; the command-line verbs use it directly.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from terminal.errors import IllegalTransition, JournalError
from terminal.money.cadence import Watched
from terminal.money.firstpay import FirstPay, JournaledPay
from terminal.money.sale import (
    UNSETTLED_STATES,
    AttemptOutcome,
    Change,
    FiatAmount,
    ForwardAttempt,
    InvoiceRef,
    PayoutRole,
    Sale,
    SaleState,
    change,
    new_sale_id,
    require_change,
)
from terminal.money.schema import initialise, translate
from terminal.secret import redact

log = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"

_SALE_COLUMNS = (
    "id, amount_sats, memo, state, created_at, updated_at, pos_request, pos_hash, "
    "pos_expires_at, received_at, forwarded_at, pos_wallet, merchant_wallet, paid_sats, "
    "tip_sats, tip_wallet, currency, fiat_minor, tip_minor, rate"
)
# SQLite's page cache per connection (negative: KiB). The default is 2 MiB, all of which a busy
# terminal fills; the journal's hot pages (today's sales, their indexes) fit in far less, and the
# OS keeps the file's pages cached anyway. Part of the Pi Zero's memory budget.
_PAGE_CACHE_KIB = 256
# A sale reported paid in a state it cannot be received from: the settler reports it by hand.
_NOT_RECEIVABLE = frozenset({SaleState.NEW, SaleState.FAILED})


@dataclass(frozen=True)
class Receipt:
    """What :meth:`Journal.receive` did: ``sale`` as it was found (None: not this journal's),
    ``received`` the sale as received when it moved now (else None), and ``first_pay`` the pay
    attempt journaled in the same transaction, if one was planned."""

    sale: Sale | None
    received: Sale | None = None
    first_pay: JournaledPay | None = None

    @property
    def moved(self) -> bool:
        """True if this call moved the sale to received."""
        return self.received is not None


class Journal:
    """The durable record of every sale on this terminal."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, terminal_id: str, *, commit_delay: float = 0.0
    ) -> None:
        self._conn = conn
        self._path = path
        self.terminal_id = terminal_id
        # Seconds added to every commit: a benchmark's stand-in for a slow SD card's fsync.
        self._commit_delay = commit_delay

    @classmethod
    def open(cls, path: Path | str, *, commit_delay: float = 0.0) -> Journal:
        """Open (creating if needed) the journal at ``path``: a ``.sqlite3`` file, or a state
        directory (created, owner-only, when missing) that holds ``journal.sqlite3``."""
        target = Path(path)
        if target.suffix != ".sqlite3":
            try:
                target.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise JournalError(
                    f"cannot create the state directory {target} ({exc.strerror}): check "
                    "terminal.state_dir and that the service may write there"
                ) from exc
            target = target / JOURNAL_FILE
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE) so that every
            # write is exactly one transaction, committed before the method returns.
            conn = sqlite3.connect(target, isolation_level=None)
        except sqlite3.Error as exc:
            raise translate(exc, target) from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute(f"PRAGMA cache_size=-{_PAGE_CACHE_KIB}")
            terminal_id = initialise(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise translate(exc, target) from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, target, terminal_id, commit_delay=commit_delay)

    @classmethod
    def open_existing(cls, path: Path | str) -> Journal:
        """Open an existing journal read-only (for ``history`` and ``pending``): never creates
        a file or folder, and every write through it fails; JournalError when it cannot open."""
        target = Path(path)
        if target.suffix != ".sqlite3":
            target = target / JOURNAL_FILE
        uri = target.absolute().as_uri() + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise translate(exc, target) from exc
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            row = conn.execute("SELECT value FROM meta WHERE key = 'terminal_id'").fetchone()
        except sqlite3.Error as exc:
            conn.close()
            raise translate(exc, target) from exc
        if row is None:
            conn.close()
            raise JournalError(f"journal {target}: it has no terminal id; is it a journal?")
        return cls(conn, target, str(row[0]))

    @property
    def path(self) -> Path:
        """The journal's file."""
        return self._path

    def settings(self) -> dict[str, str]:
        """The durability settings in force on this connection (journal mode, synchronous)."""
        with self._read() as cur:
            mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
            sync = cur.execute("PRAGMA synchronous").fetchone()[0]
        names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
        return {"journal_mode": str(mode).lower(), "synchronous": names.get(sync, str(sync))}

    def close(self) -> None:
        """Close the journal; every write already returned is on disk."""
        self._conn.close()

    # --- writes ---------------------------------------------------------------------------

    def begin_sale(
        self,
        amount_sats: int,
        memo: str,
        now: float,
        *,
        pos_wallet: str | None = None,
        merchant_wallet: str | None = None,
        tip_sats: int = 0,
        tip_wallet: str | None = None,
        fiat: FiatAmount | None = None,
    ) -> Sale:
        """Journal a new sale (state ``new``) before any invoice exists for it.

        ``amount_sats`` is what the customer pays, a tip included. The wallets are the sale's
        destination and ``fiat`` its typed amount and rate, locked now: a later change of
        configuration, or of the rate, applies to new sales only.
        """
        if amount_sats <= 0 or not 0 <= tip_sats < amount_sats:
            raise ValueError(f"a sale needs a positive amount above its tip, not {amount_sats}")
        with self._write() as cur:
            for _ in range(5):
                sale_id = new_sale_id(self.terminal_id, now)
                try:
                    cur.execute(
                        "INSERT INTO sales (id, amount_sats, memo, state, created_at, updated_at,"
                        " pos_wallet, merchant_wallet, tip_sats, tip_wallet, currency,"
                        " fiat_minor, tip_minor, rate)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            sale_id,
                            amount_sats,
                            memo,
                            SaleState.NEW.value,
                            now,
                            now,
                            pos_wallet,
                            merchant_wallet,
                            tip_sats,
                            tip_wallet,
                            None if fiat is None else fiat.currency,
                            None if fiat is None else fiat.minor,
                            None if fiat is None else fiat.tip_minor,
                            None if fiat is None else fiat.rate,
                        ),
                    )
                    break
                except sqlite3.IntegrityError:
                    continue  # the random part collided within one second: draw again
            else:
                raise JournalError("could not find a free sale id: restart the terminal")
        return self.sale(sale_id)

    def record_invoices(
        self,
        sale_id: str,
        pos: InvoiceRef,
        merchant: InvoiceRef,
        now: float,
        tip: InvoiceRef | None = None,
    ) -> None:
        """Journal the sale's invoices (``new`` -> ``open``); call before the QR is shown.

        ``tip``: the tip recipient's invoice, for a sale whose tip is a payout of its own.
        """
        # Hashes are compared as lowercase hex everywhere (by_pos_hash, attempts).
        pos = replace(pos, hash=pos.hash.lower())
        merchant = replace(merchant, hash=merchant.hash.lower())
        tip = None if tip is None else replace(tip, hash=tip.hash.lower())
        with self._write() as cur:
            sale = self._load(cur, sale_id)
            if sale.state is SaleState.OPEN and sale.pos == pos and sale.merchant == merchant:
                return  # a repeat of the same write
            if sale.state is not SaleState.NEW:
                raise IllegalTransition(sale.state.value, "record_invoices")
            require_change(sale.state, SaleState.OPEN, "record_invoices")
            cur.execute(
                "UPDATE sales SET state = ?, updated_at = ?, pos_request = ?, pos_hash = ?,"
                " pos_expires_at = ? WHERE id = ?",
                (SaleState.OPEN.value, now, pos.request, pos.hash, pos.expires_at, sale_id),
            )
            _insert_merchant(cur, sale_id, merchant, now)
            if tip is not None:
                _insert_merchant(cur, sale_id, tip, now, PayoutRole.TIP)

    def mark_received(self, sale_id: str, now: float, paid_sats: int | None = None) -> bool:
        """Journal that the customer paid (``paid_sats``: what Blink said, if it said); False if
        it already was (received or forwarded)."""
        return self._move(
            sale_id, SaleState.RECEIVED, now, "mark_received", "received_at", paid_sats=paid_sats
        )

    def receive(
        self,
        payment_hash: str,
        now: float,
        paid_sats: int | None = None,
        plan: Callable[[Sale], FirstPay | None] | None = None,
    ) -> Receipt:
        """Journal that the POS invoice ``payment_hash`` was paid, in one call (see Receipt).

        A report that changes nothing (a duplicate, another terminal's invoice) writes nothing.
        ``plan``, called inside the transaction with the sale as received, may name the first
        pay request: its attempt is then journaled in the same transaction, so the payment and
        the attempt are durable together, before that request leaves.
        """
        with self._read() as cur:
            row = cur.execute(
                "SELECT id FROM sales WHERE pos_hash = ?", (payment_hash.lower(),)
            ).fetchone()
            found = None if row is None else self._load(cur, row[0])
        if found is None or not _receiving_writes(found, paid_sats):
            return Receipt(found)
        first: JournaledPay | None = None
        with self._write() as cur:
            sale = self._load(cur, found.id)  # afresh, under the write lock
            if not _receiving_writes(sale, paid_sats):
                return Receipt(sale)
            if not self._apply_move(
                cur, sale, SaleState.RECEIVED, now, "mark_received", "received_at", paid_sats
            ):
                return Receipt(sale)
            received = self._load(cur, sale.id)
            planned = None if plan is None or self._has_attempts(cur, sale.id) else plan(received)
            if planned is not None and _is_current(received, planned):
                attempt = self._insert_attempt(
                    cur, received, planned.invoice_hash, now, planned.blink_now
                )
                first = JournaledPay(planned.role, planned.invoice_hash, attempt)
            elif planned is not None:
                # Never expected (the plan judged this very sale): the payment is journaled
                # all the same, and the forwarder takes its ordinary path.
                log.error("sale %s: a planned pay request names no current invoice", sale.id)
        log.info("sale %s: %s -> %s", sale.id, sale.state.value, SaleState.RECEIVED.value)
        return Receipt(found, received, first)

    def mark_cancelled(self, sale_id: str, now: float) -> bool:
        """Journal that the merchant cancelled the screen; False if nothing changed."""
        return self._move(sale_id, SaleState.CANCELLED, now, "mark_cancelled")

    def mark_lapsed(self, sale_id: str, now: float) -> bool:
        """Journal that the screen gave up waiting; False if nothing changed."""
        return self._move(sale_id, SaleState.LAPSED, now, "mark_lapsed")

    def mark_failed(self, sale_id: str, now: float) -> bool:
        """Journal that the invoices could not be made (``new`` -> ``failed``)."""
        return self._move(sale_id, SaleState.FAILED, now, "mark_failed")

    def mark_forwarded(self, sale_id: str, now: float) -> bool:
        """Journal that the merchant has the money; False if it already was forwarded."""
        return self._move(sale_id, SaleState.FORWARDED, now, "mark_forwarded", "forwarded_at")

    def fail_unfinished(self, now: float) -> list[str]:
        """Move every sale still ``new`` (a crash before its invoices were journaled) to failed.

        Such a sale never showed a QR, so nobody can have paid it. Call once at start-up.
        """
        with self._write() as cur:
            rows = cur.execute(
                "SELECT id FROM sales WHERE state = ?", (SaleState.NEW.value,)
            ).fetchall()
            cur.execute(
                "UPDATE sales SET state = ?, updated_at = ? WHERE state = ?",
                (SaleState.FAILED.value, now, SaleState.NEW.value),
            )
        return [row[0] for row in rows]

    def begin_forward_attempt(
        self, sale_id: str, merchant_hash: str, now: float, blink_now: float | None = None
    ) -> int:
        """Journal a pay request for the sale's current merchant invoice, before it leaves.

        ``blink_now`` is Blink's clock at that moment: how long the request may still be in
        flight is measured against it.
        """
        with self._write() as cur:
            sale = self._load(cur, sale_id)
            return self._insert_attempt(cur, sale, merchant_hash, now, blink_now)

    def finish_forward_attempt(
        self, attempt_id: int, outcome: AttemptOutcome, now: float, detail: str = ""
    ) -> None:
        """Journal how a pay request ended (``detail`` is redacted before it is stored)."""
        with self._write() as cur:
            updated = cur.execute(
                "UPDATE forward_attempts SET finished_at = ?, outcome = ?, detail = ?"
                " WHERE id = ? AND finished_at IS NULL",
                (now, outcome.value, redact(detail)[:500], attempt_id),
            ).rowcount
            if updated == 0:
                exists = cur.execute(
                    "SELECT 1 FROM forward_attempts WHERE id = ?", (attempt_id,)
                ).fetchone()
                if exists is None:
                    raise JournalError(f"no forward attempt {attempt_id} in the journal")

    def replace_merchant_invoice(
        self, sale_id: str, new: InvoiceRef, now: float, role: PayoutRole = PayoutRole.MERCHANT
    ) -> None:
        """Make ``new`` the current invoice of the sale's ``role`` payout; the old one stays in
        its history."""
        with self._write() as cur:
            sale = self._load(cur, sale_id)
            if sale.state is not SaleState.RECEIVED:
                raise IllegalTransition(sale.state.value, "replace_merchant_invoice")
            payout = sale.payout(role)
            if payout is not None and payout.invoice == new:
                return
            cur.execute(
                "UPDATE merchant_invoices SET replaced_at = ? WHERE sale_id = ?"
                " AND replaced_at IS NULL AND role = ?",
                (now, sale_id, role.value),
            )
            _insert_merchant(cur, sale_id, new, now, role)
            cur.execute("UPDATE sales SET updated_at = ? WHERE id = ?", (now, sale_id))

    def mark_payout_done(self, sale_id: str, invoice_hash: str, now: float) -> bool:
        """Journal that a payout's current invoice is paid; once every payout of the sale is,
        the sale is ``forwarded`` (in the same transaction). True if that happened now."""
        with self._write() as cur:
            cur.execute(
                "UPDATE merchant_invoices SET paid_at = ? WHERE sale_id = ? AND hash = ?"
                " AND replaced_at IS NULL AND paid_at IS NULL",
                (now, sale_id, invoice_hash.lower()),
            )
            sale = self._load(cur, sale_id)
            if not all(p.done for p in sale.payouts()):
                return False
            if not require_change(sale.state, SaleState.FORWARDED, "mark_payout_done"):
                return False
            cur.execute(
                "UPDATE sales SET state = ?, updated_at = ?, forwarded_at = ? WHERE id = ?",
                (SaleState.FORWARDED.value, now, now, sale_id),
            )
        log.info("sale %s: %s -> forwarded", sale_id, sale.state.value)
        return True

    def mark_verified(self, sale_id: str, merchant_hash: str) -> None:
        """Journal that Blink, asked with the merchant's key, owns ``merchant_hash`` as theirs."""
        with self._write() as cur:
            cur.execute(
                "UPDATE merchant_invoices SET verified = 1 WHERE sale_id = ? AND hash = ?",
                (sale_id, merchant_hash.lower()),
            )

    def meta(self, key: str) -> str | None:
        """A value of the journal's own record (its device, its BlinkPOS wallet), or None."""
        with self._read() as cur:
            row = cur.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the journal's own record."""
        with self._write() as cur:
            cur.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # --- reads ----------------------------------------------------------------------------

    def sale(self, sale_id: str) -> Sale:
        """The sale with this id; JournalError if there is none."""
        with self._read() as cur:
            return self._load(cur, sale_id)

    def by_pos_hash(self, payment_hash: str) -> Sale | None:
        """The sale whose POS invoice has this hash, or None (another terminal's, or nobody's)."""
        with self._read() as cur:
            row = cur.execute(
                "SELECT id FROM sales WHERE pos_hash = ?", (payment_hash.lower(),)
            ).fetchone()
            return None if row is None else self._load(cur, row[0])

    def by_merchant_hash(self, payment_hash: str) -> Sale | None:
        """The sale that made this merchant invoice (current or replaced), or None."""
        with self._read() as cur:
            row = cur.execute(
                "SELECT sale_id FROM merchant_invoices WHERE hash = ?", (payment_hash.lower(),)
            ).fetchone()
            return None if row is None else self._load(cur, row[0])

    def unsettled_sales(self) -> list[Sale]:
        """Sales Blink has not yet called PAID or EXPIRED (reconcile these), however old.

        No age limit: a customer may have paid while the terminal was off for days, and a
        status query is the only way to learn it (Blink does not replay events). Each answer
        settles the sale one way or the other, so this list empties itself.
        """
        return self._in_states(UNSETTLED_STATES)

    def watch_list(self) -> list[Watched]:
        """Every sale Blink may still report paid (open, cancelled, lapsed), as light rows.

        One query, no per-sale loads: detection looks at this list every tick, and a terminal
        that has lived for years may have thousands of lapsed sales in it.
        """
        states = (SaleState.OPEN.value, SaleState.CANCELLED.value, SaleState.LAPSED.value)
        with self._read() as cur:
            rows = cur.execute(
                "SELECT id, pos_hash, created_at, state FROM sales"
                " WHERE state IN (?, ?, ?) AND pos_hash IS NOT NULL",
                states,
            ).fetchall()
        return [Watched(r[0], r[1], r[2], r[3] == SaleState.LAPSED.value) for r in rows]

    def _in_states(self, states: frozenset[SaleState]) -> list[Sale]:
        marks = ", ".join("?" for _ in states)
        query = f"SELECT id FROM sales WHERE state IN ({marks})"  # noqa: S608 - only placeholders
        params: list[object] = [s.value for s in sorted(states)]
        return self._sales(query + " ORDER BY created_at, id", params)

    def unforwarded_received(self) -> list[Sale]:
        """Every sale that is paid but not yet forwarded, oldest first."""
        return self._sales(
            "SELECT id FROM sales WHERE state = ? ORDER BY created_at, id",
            [SaleState.RECEIVED.value],
        )

    def pending_forwards(self) -> tuple[int, int]:
        """(sales paid and not forwarded, pay requests for them with no answer journaled yet).

        Read-only: what a shutdown waits for. Both zero means no money is between BlinkPOS and
        the merchant, so switching off now loses nothing and leaves nothing for the next start.
        """
        with self._read() as cur:
            received = cur.execute(
                "SELECT count(*) FROM sales WHERE state = ?", (SaleState.RECEIVED.value,)
            ).fetchone()[0]
            in_flight = cur.execute(
                "SELECT count(*) FROM forward_attempts a JOIN sales s ON s.id = a.sale_id"
                " WHERE a.finished_at IS NULL AND s.state = ?",
                (SaleState.RECEIVED.value,),
            ).fetchone()[0]
        return int(received), int(in_flight)

    def recent(self, limit: int = 20) -> list[Sale]:
        """The newest ``limit`` sales, newest first (for ``history``)."""
        return self._sales(
            "SELECT id FROM sales ORDER BY created_at DESC, id DESC LIMIT ?", [limit]
        )

    def since(self, start: float) -> list[Sale]:
        """Every sale made at or after ``start`` (Unix seconds), newest first (today's totals)."""
        return self._sales(
            "SELECT id FROM sales WHERE created_at >= ? ORDER BY created_at DESC, id DESC", [start]
        )

    def claim_receipt(self, sale_id: str, now: float) -> bool:
        """Mark the forwarded sale's receipt as printed, before it is; False if it already was."""
        with self._write() as cur:
            state = self._load(cur, sale_id).state
            if state is not SaleState.FORWARDED:
                raise IllegalTransition(state.value, "claim_receipt")
            return (
                cur.execute(
                    "INSERT OR IGNORE INTO receipts (sale_id, printed_at) VALUES (?, ?)",
                    (sale_id, now),
                ).rowcount
                == 1
            )

    def last_receipt(self) -> Sale | None:
        """The sale whose receipt was printed last (for a reprint), or None."""
        with self._read() as cur:
            row = cur.execute(
                "SELECT sale_id FROM receipts ORDER BY printed_at DESC, rowid DESC LIMIT 1"
            ).fetchone()
            return None if row is None else self._load(cur, row[0])

    def attempts(self, sale_id: str) -> list[ForwardAttempt]:
        """Every forward attempt for the sale, oldest first."""
        with self._read() as cur:
            rows = cur.execute(
                "SELECT id, sale_id, merchant_hash, started_at, finished_at, outcome, detail,"
                " started_blink FROM forward_attempts WHERE sale_id = ? ORDER BY id",
                (sale_id,),
            ).fetchall()
        return [
            ForwardAttempt(
                id=row[0],
                sale_id=row[1],
                merchant_hash=row[2],
                started_at=row[3],
                finished_at=row[4],
                outcome=None if row[5] is None else AttemptOutcome(row[5]),
                detail=row[6],
                started_blink=row[7],
            )
            for row in rows
        ]

    # --- internals ------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            if self._commit_delay:
                time.sleep(self._commit_delay)
        except sqlite3.Error as exc:
            raise translate(exc, self._path) from exc
        finally:
            cur.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Cursor]:
        cur = self._conn.cursor()
        try:
            yield cur
        except sqlite3.Error as exc:
            raise translate(exc, self._path) from exc
        finally:
            cur.close()

    def _move(
        self,
        sale_id: str,
        target: SaleState,
        now: float,
        operation: str,
        stamp: str | None = None,
        *,
        paid_sats: int | None = None,
    ) -> bool:
        with self._write() as cur:
            sale = self._load(cur, sale_id)
            if not self._apply_move(cur, sale, target, now, operation, stamp, paid_sats):
                return False
        log.info("sale %s: %s -> %s", sale_id, sale.state.value, target.value)
        return True

    def _apply_move(
        self,
        cur: sqlite3.Cursor,
        sale: Sale,
        target: SaleState,
        now: float,
        operation: str,
        stamp: str | None,
        paid_sats: int | None,
    ) -> bool:
        """Inside a write: move ``sale`` to ``target``; False if its state does not change."""
        if paid_sats is not None and sale.paid_sats is None:
            # What Blink said was paid is kept even when the state does not move (a
            # duplicate report that carries the amount the first one lacked).
            cur.execute("UPDATE sales SET paid_sats = ? WHERE id = ?", (paid_sats, sale.id))
        if not require_change(sale.state, target, operation):
            return False
        # ``stamp`` is one of two fixed column names chosen above, never caller text.
        extra = f", {stamp} = ?" if stamp else ""
        params: tuple[object, ...] = (target.value, now, now) if stamp else (target.value, now)
        cur.execute(
            f"UPDATE sales SET state = ?, updated_at = ?{extra} WHERE id = ?",  # noqa: S608
            (*params, sale.id),
        )
        return True

    def _insert_attempt(
        self,
        cur: sqlite3.Cursor,
        sale: Sale,
        merchant_hash: str,
        now: float,
        blink_now: float | None,
    ) -> int:
        """Inside a write: journal a pay attempt for one of ``sale``'s current payout invoices."""
        if sale.state is not SaleState.RECEIVED:
            raise IllegalTransition(sale.state.value, "begin_forward_attempt")
        current = {p.invoice.hash for p in sale.payouts() if p.invoice is not None}
        if merchant_hash not in current:
            raise JournalError(
                f"sale {sale.id}: {merchant_hash[:12]}… is not one of its current payout "
                "invoices; refusing to journal a payment for it"
            )
        cur.execute(
            "INSERT INTO forward_attempts (sale_id, merchant_hash, started_at, started_blink)"
            " VALUES (?, ?, ?, ?)",
            (sale.id, merchant_hash, now, blink_now),
        )
        attempt_id = cur.lastrowid
        assert attempt_id is not None
        return attempt_id

    @staticmethod
    def _has_attempts(cur: sqlite3.Cursor, sale_id: str) -> bool:
        row = cur.execute(
            "SELECT 1 FROM forward_attempts WHERE sale_id = ? LIMIT 1", (sale_id,)
        ).fetchone()
        return row is not None

    def _sales(self, query: str, params: list[object]) -> list[Sale]:
        with self._read() as cur:
            ids = [row[0] for row in cur.execute(query, params).fetchall()]
            return [self._load(cur, sale_id) for sale_id in ids]

    def _load(self, cur: sqlite3.Cursor, sale_id: str) -> Sale:
        row = cur.execute(
            f"SELECT {_SALE_COLUMNS} FROM sales WHERE id = ?",  # noqa: S608 - fixed columns
            (sale_id,),
        ).fetchone()
        if row is None:
            raise JournalError(f"no sale {sale_id!r} in the journal at {self._path}")
        invoices = cur.execute(
            "SELECT request, hash, expires_at, replaced_at, verified, role, paid_at"
            " FROM merchant_invoices WHERE sale_id = ? ORDER BY id",
            (sale_id,),
        ).fetchall()
        by_role: dict[str, tuple[list[InvoiceRef], list[InvoiceRef]]] = {
            role.value: ([], []) for role in PayoutRole
        }
        for r in invoices:
            ref = InvoiceRef(r[0], r[1], r[2], bool(r[4]), r[6])
            current_of, replaced_of = by_role[r[5]]
            (current_of if r[3] is None else replaced_of).append(ref)
        current, replaced = by_role[PayoutRole.MERCHANT.value]
        tip_current, tip_replaced = by_role[PayoutRole.TIP.value]
        pos = None if row[6] is None else InvoiceRef(row[6], row[7], row[8])
        return Sale(
            id=row[0],
            amount_sats=row[1],
            memo=row[2],
            state=SaleState(row[3]),
            created_at=row[4],
            updated_at=row[5],
            pos=pos,
            merchant=current[-1] if current else None,
            replaced_merchants=tuple(replaced),
            received_at=row[9],
            forwarded_at=row[10],
            pos_wallet=row[11],
            merchant_wallet=row[12],
            paid_sats=row[13],
            tip_sats=row[14],
            tip_wallet=row[15],
            tip=tip_current[-1] if tip_current else None,
            replaced_tips=tuple(tip_replaced),
            fiat=None if row[16] is None else FiatAmount(row[16], row[17], row[18] or 0, row[19]),
        )


def _is_current(sale: Sale, planned: FirstPay) -> bool:
    """True if ``planned`` names the current invoice of its payout of ``sale``."""
    payout = sale.payout(planned.role)
    invoice = None if payout is None else payout.invoice
    return invoice is not None and invoice.hash == planned.invoice_hash


def _receiving_writes(sale: Sale, paid_sats: int | None) -> bool:
    """True if receiving ``sale`` (``paid_sats`` as Blink said) would change the journal."""
    if sale.state in _NOT_RECEIVABLE:
        return False
    moves = change(sale.state, SaleState.RECEIVED) is Change.MOVE
    return moves or (paid_sats is not None and sale.paid_sats is None)


def _insert_merchant(
    cur: sqlite3.Cursor,
    sale_id: str,
    invoice: InvoiceRef,
    now: float,
    role: PayoutRole = PayoutRole.MERCHANT,
) -> None:
    cur.execute(
        "INSERT INTO merchant_invoices"
        " (sale_id, request, hash, expires_at, created_at, verified, role)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            sale_id,
            invoice.request,
            invoice.hash.lower(),
            invoice.expires_at,
            now,
            invoice.verified,
            role.value,
        ),
    )
