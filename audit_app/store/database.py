"""Opening an audit file safely: recognise it, refuse what is not ours or too new, migrate with a backup.

An audit is one SQLite file (an application file format). This module is the only place that
opens one. Every connection gets WAL, ``synchronous=FULL``, foreign keys and a busy timeout, so a
second process waits for a writer instead of failing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from audit_app.errors import AuditFileError
from audit_app.store.schema import MIGRATION_NAMES, MIGRATIONS

log = logging.getLogger(__name__)

APPLICATION_ID = 0x41554454  # "AUDT": marks a SQLite file as an audit (PRAGMA application_id)
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: nothing begins or commits implicitly; transactions are explicit
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``); ``immutable=1`` as well when the file or its folder is
    read-only and no write-ahead log holds changes: an archive on read-only media cannot hold the
    ``-wal`` and ``-shm`` files a WAL reader would otherwise create, and beside a read-only file they
    would only be left behind, empty. (A ``-wal`` with changes in it must be read: then ``mode=ro`` alone.)"""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if is_read_only(path) and not _pending_log(path):
        uri += "&immutable=1"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _folder_writable(path: Path) -> bool:
    return os.access(path.resolve().parent, os.W_OK | os.X_OK)


def _pending_log(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def is_read_only(path: str | Path) -> bool:
    """The audit file cannot be written here: the file is read-only, or its folder cannot hold the
    journal files SQLite writes beside it (read-only media, an archive folder)."""
    path = Path(path)
    return not os.access(path, os.W_OK) or not _folder_writable(path)


def read_only_message(path: Path) -> str:
    """The sentence a refused write gives on a read-only audit."""
    where = "its folder is read-only" if os.access(path, os.W_OK) else "it is read-only"
    return (f"The audit file {path.name} is read-only ({where}), so nothing was changed; it can still be verified, "
            "read and exported.")


def _describe(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return "the file or its folder is read-only"
    if "locked" in text or "busy" in text:
        return "another program is writing to it; try again when it has finished"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return "it is damaged or not an SQLite file"
    return text


# What the file system can do to a write, in words (SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY …).
_WRITE_FAILURES = (
    ("disk is full", "the disk is full (free some space, then try again)"),
    ("disk i/o error", "the disk could not be written to (it may be full, removed or failing)"),
    ("readonly", "the file is read-only"),
    ("read-only", "the file is read-only"),
    ("locked", "another program is writing to it; try again when it has finished"),
)


def _write_failure(exc: sqlite3.Error) -> str | None:
    text = str(exc).lower()
    return next((words for key, words in _WRITE_FAILURES if key in text), None)


class AuditDatabase:
    """An open audit file: the sqlite-utils ``Database`` plus explicit write transactions."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, read_only: bool = False):
        self.path = path
        self.conn = conn
        self.db = Database(conn)
        self.read_only = read_only  # opened with mode=ro: every write transaction is refused with a sentence

    @contextmanager
    def transaction(self, *, bulk: bool = False) -> Iterator[Database]:
        """One write transaction (``BEGIN IMMEDIATE``), or a savepoint inside an open one.

        IMMEDIATE takes the write lock up front, so a second writer waits (busy timeout) instead
        of failing later when a deferred transaction tries to upgrade its lock.

        :param bulk: the transaction writes a great deal (a population import). When this is the
            only connection to the file, it then runs with a rollback journal instead of the
            write-ahead log: new pages are written once, not to the log and then again into the
            file (about a second per million rows). The file is back in WAL mode afterwards.
            With another connection open the mode cannot change, and the transaction runs in
            WAL as usual. A crash mid-way leaves a hot journal, which SQLite rolls back when the
            file is next opened (see :func:`_check_header`).
        """
        if self.read_only:
            raise AuditFileError(read_only_message(self.path))
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        journaled = bulk and self._journal_mode("delete")
        try:
            with self._immediate():
                yield self.db
        finally:
            if journaled and not self._journal_mode("wal"):
                log.warning("%s could not go back to WAL mode after a bulk write; it will when next opened", self.path)

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise AuditFileError(f"Cannot write to {self.path.name}: {_describe(exc)}.") from None
        try:
            yield
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self._roll_back()
            failure = _write_failure(exc)
            if failure is None:
                raise  # not the file system's doing: a bug, keep the traceback
            raise AuditFileError(f"Cannot save to {self.path.name}: {failure}; nothing was changed.") from None
        except BaseException:
            self._roll_back()
            raise

    def _roll_back(self) -> None:
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:  # SQLite has rolled back already (after a full disk, say)
                pass

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """One read transaction: every read inside it sees the file as of its first read, however
        other processes write meanwhile (WAL readers never block writers). Inside an open
        transaction it simply reads that transaction's state."""
        if self.conn.in_transaction:
            yield self.db
            return
        self.conn.execute("BEGIN")
        try:
            yield self.db
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")  # nothing was written: this only ends the read

    def _journal_mode(self, mode: str) -> bool:
        """Switch the file's journal mode; False when it cannot (another connection is open)."""
        try:
            return str(self.conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]).lower() == mode
        except sqlite3.OperationalError:
            return False

    def close(self) -> None:
        self.conn.close()


def create_database(path: str | Path) -> AuditDatabase:
    """Create a new, empty audit file with the current schema; never overwrites.

    :raises AuditFileError: when the path exists or cannot be written.
    """
    path = Path(path)
    if path.exists():
        raise AuditFileError(f"{path} already exists: choose another name (an audit file is never overwritten).")
    if not path.parent.is_dir():
        raise AuditFileError(f"Cannot create {path}: the folder {path.parent} does not exist.")
    try:
        conn = _connect(path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except sqlite3.Error as exc:
        raise AuditFileError(f"Cannot create {path}: {_describe(exc)}.") from None
    database = AuditDatabase(path, conn)
    MIGRATIONS.apply(database.db)
    _set_user_version(conn)
    return database


def open_database(path: str | Path) -> AuditDatabase:
    """Open an existing audit file, migrating it (after a backup copy) when it is older.

    :raises AuditFileError: when the file is missing, not an audit, damaged, or from a newer version.
    """
    path = Path(path)
    _check_header(path)
    read_only = is_read_only(path)
    try:
        conn = _connect_read_only(path) if read_only else _connect(path)
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if application_id != APPLICATION_ID:
            conn.close()
            raise AuditFileError(f"{path} is an SQLite file but not an audit file; it was left untouched.")
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
        database = AuditDatabase(path, conn, read_only=read_only)
        applied = [m.name for m in MIGRATIONS.applied(database.db)]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        has_tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit'").fetchone()[0]
    except sqlite3.Error as exc:
        raise AuditFileError(f"Cannot open {path}: {_describe(exc)}; it was left untouched.") from None
    damage = _schema_record_damage(applied, version, bool(has_tables))
    if damage:
        database.close()
        raise AuditFileError(f"{path.name} is damaged or was edited by hand ({damage}), so it cannot be opened; it was "
                             "left untouched. Go back to a backup copy.")
    unknown = [name for name in applied if name not in MIGRATION_NAMES]
    if unknown:
        database.close()
        raise AuditFileError(
            f"{path.name} was written by a newer version of audit-app (it has changes this version does not know: "
            f"{', '.join(unknown)}). Open it with the newer version."
        )
    if len(applied) < len(MIGRATION_NAMES) and read_only:
        database.close()
        raise AuditFileError(f"{path.name} was written by an older version of audit-app and must be updated before "
                             "it is opened, but it is read-only: open a copy in a folder you can write to.")
    if len(applied) < len(MIGRATION_NAMES):
        backup = backup_database(database, f"before-v{len(MIGRATION_NAMES)}")
        log.info("migrating %s from v%d to v%d (backup: %s)", path, len(applied), len(MIGRATION_NAMES), backup)
        try:
            MIGRATIONS.apply(database.db)
            _set_user_version(conn)
        except sqlite3.Error as exc:
            database.close()
            raise AuditFileError(f"{path.name} could not be updated to this version of audit-app ({_describe(exc)}); "
                                 f"the copy taken before the update is {backup.name}.") from None
    return database


def _schema_record_damage(applied: list[str], version: int, has_tables: bool) -> str:
    """What is wrong with the file's record of its schema updates ("" when nothing): the updates
    (``_sqlite_migrations``) must be this version's first ones in order (or later ones a newer version
    knows), and agree with the version number the file keeps (``user_version``). A record removed or
    cut short would otherwise make an audit look older than it is and be "updated" over its data."""
    known = [name for name in applied if name in MIGRATION_NAMES]
    if not applied and has_tables:
        return "its record of schema updates is missing"
    if known != MIGRATION_NAMES[:len(known)]:
        return "its record of schema updates is out of order or has a gap"
    if version and version != len(applied) and len(known) == len(applied):
        return f"its record of schema updates lists {len(applied)} but the file says it has {version}"
    return ""


def open_read_only(path: str | Path) -> AuditDatabase:
    """Open an audit only to read a few facts from it (no migration, no write).

    :raises AuditFileError: when it is missing, not an audit, or damaged.
    """
    path = Path(path)
    _check_header(path)
    try:
        conn = _connect_read_only(path)
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            conn.close()
            raise AuditFileError(f"{path} is an SQLite file but not an audit file.")
    except sqlite3.Error as exc:
        raise AuditFileError(f"Cannot read {path}: {_describe(exc)}.") from None
    return AuditDatabase(path, conn, read_only=True)


def _check_header(path: Path) -> None:
    if not path.is_file():
        raise AuditFileError(f"No audit file at {path}.")
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise AuditFileError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if not header.startswith(SQLITE_HEADER):
        what = "empty" if not header else "truncated or not an audit file"
        raise AuditFileError(f"{path} is {what}; it was left untouched.")
    expected = _expected_size(header)
    # Pages may still be in the write-ahead log, or a bulk write that was cut short left a hot
    # rollback journal (SQLite rolls it back on opening): the file's size then proves nothing.
    pending = any(side.exists() and side.stat().st_size > 0
                  for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")))
    actual = path.stat().st_size
    if expected is not None and not pending and actual < expected:
        raise AuditFileError(f"{path} is truncated ({actual:,} of {expected:,} bytes); it was left untouched. "
                             "Use a backup copy.")


def _expected_size(header: bytes) -> int | None:
    """The database size the SQLite header records, when the header says that figure is valid."""
    if len(header) < 100:
        return None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[92:96] == header[24:28]  # "version-valid-for" equals the change counter
    return page_size * pages if valid and pages else None


def _set_user_version(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA user_version = {len(MIGRATION_NAMES)}")


def backup_database(database: AuditDatabase, label: str) -> Path:
    """Copy the audit (consistently, with SQLite's backup API) next to it with a timestamp."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = database.path.with_name(f"{database.path.stem}.{label}.{stamp}.backup{database.path.suffix or '.audit'}")
    copy = sqlite3.connect(str(target))
    try:
        database.conn.backup(copy)
    finally:
        copy.close()
    return target


def copy_database(source: str | Path, target: str | Path) -> tuple[int, int]:
    """A consistent copy of an audit file at ``target`` (which must not exist), with SQLite's backup API.

    The copy includes every committed change, those still in the source's write-ahead log too (a
    plain file copy without the ``-wal`` file loses them). It is written beside the target and
    renamed into place only once it is whole and passes SQLite's integrity check, so a failure never
    leaves a torn file. Returns (bytes written, the copy's last trail sequence number).

    :raises AuditFileError: when the source cannot be read, the target exists or cannot be written.
    """
    source, target = Path(source), Path(target)
    if target.exists():
        raise AuditFileError(f"{target} already exists: choose another name (a backup never overwrites a file).")
    if not target.parent.is_dir():
        raise AuditFileError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    database = open_read_only(source)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        copy = sqlite3.connect(str(partial))
        try:
            database.conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise AuditFileError(f"The copy of {source.name} failed SQLite's integrity check ({problems[0]}); "
                                     "nothing was written.")
            last = copy.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]
        finally:
            copy.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise AuditFileError(f"Cannot copy {source.name} to {target}: {_describe(exc)}; nothing was written.") from None
    except OSError as exc:
        raise AuditFileError(f"Cannot write {target}: {exc.strerror or exc}; nothing was written.") from None
    finally:
        database.close()
        partial.unlink(missing_ok=True)
    return target.stat().st_size, int(last)


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The row id an INSERT just gave (SQLite always gives one to a table with a rowid)."""
    row_id = cursor.lastrowid
    if row_id is None:
        raise RuntimeError("the INSERT gave no row id")
    return row_id


def integrity_problems(db: Database) -> list[str]:
    """What SQLite's integrity check finds (empty when the file is sound)."""
    lines = [row[0] for row in db.execute("PRAGMA integrity_check")]
    return [] if lines == ["ok"] else lines


# The tables every audit has once opened (and migrated): a writing command refuses a file missing one.
REQUIRED_TABLES = ("audit", "import_batch", "rejection", "unit", "sampling_plan", "stratum", "sample_unit", "reviewer",
                   "review", "profile_value", "answer", "event", "agreed", "draft", "audit_setting")


def structural_problems(db: Database) -> list[str]:
    """What a quick look finds wrong (empty when sound): SQLite's ``quick_check`` and the tables present.
    Far cheaper than ``integrity_check`` and a full verify: for a check before every write."""
    lines = [str(row[0]) for row in db.execute("PRAGMA quick_check")]
    if lines != ["ok"]:
        return [f"database: {line}" for line in lines]
    return missing_tables(db)


def missing_tables(db: Database) -> list[str]:
    """A finding for each of the audit's tables that is not in the file (dropped by hand)."""
    present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [f"database: the table {name} is missing" for name in REQUIRED_TABLES if name not in present]
