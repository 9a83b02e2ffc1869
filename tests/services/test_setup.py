"""The set-up services behind the new-audit wizard, on the real police.uk export."""

import csv
import datetime as dt
import json

import pytest
from conftest import ROOT, TEST_CHECKLISTS
from scipy import stats

from audit_app.cli import main
from audit_app.errors import AuditError, PopulationError
from audit_app.services import audits, population, sampling, setup
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.sampling import SampleRequest

POLICE_UK = ROOT / "tests" / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
JANUARY = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))


@pytest.fixture
def new_audit(tmp_path):
    state = setup.create_audit_file(tmp_path / "a.audit", "neighbourhood-crime", "Test audit", "Tester",
                                    scope="Neighbourhood crime", period=JANUARY)
    return state.path


@pytest.fixture
def imported(new_audit):
    scope = population.build_scope(population.preview_population(POLICE_UK, "police-uk").fields, population.NEIGHBOURHOOD_GROUPS)
    audits.run(new_audit, population.import_population, POLICE_UK, preset="police-uk", mapping={}, scope=scope, actor="Tester")
    return new_audit


def samplesize_cli(capsys, *args):
    assert main(["samplesize", *args]) == 0
    return json.loads(capsys.readouterr().out)


# -- the population file


def test_preview_shows_the_first_rows_and_the_preset_mapping():
    preview = population.preview_population(POLICE_UK, "police-uk")
    assert preview.problem == ""
    assert preview.fields == {"ref": "Crime ID", "offence": "Crime type", "area": "LSOA name", "month": "Month",
                              "outcome": "Last outcome category"}
    assert len(preview.rows) == 10 and all(len(row) == len(preview.header) == 12 for row in preview.rows)
    assert preview.rows[0][0].startswith("8c7661d1b68d")  # the file's first data row
    assert preview.how_text("ref") == "from the preset"
    assert preview.how_text("offence_group") == "derived from the offence"
    assert preview.how_text("officer") == "not mapped"
    assert "LSOA code" in preview.extras and (preview.format, preview.delimiter) == ("csv", ",")


def test_a_manual_mapping_wins_and_a_field_can_be_left_unmapped():
    preview = population.preview_population(POLICE_UK, "police-uk")
    remapped = population.remap(preview, "police-uk", {"area": "LSOA code", "outcome": ""})
    assert remapped.fields["area"] == "LSOA code" and remapped.how_text("area") == "chosen by you"
    assert "outcome" not in remapped.fields and "Last outcome category" in remapped.extras
    assert remapped.rows == preview.rows  # the file is not read again


def test_a_preset_that_does_not_fit_still_shows_the_file(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("URN,Offence,Ward\nA1,Burglary,North\nA2,Robbery,South\n", encoding="utf-8")
    preview = population.preview_population(path, "police-uk")
    assert "does not fit the 'police-uk' preset" in preview.problem
    assert preview.header == ("URN", "Offence", "Ward") and preview.fields["ref"] == "URN"
    assert population.remap(preview, None, {}).problem == ""


def test_an_unreadable_file_is_one_clear_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(PopulationError):
        population.preview_population(path)


def test_scope_of_the_neighbourhood_groups_and_the_period():
    fields = {"ref": "Crime ID", "offence": "Crime type", "month": "Month"}
    scope = population.build_scope(fields, population.NEIGHBOURHOOD_GROUPS, population.months_between(*JANUARY))
    assert scope == {"offence_group": ["burglary", "robbery", "theft_from_person", "vehicle"], "month": ["2025-01"]}
    assert population.build_scope(fields, population.OFFENCE_GROUPS) == {}  # every group: no limit


@pytest.mark.parametrize("fields, groups, months, message", [
    ({"ref": "ID", "offence": "Type"}, [], [], "Choose at least one offence group"),
    ({"ref": "ID"}, ["burglary"], [], "No column gives the offence"),
    ({"ref": "ID", "offence": "Type"}, ["burglary"], ["2025-01"], "No column gives the month"),
])
def test_a_scope_that_cannot_work_is_explained(fields, groups, months, message):
    with pytest.raises(AuditError, match=message):
        population.build_scope(fields, groups, months)


def test_months_of_a_period_across_a_year_end():
    assert population.months_between(dt.date(2024, 11, 15), dt.date(2025, 2, 1)) == ["2024-11", "2024-12", "2025-01", "2025-02"]
    with pytest.raises(AuditError, match="ends"):
        population.months_between(dt.date(2025, 2, 1), dt.date(2025, 1, 1))


# -- import and state


def test_import_gives_the_known_figures_of_the_real_file(new_audit):
    scope = {"offence_group": list(population.NEIGHBOURHOOD_GROUPS)}
    with open_audit(new_audit) as audit:  # as the wizard does it: import, then the state, on one connection
        result = population.import_population(audit, POLICE_UK, preset="police-uk", mapping={}, scope=scope, actor="Tester")
        state = setup.setup_state(audit)
    # Counted outside the code: 629 data rows; 2 empty and 13 repeated Crime IDs; 481 rows of other crime types.
    assert (result.rows_read, result.imported, result.rejected, result.excluded, result.in_frame) == (629, 614, 15, 481, 133)
    summary = state.imports[-1]
    assert (summary.rows_read, summary.imported, summary.rejected, summary.excluded, summary.in_frame) == (629, 614, 15, 481, 133)
    assert summary.rejections == result.rejections and state.in_frame == 133
    assert ("offence group other than burglary (residential or business), robbery, theft from the person or "
            "vehicle offences") in summary.exclusion_reason()


def test_state_of_a_new_an_imported_and_a_drawn_audit(new_audit):
    state = audits.run(new_audit, setup.setup_state)
    assert (state.title, state.period, state.imports, state.in_frame, state.sample) == ("Test audit", JANUARY, [], 0, None)
    audits.run(new_audit, population.import_population, POLICE_UK, preset="police-uk", mapping={}, scope={}, actor="Tester")
    state = audits.run(new_audit, setup.setup_state)
    assert state.in_frame == 614 and state.sample is None
    assert state.strata_fields[:5] == ["offence", "offence_group", "area", "month", "outcome"]
    assert "LSOA code" in state.strata_fields and "ref" not in state.strata_fields
    audits.run(new_audit, sampling.draw_sample, SampleRequest(size=10, seed="s"), "Tester")
    assert audits.run(new_audit, setup.setup_state).sample.plan.size == 10


def test_creating_an_audit_never_overwrites(new_audit):
    before = new_audit.read_bytes()
    with pytest.raises(Exception, match="exists"):
        setup.create_audit_file(new_audit, "neighbourhood-crime", "Again", "Tester")
    assert new_audit.read_bytes() == before


def test_a_broken_checklist_file_lists_every_problem_with_its_position(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text((TEST_CHECKLISTS / "minimal.yaml").read_text().replace("scale: MPN", "scale: XYZ"), encoding="utf-8")
    choice = setup.check_checklist_file(broken)
    assert not choice.valid and len(choice.problems) == 3
    assert all(p.line > 0 and p.column > 0 and "unknown scale 'XYZ'" in p.message for p in choice.problems)
    assert setup.check_checklist_file(TEST_CHECKLISTS / "minimal.yaml").valid


def test_rejections_export_as_csv(tmp_path):
    rows = [(18, "7aad", "duplicate ref (first seen in row 16)"), (494, "", "empty ref")]
    path = tmp_path / "rejections.csv"
    assert population.write_rejections_csv(path, rows) == 2
    with open(path, encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [["row", "ref", "reason"], ["18", "7aad", "duplicate ref (first seen in row 16)"],
                                            ["494", "", "empty ref"]]
    with pytest.raises(AuditError, match="Could not write"):
        population.write_rejections_csv(tmp_path / "missing" / "x.csv", rows)


# -- the sample design


def test_attribute_size_on_the_frame_against_reference_values(imported, capsys):
    populations = audits.run(imported, sampling.stratum_populations, ["offence_group"])
    assert populations == {"burglary": 22, "robbery": 16, "theft_from_person": 86, "vehicle": 9}
    preview = sampling.design_preview(SampleRequest(confidence=0.95, tolerable=0.05, strata=["offence_group"]), populations)
    # statistics.md §1.1: 95 %, t = 5 %, large population ⇒ 59.
    assert preview.large_population_n == 59
    # Finite population, checked by brute force with scipy: D = floor(0.05 × 133) = 6 deviations.
    reference = next(n for n in range(1, 134) if stats.hypergeom.cdf(0, 133, 6, n) <= 0.05)
    assert preview.n == reference == 52 and preview.acceptance_number == 0
    assert preview.n == samplesize_cli(capsys, "--confidence", "95", "--tolerable", "5", "--population", "133")["n"]
    assert sum(row.sample for row in preview.strata) == 52 and preview.frame_size == 133


def test_margin_size_on_the_frame_against_reference_values(imported, capsys):
    populations = audits.run(imported, sampling.stratum_populations, [])
    preview = sampling.design_preview(SampleRequest(confidence=0.95, margin=0.05), populations)
    # statistics.md §1.2: 95 %, ±5 %, N = ∞ ⇒ 385; by hand for N = 133: 384.15 / (1 + 383.15/133) = 98.99 ⇒ 99.
    assert (preview.large_population_n, preview.n) == (385, 99)
    assert preview.n == samplesize_cli(capsys, "--confidence", "95", "--margin", "5", "--population", "133")["n"]
    assert [row.key for row in preview.strata] == ["all"]


def test_the_preview_is_what_the_draw_draws(imported):
    request = SampleRequest(size=30, strata=["offence_group"], min_per_stratum=5, seed="abc", reserve=2)
    preview = sampling.design_preview(request, audits.run(imported, sampling.stratum_populations, request.strata))
    result = audits.run(imported, sampling.draw_sample, request, "Tester")
    assert {row.key: (row.population, row.sample) for row in preview.strata} == {
        key: (s["population"], s["sample"]) for key, s in result.strata.items()}
    assert preview.disproportionate == result.plan.disproportionate is True
    assert [row.reserve for row in preview.strata] == [2, 2, 2, 2] and len(result.reserve) == 8


@pytest.mark.parametrize("request_, message", [
    (SampleRequest(size=200), "cannot be drawn from the 133 files"),
    (SampleRequest(size=30, strata=["offence_group"], min_per_stratum=10), "at least 10 files"),
    (SampleRequest(confidence=0.95, tolerable=0.05, expected=0.05), "expected rate"),
    (SampleRequest(), "Give a sample size"),
])
def test_a_design_the_frame_cannot_give_is_one_sentence(imported, request_, message):
    populations = audits.run(imported, sampling.stratum_populations, request_.strata)
    with pytest.raises(AuditError, match=message):
        sampling.design_preview(request_, populations)


def test_an_empty_frame_is_explained():
    with pytest.raises(AuditError, match="frame is empty"):
        sampling.design_preview(SampleRequest(size=1), {})


def test_audit_made_by_the_cli_reads_the_same(tmp_path):
    with create_audit(tmp_path / "c.audit", "neighbourhood-crime", "CLI audit"):
        pass
    state = audits.run(tmp_path / "c.audit", setup.setup_state)
    assert state.period is None and state.checklist.startswith("Neighbourhood crime investigation file review")
    with open_audit(tmp_path / "c.audit") as audit:
        assert audit.record.title == state.title
