"""The results service and its commands on whole audits built through the services.

Expected values come from outside the code under test: the counts from the responses CSV that
built the audit (read here with the csv module), intervals from statsmodels, and what moderation
recorded; the formulas themselves are tested against references in tests/core.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint
from synthetic_audit import build

from audit_app.cli import main
from audit_app.core.results.model import DISPROPORTIONATE, EQUAL_PROBABILITY
from audit_app.services import moderation, workspace
from audit_app.services import results as results_service
from audit_app.services.audits import open_audit
from audit_app.services.reviews import ensure_reviewer
from audit_app.store import events

STATS_ITEM_KEYS = {"applicable", "met", "partly", "not_met", "not_recorded", "na", "compliance", "ci_low", "ci_high",
                   "upper_deviation_limit", "assured", "weighted"}
WEIGHTED_KEYS = {"estimate", "ci_low", "ci_high", "n_eff", "upper_deviation_limit"}
AGREEMENT_KEYS = {"n", "percent_agreement", "cohen_kappa", "gwet_ac1", "gwet_ac1_se", "gwet_ac1_ci", "krippendorff_alpha"}


@pytest.fixture(scope="module")
def disproportionate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("disproportionate")
    return build(work / "d.audit", files=60, double=12, seed=3).path


@pytest.fixture(scope="module")
def proportional(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("proportional")
    return build(work / "p.audit", files=40, double=0, seed=4, allocation="proportional").path


def _primary_rows(audit_path: Path) -> list[dict[str, str]]:
    with (audit_path.parent / f"{audit_path.stem}-responses.csv").open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["role"] == "primary" and not row["item_id"].startswith("profile.")]


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_stats_json_has_the_contract_keys_and_counts_from_the_responses(disproportionate: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "stats", str(disproportionate), "--json")
    assert data["files_reviewed"] == 60
    assert data["design"] == DISPROPORTIONATE
    assert data["provisional"] == 6  # 12 double-reviewed, moderation agreed on 6 (the others differ and wait)
    assert isinstance(data["method"], str) and "weight" in data["method"]
    rows = _primary_rows(disproportionate)
    # moderation agreed the primary answers, so every final answer is the primary's as imported
    met = Counter(r["item_id"] for r in rows if r["answer"] == "M")
    applicable = Counter(r["item_id"] for r in rows if r["answer"] != "NA")
    na = Counter(r["item_id"] for r in rows if r["answer"] == "NA")
    for item_id, figures in data["items"].items():
        assert STATS_ITEM_KEYS <= set(figures)
        assert (figures["met"], figures["applicable"], figures["na"]) == (met[item_id], applicable[item_id], na[item_id])
        assert set(figures["weighted"]) >= WEIGHTED_KEYS
        if applicable[item_id]:
            low, high = proportion_confint(met[item_id], applicable[item_id], alpha=0.05, method="wilson")
            assert figures["ci_low"] == pytest.approx(low, abs=1e-12)
            assert figures["ci_high"] == pytest.approx(high, abs=1e-12)
    assert sum(data["grades"].values()) == 60


def test_no_nan_anywhere_in_the_json(disproportionate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("stats", "agreement"):
        capsys.readouterr()
        assert main([command, str(disproportionate), "--json"]) == 0
        json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"{command} printed {name}"))


def test_an_equal_probability_design_has_no_weighted_figures(proportional: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "stats", str(proportional), "--json")
    assert data["design"] == EQUAL_PROBABILITY
    assert all(figures["weighted"] is None for figures in data["items"].values())
    assert data["provisional"] == 0


def test_agreement_json_counts_the_double_reviewed_files(disproportionate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "agreement", str(disproportionate), "--json")
    assert data["files"] == 12
    assert AGREEMENT_KEYS <= set(data["pooled"])
    for figures in data["items"].values():
        assert AGREEMENT_KEYS <= set(figures)
    # every disagreement is a pair of different answers, and the pooled n counts every pair
    assert all(d["primary"] != d["second"] for d in data["disagreements"])
    assert data["pooled"]["n"] == sum(f["n"] for f in data["items"].values())
    expected = 1 - len(data["disagreements"]) / data["pooled"]["n"]
    assert data["pooled"]["percent_agreement"] == pytest.approx(expected)


def test_results_use_the_moderated_answer_once_agreed(disproportionate: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.audit"
    copy.write_bytes(disproportionate.read_bytes())
    with open_audit(copy) as audit:
        before = results_service.audit_results(audit)
        ref = before.provisional[0]
        comparison = moderation.compare(audit, ref)
        lead = ensure_reviewer(audit, "Lee Lead", "L1")
        changed = Counter()
        for difference in comparison.open_differences:
            # agree with the second reviewer this time: the results must follow the agreed answer
            moderation.record_agreed(audit, ref, difference.target, difference.second, "Second reviewer's reading agreed.", lead)
            if not difference.is_profile:
                old = difference.primary.code if difference.primary else None
                new = difference.second.code if difference.second else None
                changed[(difference.target, old, new)] += 1
        after = results_service.audit_results(audit)
    assert ref not in after.provisional and len(after.provisional) == len(before.provisional) - 1
    for (item_id, old, new), count in changed.items():
        shift = (new == "M") - (old == "M")
        assert after.items[item_id].met == before.items[item_id].met + shift * count


def test_text_tables_say_weighted_for_a_disproportionate_design(disproportionate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for by in ("stratum", "reviewer", "section"):
        capsys.readouterr()
        assert main(["stats", str(disproportionate), "--by", by]) == 0
        out = capsys.readouterr().out
        assert "WEIGHTED" in out and "Method:" in out
    assert main(["agreement", str(disproportionate)]) == 0
    assert "pooled" in capsys.readouterr().out


def test_the_outlier_reviewer_is_flagged_for_na(tmp_path: Path) -> None:
    built = build(tmp_path / "big.audit", files=200, double=0, seed=5)
    with open_audit(built.path) as audit:
        results = results_service.audit_results(audit)
    flagged = {r.reviewer for r in results.reviewers if r.flagged}
    assert any("Eve Outlier" in name for name in flagged)
    assert not any("Alex Reviewer" in name for name in flagged)


# -- responses import --complete: all or nothing


def _responses(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_ref", "item_id", "answer", "note", "reviewer", "role"])
        writer.writerows(rows)
    return path


def test_complete_refuses_and_records_nothing_when_a_review_lacks_something(
        disproportionate: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy.audit"
    copy.write_bytes(disproportionate.read_bytes())
    with open_audit(copy) as audit:
        ref = next(f.ref for f in workspace.overview(audit) if f.second_id is None)
        trail_before = sum(1 for _ in events.iterate(audit.db))
    source = _responses(tmp_path / "r.csv", [[ref, "A1", "M", "log 3", "New Second", "second"]])
    capsys.readouterr()
    assert main(["responses", "import", str(copy), str(source), "--complete"]) == 1
    err = capsys.readouterr().err
    assert ref in err and "not complete" in err and "nothing was recorded" in err
    with open_audit(copy) as audit:
        assert sum(1 for _ in events.iterate(audit.db)) == trail_before
        assert next(f for f in workspace.overview(audit) if f.ref == ref).second_id is None


def test_complete_marks_every_touched_review_complete(disproportionate: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "copy.audit"
    copy.write_bytes(disproportionate.read_bytes())
    rows = [r for r in csv.reader((disproportionate.parent / "d-responses.csv").open(encoding="utf-8"))][1:]
    with open_audit(copy) as audit:
        files_before = results_service.agreement(audit).files
        ref = next(f.ref for f in workspace.overview(audit) if f.second_id is None)
    # the primary review's rows replayed as a second review by someone else: complete, so accepted
    second = [[r[0], r[1], r[2], r[3] or "log 1", "Nia Second", "second", *r[6:10], "R301"] for r in rows
              if r[0] == ref and r[5] == "primary"]
    source = tmp_path / "second.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_ref", "item_id", "answer", "note", "reviewer", "role", "evidence", "opportunity_known",
                         "mmo", "notable_practice", "staff_number"])
        writer.writerows(second)
    capsys.readouterr()
    assert main(["responses", "import", str(copy), str(source), "--complete"]) == 0, capsys.readouterr().err
    with open_audit(copy) as audit:
        summary = next(f for f in workspace.overview(audit) if f.ref == ref)
        assert summary.second_status == "complete"
        assert results_service.agreement(audit).files == files_before + 1
