"""verify reads the whole audit in one snapshot: a commit by another program meanwhile is not mixed in."""

from __future__ import annotations

import pytest
from synthetic_audit import build

from audit_app.services.audits import open_audit
from audit_app.services.verification import verify
from audit_app.store import events


@pytest.fixture
def audit_path(tmp_path):
    return build(tmp_path / "s.audit", files=8, double=0, seed=2).path


def test_verify_reads_one_snapshot_while_another_connection_commits(audit_path, monkeypatch):
    """A commit by another connection in the middle of verify is not seen by it (one read transaction)."""
    import sqlite3

    from audit_app.store import events as events_module

    with open_audit(audit_path) as audit:
        before = events.count(audit.db)
        real_iterate = events_module.iterate
        writer = sqlite3.connect(str(audit_path), isolation_level=None)
        written = []

        def iterate_then_write(db, *args, **kwargs):
            if not written:  # another program commits a new entry while verify is reading
                writer.execute("BEGIN IMMEDIATE")
                # a change behind the trail's back: verify would report it if it saw it
                writer.execute("UPDATE answer SET code = CASE code WHEN 'M' THEN 'N' ELSE 'M' END"
                               " WHERE (review_id, item) = (SELECT review_id, item FROM answer ORDER BY review_id, item LIMIT 1)")
                writer.execute("COMMIT")
                written.append(True)
            yield from real_iterate(db, *args, **kwargs)

        monkeypatch.setattr(events_module, "iterate", iterate_then_write)
        report = verify(audit)
        writer.close()
        assert written and report.ok, report.problems
        assert f"audit trail chain ({before} entries)" in report.checks
    with open_audit(audit_path) as audit:  # once the snapshot is over, the change is there to be found
        assert not verify(audit).ok
