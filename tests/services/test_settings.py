"""Audit settings: only a lead changes them, each change is in the trail, verify replays them."""

from __future__ import annotations

import pytest
from synthetic_audit import LEAD, REVIEWERS, build

from audit_app.core.records import AuditSettings
from audit_app.errors import AuditError
from audit_app.services import settings
from audit_app.services.audits import open_audit
from audit_app.services.reviews import ensure_reviewer
from audit_app.services.verification import verify
from audit_app.store import events


@pytest.fixture
def audit_path(tmp_path):
    return build(tmp_path / "s.audit", files=8, double=0, seed=2).path


def test_a_lead_changes_the_marking_and_the_trail_records_it(audit_path):
    with open_audit(audit_path) as audit:
        assert settings.audit_settings(audit) == AuditSettings("", False)
        lead = ensure_reviewer(audit, *LEAD)
        changed = settings.change_settings(audit, lead, marking="  OFFICIAL-SENSITIVE ", show_references=True,
                                           reason="Report goes to the inspectorate")
        assert changed == AuditSettings("OFFICIAL-SENSITIVE", True)
        logged = [e for e in events.iterate(audit.db) if e.action == "audit.setting"]
        assert [(e.detail["key"], e.detail["old"], e.detail["new"]) for e in logged] == [
            ("marking", "", "OFFICIAL-SENSITIVE"), ("show_references", False, True)]
        assert logged[0].actor == "Lee Lead (L1)" and logged[0].reason == "Report goes to the inspectorate"
        # the same value again logs nothing
        settings.change_settings(audit, lead, marking="OFFICIAL-SENSITIVE")
        assert sum(1 for e in events.iterate(audit.db) if e.action == "audit.setting") == 2
        assert verify(audit).ok
    with open_audit(audit_path) as audit:  # kept in the file
        assert settings.audit_settings(audit).marking == "OFFICIAL-SENSITIVE"


def test_a_reviewer_cannot_change_settings_and_nothing_changes(audit_path):
    with open_audit(audit_path) as audit:
        reviewer = ensure_reviewer(audit, *REVIEWERS[0])
        before = events.count(audit.db)
        with pytest.raises(AuditError, match="Only a lead auditor"):
            settings.change_settings(audit, reviewer, marking="OFFICIAL")
        assert settings.audit_settings(audit) == AuditSettings() and events.count(audit.db) == before


@pytest.mark.parametrize(("marking", "why"), [("X" * 61, "at most 60"), ("OFFICIAL\nSENSITIVE", "one line")])
def test_a_marking_that_cannot_be_printed_is_refused(audit_path, marking, why):
    with open_audit(audit_path) as audit:
        lead = ensure_reviewer(audit, *LEAD)
        with pytest.raises(AuditError, match=why):
            settings.change_settings(audit, lead, marking=marking)
        assert settings.audit_settings(audit) == AuditSettings()


def test_verify_finds_a_setting_changed_behind_the_trail(audit_path):
    with open_audit(audit_path) as audit:
        lead = ensure_reviewer(audit, *LEAD)
        settings.change_settings(audit, lead, marking="OFFICIAL")
        with audit.transaction() as db:
            db.execute("UPDATE audit_setting SET value = ? WHERE key = 'marking'", ['"NOT PROTECTED"'])
        report = verify(audit)
    assert not report.ok
    assert any("'marking'" in p and "NOT PROTECTED" in p and "OFFICIAL" in p for p in report.problems)



def test_exports_carry_the_audits_marking_unless_told_otherwise(audit_path, tmp_path):
    from audit_app.services import exports

    with open_audit(audit_path) as audit:
        settings.change_settings(audit, ensure_reviewer(audit, *LEAD), marking="OFFICIAL-SENSITIVE")
        exports.export(audit, "csv", tmp_path / "a.csv")
        exports.export(audit, "csv", tmp_path / "b.csv", marking="OFFICIAL")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8-sig").splitlines()[0] == "OFFICIAL-SENSITIVE"
    assert (tmp_path / "b.csv").read_text(encoding="utf-8-sig").splitlines()[0] == "OFFICIAL"
