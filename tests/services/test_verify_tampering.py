"""Tampering with what decides a result, without touching the trail, is found and located by verify
(issue 12 §1): each edit below is one an insider could make with any SQLite tool."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

import pytest
from synthetic_audit import LEAD, build

from audit_app.services.audits import open_audit
from audit_app.services.reviews import sign_off
from audit_app.services.verification import verify
from audit_app.store import reviews as review_store

TAMPERING = {
    "a selected and a reserve file swapped": (
        "UPDATE sample_unit SET status = CASE status WHEN 'selected' THEN 'reserve' ELSE 'selected' END"
        " WHERE unit_id IN ((SELECT unit_id FROM sample_unit WHERE status = 'selected' AND stratum = 'robbery' LIMIT 1),"
        " (SELECT unit_id FROM sample_unit WHERE status = 'reserve' AND stratum = 'robbery' LIMIT 1))",
        "sample: "),
    "a file marked replaced without a replacement": (
        "UPDATE sample_unit SET status = 'replaced', replaced_reason = 'out of scope'"
        " WHERE unit_id = (SELECT unit_id FROM sample_unit WHERE status = 'selected' LIMIT 1)", "sample: "),
    "the seed changed": ("UPDATE sampling_plan SET seed = 'another seed'", "the plan's seed"),
    "the confidence changed": ("UPDATE sampling_plan SET confidence = 0.8", "the plan's confidence"),
    "the method statement changed": ("UPDATE sampling_plan SET statement = 'A census.'", "the plan's statement"),
    "an inclusion probability changed": (
        "UPDATE sample_unit SET inclusion_probability = 0.5 WHERE unit_id = (SELECT min(unit_id) FROM sample_unit)",
        "inclusion probability"),
    "the import's hash changed": ("UPDATE import_batch SET sha256 = 'ff'", "import 1"),
    "the import's counts changed": ("UPDATE import_batch SET rejected = rejected + 3", "import 1"),
    "the audit's title changed": ("UPDATE audit SET title = 'A better-looking audit'", "audit record: its title"),
    "the audit's creator changed": ("UPDATE audit SET created_by = 'Someone Senior (S1)'", "audit record: its creator"),
    "a reviewer renamed": ("UPDATE reviewer SET name = 'Somebody Else' WHERE id = 2", "people: "),
    "a reviewer promoted to lead": ("UPDATE reviewer SET role = 'lead' WHERE id = 2", "people: "),
    "a review given to another reviewer": (
        "UPDATE review SET reviewer_id = (SELECT id FROM reviewer WHERE role = 'reviewer'"
        " AND id != (SELECT reviewer_id FROM review WHERE id = 1) LIMIT 1) WHERE id = 1",
        "but the audit trail started it for"),
    "a review moved to a file reviewed by nobody": (
        "UPDATE review SET unit_id = (SELECT unit_id FROM sample_unit WHERE status = 'reserve' LIMIT 1) WHERE id = 1",
        "but the audit trail started it for"),
    "a second review turned into the primary and back": ([
        "UPDATE review SET unit_id = -unit_id WHERE role = 'second' AND unit_id = (SELECT min(unit_id) FROM review"
        " WHERE role = 'second')",
        "UPDATE review SET role = 'second' WHERE role = 'primary' AND unit_id = (SELECT -min(unit_id) FROM review)",
        "UPDATE review SET role = 'primary', unit_id = -unit_id WHERE unit_id < 0"], "review but the audit trail started it as"),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    path = build(tmp_path_factory.mktemp("tamper") / "t.audit", files=12, double=2, seed=8).path
    with open_audit(path) as audit:
        assert verify(audit).ok
    return path


def _found_and_located(original, tmp_path, sql, located):
    """Copy ``original``, run ``sql`` (a statement or several) on the copy, then verify: the edit must
    have changed something, and a finding must contain ``located``."""
    path = tmp_path / "tampered.audit"
    shutil.copy(original, path)
    conn = sqlite3.connect(str(path))
    changed = sum(conn.execute(statement).rowcount for statement in ([sql] if isinstance(sql, str) else sql))
    conn.commit()
    conn.close()
    assert changed
    with open_audit(path) as audit:
        report = verify(audit)
    assert not report.ok
    assert any(located in problem for problem in report.problems), report.problems


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_each_kind_of_tampering_is_found_and_located(pristine, tmp_path, kind):
    _found_and_located(pristine, tmp_path, *TAMPERING[kind])


def test_a_checklist_changed_with_its_hash_recomputed_is_found(pristine, tmp_path):
    """Edit a weight in the stored checklist text and document, recompute the SHA-256 the audit record
    keeps: scores and grades would change silently, but the creation entry still has the old hashes."""
    path = tmp_path / "tampered.audit"
    shutil.copy(pristine, path)
    conn = sqlite3.connect(str(path))
    text, document = conn.execute("SELECT checklist_text, checklist_document FROM audit").fetchone()
    new_text = text.replace("weight: 3", "weight: 1", 1)
    assert new_text != text
    new_document = document.replace('"weight":3', '"weight":1', 1)
    conn.execute("UPDATE audit SET checklist_text = ?, checklist_sha256 = ?, checklist_document = ?",
                 [new_text, hashlib.sha256(new_text.encode()).hexdigest(), new_document])
    conn.commit()
    conn.close()
    with open_audit(path) as audit:
        report = verify(audit)
    assert any(p.startswith("audit record: its checklist sha256") for p in report.problems), report.problems


def test_a_deleted_import_rejection_is_found(tmp_path):
    """The rows an import rejected are part of its evidence (why a file is not in the frame): deleting
    one behind the trail's back is found and located at its import."""
    from audit_app.services import population
    from audit_app.services.audits import create_audit

    source = tmp_path / "population.csv"
    rows = ["Crime ID,Month,Crime type,LSOA name,Last outcome category"]
    rows += [f"{i:064x},2025-01,Burglary,City of London 001A,Under investigation" for i in range(1, 21)]
    rows += [",2025-01,Burglary,City of London 001A,No reference", f"{1:064x},2025-01,Robbery,Elsewhere,A duplicate"]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = tmp_path / "rejections.audit"
    with create_audit(path, "neighbourhood-crime", "Rejections", actor="Lead (L1)") as audit:
        summary = population.import_population(audit, source, preset="police-uk")
    assert summary.rejected == 2  # the empty reference and the duplicate, as cli.md's import rules give them
    with open_audit(path) as audit:
        assert verify(audit).ok
    conn = sqlite3.connect(str(path))
    assert conn.execute("DELETE FROM rejection WHERE id = (SELECT max(id) FROM rejection)").rowcount == 1
    conn.commit()
    conn.close()
    with open_audit(path) as audit:
        report = verify(audit)
    assert not report.ok
    assert any(p.startswith("import 1 (population.csv): 1 rejected row(s) are kept but the audit trail recorded 2")
               for p in report.problems), report.problems


@pytest.fixture(scope="module")
def replaced(pristine, tmp_path_factory):
    """The pristine audit with one file replaced (out of scope) by its stratum's next reserve."""
    from audit_app.services import sampling

    path = tmp_path_factory.mktemp("replaced") / "r.audit"
    shutil.copy(pristine, path)
    with open_audit(path) as audit:
        ref = next(unit.ref for unit in sampling_units(audit) if unit.status == "selected")
        sampling.replace_unit(audit, ref, "out of scope: not a neighbourhood crime", actor="Lee Lead (L1)")
        lead = next(r for r in review_store.reviewers(audit.db) if (r.name, r.staff_number) == LEAD)
        review = next(r for r in review_store.all_reviews(audit.db) if r.status == "complete")
        sign_off(audit, review.id, lead, LEAD[1])
        assert verify(audit).ok
    return path


def sampling_units(audit):
    from audit_app.store import sampling as sampling_store

    return sampling_store.sampled_units(audit.db)


EVIDENCE = {  # what reports and exports show as the evidence of a decision, checked against the trail too
    "a replacement's reason changed": ("UPDATE sample_unit SET replaced_reason = 'a duplicate' WHERE status = 'replaced'",
                                       "is recorded as replaced for 'a duplicate'"),
    "a replacement's link removed": ("UPDATE sample_unit SET replaces = NULL WHERE replaces IS NOT NULL",
                                     "is recorded as replacing absent"),
    "a rank key changed": ("UPDATE sample_unit SET hash_key = '00' WHERE rank = 1", "has the rank key"),
    "a moderation reason changed": ("UPDATE agreed SET reason = 'the second reviewer insisted'"
                                    " WHERE unit_id = (SELECT min(unit_id) FROM agreed)", "but the audit trail says"),
    "a moderation decided by someone else": ("UPDATE agreed SET decided_by = 2 WHERE unit_id = (SELECT min(unit_id) FROM agreed)",
                                             "but the audit trail says"),
    "the sample's drawer changed": ("UPDATE sampling_plan SET created_by = 'Someone Senior (S1)'",
                                    "the plan is recorded as drawn by 'Someone Senior (S1)'"),
    "the import's column mapping changed": ("UPDATE import_batch SET mapping = json_set(mapping, '$.fields.area', 'Ward')",
                                            "import 1 (t-population.csv): its mapping is"),
    "the importer changed": ("UPDATE import_batch SET imported_by = 'Someone Senior (S1)'",
                             "recorded as imported by 'Someone Senior (S1)'"),
    "a sign-off re-dated": ("UPDATE review SET signed_off_at = '2025-03-31T23:59:00+00:00' WHERE signed_off_at IS NOT NULL",
                            "its sign-off is dated 2025-03-31T23:59:00+00:00 but the audit trail recorded it at"),
    "a review's start re-dated": ("UPDATE review SET created_at = '2025-01-02T09:00:00+00:00' WHERE id = 1",
                                  "its start is dated 2025-01-02T09:00:00+00:00"),
    "a sign-off date that is not a time": ("UPDATE review SET signed_off_at = 'yesterday' WHERE signed_off_at IS NOT NULL",
                                           "is dated 'yesterday', which is not a time"),
    "a moderation re-dated": ("UPDATE agreed SET decided_at = '2025-02-01T10:00:00+00:00'"
                              " WHERE unit_id = (SELECT min(unit_id) FROM agreed)", "is dated 2025-02-01T10:00:00+00:00"),
    "the draw re-dated": ("UPDATE sampling_plan SET created_at = '2025-01-01T00:00:00+00:00'",
                          "sample: the draw is dated 2025-01-01T00:00:00+00:00"),
}


@pytest.mark.parametrize("kind", list(EVIDENCE))
def test_evidence_shown_in_reports_is_checked_against_the_trail(replaced, tmp_path, kind):
    _found_and_located(replaced, tmp_path, *EVIDENCE[kind])
