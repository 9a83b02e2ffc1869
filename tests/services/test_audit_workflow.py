"""The audit file end to end on the real police.uk export: create, import, sample, review, verify."""

import hashlib
import json
import sqlite3
from collections import Counter

import pytest
from conftest import ROOT

from audit_app.cli import main
from audit_app.core import sampling
from audit_app.core.records import Answer
from audit_app.errors import AuditError
from audit_app.services import population
from audit_app.services import sampling as sample_service
from audit_app.services.audits import create_audit
from audit_app.services.reviews import ensure_reviewer, import_responses, set_answer, start_review
from audit_app.services.sampling import SampleRequest
from audit_app.services.verification import verify
from audit_app.store import population as population_store
from audit_app.store import sampling as sampling_store

POLICE_UK = ROOT / "tests" / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
SCOPE = {"offence_group": ["burglary", "robbery", "theft_from_person", "vehicle"]}


@pytest.fixture
def audit(tmp_path):
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "Test audit") as audit:
        population.import_population(audit, POLICE_UK, preset="police-uk", scope=SCOPE)
        sample_service.draw_sample(audit, SampleRequest(size=20, strata=["offence_group"], seed="s1", reserve=2))
        yield audit


def test_import_counts_on_the_real_file(tmp_path):
    # 629 rows; empty Crime IDs and 13 repeated IDs are rejected (see tests/core/test_population.py)
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "t") as audit:
        result = population.import_population(audit, POLICE_UK, preset="police-uk", scope=SCOPE)
    assert (result.rows_read, result.imported + result.rejected) == (629, 629)
    assert result.in_frame == result.imported - result.excluded
    assert all(reason for _, _, reason in result.rejections)


def test_import_is_refused_after_the_draw(audit):
    with pytest.raises(AuditError, match="already been drawn"):
        population.import_population(audit, POLICE_UK, preset="police-uk")


def test_sample_is_proportional_and_reproducible(audit, tmp_path):
    sample = sample_service.sample(audit)
    assert sample.plan.size == 20 and len(sample.selected) == 20
    assert sum(s["sample"] for s in sample.strata.values()) == 20
    with create_audit(tmp_path / "b.audit", "neighbourhood-crime", "again") as again:
        population.import_population(again, POLICE_UK, preset="police-uk", scope=SCOPE)
        redrawn = sample_service.draw_sample(again, SampleRequest(size=20, strata=["offence_group"], seed="s1", reserve=2))
    assert redrawn.selected == sample.selected and redrawn.plan.frame_sha256 == sample.plan.frame_sha256


def test_replacement_takes_the_next_reserve_and_needs_a_reason(audit):
    first = sample_service.sample(audit).selected[0]
    with pytest.raises(AuditError, match="reason"):
        sample_service.replace_unit(audit, first, "  ")
    old, new = sample_service.replace_unit(audit, first, "Duplicate record of another crime")
    assert old == first and new in sample_service.sample(audit).reserve + sample_service.sample(audit).selected
    assert first not in sample_service.sample(audit).selected and new in sample_service.sample(audit).selected
    assert verify(audit).ok


def test_verify_finds_an_answer_changed_behind_the_tools_back(audit):
    ref = sample_service.sample(audit).selected[0]
    reviewer = ensure_reviewer(audit, "Ann Reviewer", "R1")
    review = start_review(audit, ref, reviewer)
    set_answer(audit, review.id, "A1", Answer("P", note="Log 3"))
    assert verify(audit).ok
    conn = sqlite3.connect(audit.path)
    conn.execute("UPDATE answer SET code = 'M' WHERE item = 'A1'")
    conn.commit()
    conn.close()
    report = verify(audit)
    assert not report.ok
    assert any("answer A1 is 'M'" in p and "audit trail says 'P'" in p for p in report.problems)


def test_responses_import_is_all_or_nothing(audit, tmp_path):
    ref = sample_service.sample(audit).selected[0]
    bad = tmp_path / "bad.csv"
    bad.write_text("file_ref,item_id,answer,note,reviewer,role\n"
                   f"{ref},A1,P,Log 3,Ann,primary\n"
                   f"{ref},A2,X,,Ann,primary\n"
                   "NOPE,A1,M,,Ann,primary\n", encoding="utf-8")
    result = import_responses(audit, bad)
    assert [(e.row, e.message) for e in result.errors] == [
        (3, "A2: answer 'X' is not on its scale (M, P, N, NR, NA)"), (4, "file 'NOPE' is not in the sample")]
    assert audit.db.execute("SELECT count(*) FROM answer").fetchone()[0] == 0
    good = tmp_path / "good.csv"
    good.write_text("file_ref,item_id,answer,note,reviewer,role\n"
                    f"{ref},profile.offence_group,burglary_residential,,Ann,primary\n"
                    f"{ref},A1,P,,Ann,primary\n", encoding="utf-8")
    result = import_responses(audit, good)
    assert result.errors == []
    [review] = result.reviews
    assert review["complete"] is False
    assert "A1: an evidence note is required for 'Partly met'." in review["missing"]


def test_second_review_must_be_independent(audit):
    ref = sample_service.sample(audit).selected[0]
    ann = ensure_reviewer(audit, "Ann", "1")
    start_review(audit, ref, ann, "primary")
    with pytest.raises(AuditError, match="independent"):
        start_review(audit, ref, ann, "second")


def test_cli_init_import_sample_verify(tmp_path, capsys):
    path = str(tmp_path / "c.audit")
    assert main(["init", path, "--checklist", "neighbourhood-crime", "--title", "CLI"]) == 0
    assert main(["init", path, "--checklist", "neighbourhood-crime", "--title", "CLI"]) == 1  # never overwrites
    capsys.readouterr()
    assert main(["import", path, str(POLICE_UK), "--preset", "police-uk"]) == 0
    imported = json.loads(capsys.readouterr().out)
    assert {"rows_read", "imported", "rejected", "excluded", "in_frame", "rejections", "sha256"} <= imported.keys()
    assert imported["rejections"][0].keys() == {"row", "ref", "reason"}
    assert main(["sample", path, "--confidence", "0.95", "--tolerable", "0.05", "--seed", "x"]) == 0
    drawn = json.loads(capsys.readouterr().out)
    assert {"method", "confidence", "size", "seed", "frame_size", "frame_sha256", "strata", "selected", "reserve"} <= drawn.keys()
    assert main(["verify", path]) == 0
    assert main(["samplesize", "--confidence", "95", "--tolerable", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 59


def test_opening_a_non_audit_file_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "notes.audit"
    path.write_text("hello", encoding="utf-8")
    assert main(["verify", str(path)]) == 1
    assert "not an audit file" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "hello"


# ---------------------------------------------------------------------------------------------
# The frame and the selection, read and ranked the fast way, give the draw they always gave

# Drawn by the first implementation (rows in ref order, one SHA-256 hex key per unit), as
# sha256 of "stratum ref key" lines, selected then reserve, for the police.uk file with SCOPE.
FIRST_DRAWS = [
    (["offence_group"], 20, "proportional", None, "s1", 2, "bc9192b6b18a9f4625185672cc294ef57f6912bfc7044d4aa2f5186c0431f0ac"),
    (["offence_group", "area"], 40, "equal", 1, "x9", 3, "22b48b37fcc4caba4bce9fb61a9188f68d6563715bd71c9a05425b5f7ff723ac"),
    ([], 25, "proportional", None, "plain", 4, "0b0d9b13a345ba241aa3398ccae6fd563c941301a5dfbb07d05004053d76e556"),
]
FIRST_FRAME_SHA256 = "5b109ac8c7b1673fc70851511cc131084cd7058250961610aaf33627443b0299"


@pytest.mark.parametrize(("fields", "n", "method", "minimum", "seed", "reserve", "drawn"), FIRST_DRAWS)
def test_draws_are_those_of_the_first_implementation(tmp_path, fields, n, method, minimum, seed, reserve, drawn):
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "t") as audit:
        population.import_population(audit, POLICE_UK, preset="police-uk", scope=SCOPE)
        result = sample_service.draw_sample(audit, SampleRequest(size=n, strata=fields, allocation=method, min_per_stratum=minimum,
                                                 seed=seed, reserve=reserve))
        units = sampling_store.sampled_units(audit.db)
    assert result.plan.frame_sha256 == FIRST_FRAME_SHA256
    lines = [f"{u.stratum} {u.ref} {u.hash_key}" for status in ("selected", "reserve")
             for u in sorted(units, key=lambda u: (u.stratum, u.rank)) if u.status == status]
    assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == drawn


def test_frame_agrees_with_the_frame_rows(tmp_path):
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "t") as audit:
        population.import_population(audit, POLICE_UK, preset="police-uk", scope=SCOPE)
        for fields in ([], ["offence_group"], ["offence_group", "area"], ["Location"]):
            units, populations, frame_hash = sample_service.frame(audit, fields)
            rows = population_store.frame_units(audit.db, fields)
            expected = [(row[0], sampling.stratum_key(row[1:])) for row in rows]
            assert len(units) == len(rows) and sorted(units) == sorted(expected) and units[0] in expected
            assert populations == dict(Counter(key for _, key in expected))
            assert frame_hash == sampling.frame_sha256(row[0] for row in rows) == FIRST_FRAME_SHA256
            allocation = sampling.allocate(populations, 30)
            assert sampling.select(units, allocation, "s", 3) == sampling.select(reversed(expected), allocation, "s", 3)


def test_frame_merges_values_that_name_one_stratum_and_reads_any_value(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("ref,offence,area\nR1,A / B,C\nR2,A,B / C\nR3,A,B / C\nR4,Robbery,x\x1fy\nR5,A,\n", encoding="utf-8")
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "t") as audit:
        population.import_population(audit, source)
        refs, [areas] = population_store.frame_columns(audit.db, ["area"])  # "x\x1fy" holds the joiner
        assert sorted(zip(refs, areas)) == [("R1", "C"), ("R2", "B / C"), ("R3", "B / C"), ("R4", "x\x1fy"), ("R5", "")]
        _, populations, _ = sample_service.frame(audit, ["offence", "area"])
        assert populations == {"A / B / C": 3, "Robbery / x\x1fy": 1, "A / (blank)": 1}
        result = sample_service.draw_sample(audit, SampleRequest(size=3, strata=["offence", "area"], seed="s"))
    assert sum(stratum["population"] for stratum in result.strata.values()) == 5


def test_frame_hash_in_slices(monkeypatch):
    refs = [f"R{i:03d}" for i in range(7)]
    whole = hashlib.sha256("\n".join(refs).encode()).hexdigest()
    monkeypatch.setattr(sampling, "_FRAME_SLICE", 2)
    assert sampling.frame_sha256(iter(refs)) == sampling.frame_sha256(refs[:1] + refs[1:]) == whole
    with pytest.raises(ValueError, match="'R001' comes after 'R002'"):
        sampling.frame_sha256(["R000", "R002", "R001"])  # across a slice boundary
    with pytest.raises(ValueError, match="'R000' comes after 'R001'"):
        sampling.frame_sha256(["R001", "R000"])
