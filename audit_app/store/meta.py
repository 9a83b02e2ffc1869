"""The audit's own record: title, who created it, and the checklist it uses (full text and SHA-256)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils import Database

from audit_app.core.records import AuditRecord
from audit_app.errors import AuditFileError
from audit_app.store.database import open_read_only
from audit_app.store.reviews import sample_progress


def insert_audit(db: Database, record: AuditRecord) -> None:
    values = record.__dict__
    db.execute(
        f"INSERT INTO audit (id, {', '.join(values)}) VALUES (1, {', '.join('?' for _ in values)})",
        list(values.values()),
    )


def load_audit(db: Database) -> AuditRecord | None:
    cursor = db.execute(
        "SELECT title, created_at, created_by, app_version, checklist_id, checklist_version, checklist_sha256,"
        " checklist_source, checklist_text, scope, period_start, period_end, checklist_document FROM audit WHERE id = 1"
    )
    row = cursor.fetchone()
    return AuditRecord(*row) if row else None


def settings(db: Database) -> dict[str, Any]:
    """The audit's settings as stored (key → value); keys never set are absent."""
    return {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM audit_setting")}


def set_setting(db: Database, key: str, value: Any) -> None:
    db.execute("INSERT OR REPLACE INTO audit_setting (key, value) VALUES (?, ?)", [key, json.dumps(value, ensure_ascii=False)])


def peek_audit(path: str) -> tuple[str, int, int]:
    """(title, files done, files sampled) of an audit file, read-only; works on older files too.

    :raises AuditFileError: when the file cannot be read as an audit.
    """
    database = open_read_only(path)
    try:
        row = database.db.execute("SELECT title FROM audit WHERE id = 1").fetchone()
        if row is None:
            raise AuditFileError(f"{path} has no audit record.")
        done, files = sample_progress(database.db)
    except sqlite3.Error as exc:
        raise AuditFileError(f"Cannot read {path}: {exc}.") from None
    finally:
        database.close()
    return row[0], done, files
