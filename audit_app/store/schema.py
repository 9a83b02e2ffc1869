"""The audit file's schema, as numbered sqlite-utils migrations (append-only: never edit a shipped one).

Tables are declared explicitly (STRICT, with keys and checks); nothing is created by inserting.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("audit-app")


def _run_script(db: Database, script: str) -> None:
    """Run SQL statements one by one inside the migration's transaction.

    (``executescript`` would COMMIT first, breaking the migration's all-or-nothing transaction.)
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement!r}")


@MIGRATIONS()
def m001_create_audit(db: Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            title TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            app_version TEXT NOT NULL,
            checklist_id TEXT NOT NULL,
            checklist_version TEXT NOT NULL,
            checklist_sha256 TEXT NOT NULL,
            checklist_source TEXT NOT NULL,
            checklist_text TEXT NOT NULL
        ) STRICT;

        CREATE TABLE import_batch (
            id INTEGER PRIMARY KEY,
            source_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            format TEXT NOT NULL,
            encoding TEXT NOT NULL,
            delimiter TEXT NOT NULL,
            mapping TEXT NOT NULL,        -- JSON: field -> column, and how it was chosen
            extras TEXT NOT NULL,         -- JSON: the extra column names, in stored order
            scope TEXT NOT NULL,          -- JSON: field -> allowed values
            rows_read INTEGER NOT NULL,
            imported INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            excluded INTEGER NOT NULL,
            imported_at TEXT NOT NULL,
            imported_by TEXT NOT NULL
        ) STRICT;

        CREATE TABLE rejection (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES import_batch(id),
            row INTEGER NOT NULL,
            ref TEXT NOT NULL,
            reason TEXT NOT NULL
        ) STRICT;
        CREATE INDEX rejection_batch ON rejection(batch_id);

        CREATE TABLE unit (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER NOT NULL REFERENCES import_batch(id),
            row INTEGER NOT NULL,
            ref TEXT NOT NULL,
            offence TEXT NOT NULL,
            offence_group TEXT NOT NULL,
            area TEXT NOT NULL,
            month TEXT NOT NULL,
            outcome TEXT NOT NULL,
            officer TEXT NOT NULL,
            extras TEXT NOT NULL,          -- extra column values (see store.population.decode_extras)
            in_frame INTEGER NOT NULL CHECK (in_frame IN (0, 1))
        ) STRICT;
        CREATE UNIQUE INDEX unit_ref ON unit(ref);

        CREATE TABLE sampling_plan (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            size_method TEXT NOT NULL,     -- fixed | attribute | margin
            confidence REAL,
            tolerable REAL,
            expected REAL,
            margin REAL,
            proportion REAL,
            requested_size INTEGER,
            size INTEGER NOT NULL,
            acceptance_number INTEGER,
            size_description TEXT NOT NULL,
            strata_fields TEXT NOT NULL,   -- JSON list
            allocation TEXT NOT NULL,
            min_per_stratum INTEGER,
            disproportionate INTEGER NOT NULL,
            reserve INTEGER NOT NULL,
            seed TEXT NOT NULL,
            frame_size INTEGER NOT NULL,
            frame_sha256 TEXT NOT NULL,
            statement TEXT NOT NULL
        ) STRICT;

        CREATE TABLE stratum (
            key TEXT PRIMARY KEY,
            population INTEGER NOT NULL,
            sample INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE sample_unit (
            unit_id INTEGER PRIMARY KEY REFERENCES unit(id),
            stratum TEXT NOT NULL REFERENCES stratum(key),
            rank INTEGER NOT NULL,           -- 1-based within the stratum, over selected and reserve units
            hash_key TEXT NOT NULL,          -- SHA-256(seed \\x1f ref)
            inclusion_probability REAL NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('selected', 'reserve', 'replaced')),
            replaces INTEGER REFERENCES sample_unit(unit_id),
            replaced_reason TEXT,
            UNIQUE (stratum, rank)
        ) STRICT;

        CREATE TABLE reviewer (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            staff_number TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('lead', 'reviewer')),
            created_at TEXT NOT NULL,
            UNIQUE (name, staff_number)
        ) STRICT;

        CREATE TABLE review (
            id INTEGER PRIMARY KEY,
            unit_id INTEGER NOT NULL REFERENCES sample_unit(unit_id),
            reviewer_id INTEGER NOT NULL REFERENCES reviewer(id),
            role TEXT NOT NULL CHECK (role IN ('primary', 'second')),
            status TEXT NOT NULL CHECK (status IN ('in_progress', 'complete', 'signed_off')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (unit_id, role)
        ) STRICT;

        CREATE TABLE profile_value (
            review_id INTEGER NOT NULL REFERENCES review(id),
            field TEXT NOT NULL,
            value TEXT NOT NULL,            -- JSON
            PRIMARY KEY (review_id, field)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE answer (
            review_id INTEGER NOT NULL REFERENCES review(id),
            item TEXT NOT NULL,
            code TEXT NOT NULL,
            note TEXT NOT NULL,
            evidence TEXT NOT NULL,
            opportunity_known INTEGER CHECK (opportunity_known IN (0, 1)),
            mmo INTEGER NOT NULL CHECK (mmo IN (0, 1)),
            notable INTEGER NOT NULL CHECK (notable IN (0, 1)),
            PRIMARY KEY (review_id, item)
        ) STRICT, WITHOUT ROWID;

        -- The audit trail: append-only, each entry chained to the previous by SHA-256.
        CREATE TABLE event (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            detail TEXT NOT NULL,          -- JSON
            reason TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        ) STRICT;
        CREATE INDEX event_entity ON event(entity, entity_id);
        CREATE TRIGGER event_no_update BEFORE UPDATE ON event
            BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be changed'); END;
        CREATE TRIGGER event_no_delete BEFORE DELETE ON event
            BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be deleted'); END;
        """
    )


@MIGRATIONS()
def m002_review_workflow(db: Database) -> None:
    """The review workstation: audit scope and period, training reviews, sign-off, moderation, drafts."""
    _run_script(
        db,
        """
        ALTER TABLE audit ADD COLUMN scope TEXT NOT NULL DEFAULT '';
        ALTER TABLE audit ADD COLUMN period_start TEXT;      -- ISO date, or NULL
        ALTER TABLE audit ADD COLUMN period_end TEXT;
        -- The checklist's validated content as canonical JSON, so the audit opens without re-reading
        -- the YAML (the text stays the authority: verify checks that they agree). NULL = not kept.
        ALTER TABLE audit ADD COLUMN checklist_document TEXT;

        -- A training example (e.g. in the demo audit): shown as such wherever the review appears.
        ALTER TABLE review ADD COLUMN training INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1));
        ALTER TABLE review ADD COLUMN signed_off_by INTEGER REFERENCES reviewer(id);
        ALTER TABLE review ADD COLUMN signed_off_at TEXT;
        -- Set for good when a signed-off review is changed (with a reason); the change voids the sign-off.
        ALTER TABLE review ADD COLUMN changed_after_sign_off INTEGER NOT NULL DEFAULT 0
            CHECK (changed_after_sign_off IN (0, 1));

        -- Moderation: the agreed answer (or profile value) where a primary and a second review of a
        -- file differ. Both original reviews are kept unchanged.
        CREATE TABLE agreed (
            unit_id INTEGER NOT NULL REFERENCES sample_unit(unit_id),
            target TEXT NOT NULL,            -- an item id, or 'profile.<field>'
            value TEXT NOT NULL,             -- JSON: the agreed answer (item) or value (profile); null = cleared
            reason TEXT NOT NULL,
            decided_by INTEGER NOT NULL REFERENCES reviewer(id),
            decided_at TEXT NOT NULL,
            PRIMARY KEY (unit_id, target)
        ) STRICT, WITHOUT ROWID;

        -- Text being typed before it is recorded: an answer's note or evidence reference (item = the
        -- item id), or a profile value typed as text (item = 'profile.<field>', field = 'value').
        -- Saved on every keystroke so a crash loses at most the keystroke in flight. Not part of
        -- the audit trail: the text becomes an ordinary, logged change when it is recorded.
        CREATE TABLE draft (
            review_id INTEGER NOT NULL REFERENCES review(id),
            item TEXT NOT NULL,
            field TEXT NOT NULL CHECK (field IN ('note', 'evidence', 'value')),
            text TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (review_id, item, field)
        ) STRICT, WITHOUT ROWID;
        """
    )


@MIGRATIONS()
def m003_who_is_working(db: Database) -> None:
    """Who made each change as the computer knows it (the operating-system account and host), and
    the account each reviewer works from."""
    _run_script(
        db,
        """
        -- NULL on entries written before this version: their hash covers the original fields only.
        ALTER TABLE event ADD COLUMN os_account TEXT;
        ALTER TABLE event ADD COLUMN host TEXT;
        -- The account the reviewer first worked from ('' until they open the audit themselves:
        -- e.g. a second reviewer named by a lead).
        ALTER TABLE reviewer ADD COLUMN os_account TEXT NOT NULL DEFAULT '';
        ALTER TABLE reviewer ADD COLUMN host TEXT NOT NULL DEFAULT '';
        """
    )


@MIGRATIONS()
def m004_audit_settings(db: Database) -> None:
    """Settings a lead auditor changes during the audit (the protective marking of reports and
    exports, whether reports may show file references); every change is an ``audit.setting`` event."""
    _run_script(
        db,
        """
        CREATE TABLE audit_setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL             -- JSON
        ) STRICT, WITHOUT ROWID;
        """
    )


# Every migration this version knows, in order (pending() on an empty database lists them all).
MIGRATION_NAMES: list[str] = [m.name for m in MIGRATIONS.pending(Database(memory=True))]
