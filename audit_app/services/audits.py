"""Audit services: create and open an audit file, and the handle every other service takes.

Every service has the shape ``services.<area>.<verb>(audit, ...)`` with an :class:`Audit` from
:func:`create_audit` or :func:`open_audit`. Every user action is one write transaction that also
appends its event to the audit trail, so a change and its record stand or fall together.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from audit_app import __version__
from audit_app.core.checklist import Checklist, checklist_from_document, parse_checklist
from audit_app.core.records import AuditRecord
from audit_app.errors import AuditError, AuditFileError, ChecklistError, UserFacingError
from audit_app.services.checklists import resolve_checklist
from audit_app.store import events
from audit_app.store.database import AuditDatabase, copy_database, create_database, is_read_only, open_database
from audit_app.store.meta import insert_audit, load_audit

if TYPE_CHECKING:  # the connection's type, for annotations: only the store uses sqlite-utils
    from sqlite_utils import Database

log = logging.getLogger(__name__)
T = TypeVar("T")


def default_actor() -> str:
    """Who is acting when no reviewer identity is given: the signed-in user, from the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown user"
    return f"{user} (command line)"


def create_audit(path: str | Path, checklist: str, title: str, actor: str | None = None, *, scope: str = "",
                 period_start: dt.date | None = None, period_end: dt.date | None = None) -> "Audit":
    """Create a new audit file using a bundled checklist id or a checklist file.

    The checklist's full text and SHA-256 are stored, so later edits to the file on disk do not
    change this audit.

    :param scope: what the audit covers, in words (shown in the report).
    :param period_start: the first day of the period the audited files come from.
    :param period_end: its last day.
    """
    if not title.strip():
        raise AuditError("Give the audit a title.")
    if period_start and period_end and period_end < period_start:
        raise AuditError(f"The period ends ({period_end:%d/%m/%Y}) before it starts ({period_start:%d/%m/%Y}).")
    checklist_path = resolve_checklist(checklist)
    data = checklist_path.read_bytes()
    compiled = parse_checklist(data, str(checklist_path))
    database = create_database(path)
    record = AuditRecord(
        title=title.strip(),
        created_at=events.now(),
        created_by=actor or default_actor(),
        app_version=__version__,
        checklist_id=compiled.id,
        checklist_version=compiled.version,
        checklist_sha256=compiled.sha256,
        checklist_source=checklist_path.name,
        checklist_text=data.decode("utf-8-sig"),
        scope=scope.strip(),
        period_start=period_start.isoformat() if period_start else None,
        period_end=period_end.isoformat() if period_end else None,
        checklist_document=compiled.document,
    )
    try:
        with database.transaction() as db:
            insert_audit(db, record)
            events.append(db, record.created_by, "audit.create", "audit", 1, {
                "title": record.title, "checklist": compiled.id, "checklist_version": compiled.version,
                "checklist_sha256": compiled.sha256, "app_version": __version__,
                "scope": record.scope, "period_start": record.period_start, "period_end": record.period_end,
                "checklist_document_sha256": _sha256(compiled.document),
            })
    except BaseException:
        database.close()
        Path(path).unlink(missing_ok=True)
        raise
    return Audit(database, record, compiled)


def open_audit(path: str | Path) -> "Audit":
    """Open an existing audit file (migrating an older one after a backup copy)."""
    database = open_database(path)
    try:
        record = load_audit(database.db)
        if record is None:
            raise AuditFileError(f"{path} has no audit record; it may have been created by an interrupted command.")
        created = next(events.iterate(database.db, "audit", "1"), None)
        compiled = stored_checklist(record, str(path), created.detail.get("checklist_document_sha256") if created else None)
    except UserFacingError:
        database.close()
        raise
    except Exception as exc:  # noqa: BLE001 (a hand-edited file: a dropped table, a record that is not JSON…)
        database.close()
        detail = str(exc).strip() or type(exc).__name__
        raise AuditFileError(f"{path} is damaged or was edited by hand, so it cannot be opened ({detail}); "
                             "it was left untouched.") from None
    except BaseException:
        database.close()
        raise
    return Audit(database, record, compiled)


def read_only_cause(path: str | Path) -> str:
    """Why the audit at ``path`` can only be read here, in words ("" when it can be written): the file
    is read-only, or its folder cannot hold the journal files SQLite writes beside it (read-only media,
    an archive folder). Such an audit opens read-only: it can be verified, read, reported on and
    exported, and every write is refused with a sentence."""
    path = Path(path)
    if not path.is_file() or not is_read_only(path):
        return ""
    return "the audit file's folder is read-only" if os.access(path, os.W_OK) else "the audit file is read-only"


def backup(source: str | Path, target: str | Path) -> dict[str, Any]:
    """``audit-app backup``: a consistent copy of the audit (the safe way to copy one: see
    :func:`audit_app.store.database.copy_database`). Returns what the CLI prints."""
    size, events_copied = copy_database(source, target)
    return {"source": str(Path(source).resolve()), "backup": str(Path(target).resolve()), "bytes": size,
            "events": events_copied}


def run(path: str | Path, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``service(audit, *args, **kwargs)`` on the audit at ``path``, opened for this call alone.

    For work on another thread (the GUI's background tasks): an SQLite connection belongs to the
    thread that made it, so the work opens, uses and closes its own.
    """
    with open_audit(path) as audit:
        return service(audit, *args, **kwargs)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_checklist(record: AuditRecord, where: str, document_sha256: str | None) -> Checklist:
    """The audit's own checklist: from its stored document when the audit trail vouches for it (fast),
    else from its stored text (the authority)."""
    name = f"{record.checklist_source} (stored in the audit)"
    document = record.checklist_document
    if document and document_sha256 == _sha256(document):
        try:
            return checklist_from_document(document, record.checklist_text, name)
        except ChecklistError:
            pass
    if document:
        log.warning("the checklist document stored in %s is not the one its audit trail records; "
                    "reading the checklist text instead", where)
    try:
        return parse_checklist(record.checklist_text.encode("utf-8"), name)
    except ChecklistError as exc:
        raise AuditFileError(f"The checklist stored in {where} no longer loads: {exc}") from None


class Audit:
    """An open audit file: the handle every service takes first. Use as a context manager, or
    call ``close()``.

    It holds the file's path, its record and its checklist. A service changes the audit inside
    ``with audit.transaction() as db:`` and reads through ``audit.db``; the connection is for the
    services and the store only (``tests/test_layers.py`` keeps the GUI and the CLI off it).
    """

    def __init__(self, database: AuditDatabase, record: AuditRecord, checklist: Checklist):
        self._database = database
        self.record = record
        self.checklist = checklist
        self._closed = False

    @property
    def path(self) -> Path:
        return self._database.path

    @property
    def read_only(self) -> bool:
        """The file is open for reading only (read-only file or folder): every write is refused with a sentence."""
        return self._database.read_only

    @property
    def db(self) -> Database:
        """The connection, for the services' reads."""
        return self._database.db

    @contextmanager
    def transaction(self, *, bulk: bool = False) -> Iterator[Database]:
        """One write transaction (or a savepoint inside an open one): all of it, or none of it.

        :param bulk: it writes a great deal (see ``store.database.AuditDatabase.transaction``).
        """
        with self._database.transaction(bulk=bulk) as db:
            yield db

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """Read many things as one consistent state of the file (see ``AuditDatabase.snapshot``)."""
        with self._database.snapshot() as db:
            yield db

    @property
    def closed(self) -> bool:
        """``close()`` has been called: the audit can no longer be read or written through this handle."""
        return self._closed

    def close(self) -> None:
        self._closed = True
        self._database.close()

    def __enter__(self) -> Audit:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def sentence(text: str) -> str:
    """A message as a sentence: capital first, one full stop."""
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
