"""The demo audit: real police.uk data with labelled synthetic enrichment, a sample, and example
training reviews whose grades are hand-checked against the brief's grading rules."""

import datetime as dt
import re
from pathlib import Path

import pytest

from audit_app import paths
from audit_app.errors import AuditError
from audit_app.services import demo, moderation, sampling, workspace
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.reviews import review_result, review_state
from audit_app.services.verification import verify
from audit_app.store import population as population_store
from audit_app.store import reviews as review_store


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    return demo.build_demo(tmp_path_factory.mktemp("demo") / "demo.audit")


@pytest.fixture(scope="module")
def audit(demo_path):
    with open_audit(demo_path) as audit:
        yield audit


@pytest.fixture(scope="module")
def files(audit):
    return {f.ref: f for f in workspace.overview(audit)}


@pytest.fixture(scope="module")
def chosen(files):
    return demo.example_files(list(files.values()))


def primary(audit, files, chosen, name):
    return review_result(audit, files[chosen[name]].primary_id)


def test_the_demo_verifies(audit):
    report = verify(audit)
    assert report.ok, report.problems


def test_the_audit_says_it_is_a_demonstration_with_synthetic_enrichment(audit, demo_path):
    record = audit.record
    assert record.title.startswith("Demonstration audit (training)")
    assert "police.uk" in record.scope and "synthetic" in record.scope and "DEMONSTRATION" in record.scope
    assert (record.period_start, record.period_end) == ("2025-01-01", "2025-01-31")
    assert record.created_by == demo.DEMO_ACTOR and demo.is_demo(demo_path)


def test_the_import_gives_the_police_uk_figures(audit):
    (batch,) = population_store.batches(audit.db)
    assert (batch.rows_read, batch.imported, batch.rejected, batch.excluded) == (629, 614, 15, 481)
    assert population_store.unit_count(audit.db, in_frame_only=True) == 133
    assert batch.source_name == demo.ENRICHED_FILE


def test_the_enriched_columns_are_labelled_synthetic_extra_fields(audit):
    extras = population_store.extra_columns(audit.db)
    assert all(column in extras for column in demo.SYNTHETIC_COLUMNS)
    assert all("(synthetic)" in column for column in demo.SYNTHETIC_COLUMNS)
    units = population_store.frame_units(audit.db, list(demo.SYNTHETIC_COLUMNS))
    assert len(units) == 133
    references = [u[1] for u in units]
    assert all(re.fullmatch(r"CL/25/\d{6}", ref) for ref in references) and len(set(references)) == 133
    for _, _, reported, recorded, officer in units:
        reported, recorded = dt.date.fromisoformat(reported), dt.date.fromisoformat(recorded)
        assert dt.date(2025, 1, 1) <= reported <= recorded <= dt.date(2025, 1, 31)
        assert (recorded - reported).days <= 1 and officer.startswith("DEMO-PC-")


def test_the_enriched_copy_keeps_every_original_value(tmp_path):
    import csv

    facts = demo.enrich(demo.demo_source(), tmp_path / "enriched.csv")
    with demo.demo_source().open(newline="", encoding="utf-8-sig") as handle:
        original = list(csv.reader(handle))
    with (tmp_path / "enriched.csv").open(newline="", encoding="utf-8") as handle:
        enriched = list(csv.reader(handle))
    assert enriched[0] == original[0] + list(demo.SYNTHETIC_COLUMNS)
    assert [row[: len(original[0])] for row in enriched[1:]] == original[1:]
    # a Crime ID that appears twice gets the same synthetic facts both times
    twice = [row for row in enriched[1:] if row[0] and sum(r[0] == row[0] for r in enriched[1:]) > 1]
    assert twice and all(row[-4:] == [facts[row[0]].crime_reference, facts[row[0]].reported.isoformat(),
                                      facts[row[0]].recorded.isoformat(), facts[row[0]].officer] for row in twice)


def test_the_sample_is_stratified_by_offence_group(audit):
    sample = sampling.sample(audit)
    assert sample.plan.seed == demo.SEED and sample.plan.strata_fields == ["offence_group"]
    assert len(sample.selected) == 24 and len(sample.reserve) == 4
    assert {k: v["sample"] for k, v in sample.strata.items()} == {
        "burglary": 4, "robbery": 3, "theft_from_person": 14, "vehicle": 3}


def test_every_review_is_a_training_example_by_a_demo_reviewer(audit):
    reviews = review_store.all_reviews(audit.db)
    assert len(reviews) == 7  # six primary reviews and one second review
    assert all(r.training for r in reviews)
    assert {r.reviewer.name for r in reviews} == {"Demo Reviewer A", "Demo Reviewer B"}
    assert {(p.name, p.staff_number, p.role) for p in review_store.reviewers(audit.db)} == {
        demo.LEAD, demo.REVIEWER_A, demo.REVIEWER_B}


def test_the_examples_are_spread_over_the_offence_groups_and_fit_the_police_uk_outcome(files, chosen):
    assert len(set(chosen.values())) == len(demo.EXAMPLES)
    groups = {name: files[ref].offence_group for name, ref in chosen.items()}
    assert set(groups.values()) == {"burglary", "robbery", "theft_from_person", "vehicle"}
    assert files[chosen[demo.CHARGED_BURGLARY]].outcome == "Awaiting court outcome"
    assert files[chosen[demo.THEFT_NAMED_SUSPECT]].outcome == "Unable to prosecute suspect"


def test_the_review_statuses_are_as_designed(audit, files, chosen):
    status = {name: files[ref].status for name, ref in chosen.items()}
    assert status == {
        demo.CHARGED_BURGLARY: "signed_off", demo.WORKED_EXAMPLE: "complete", demo.ROBBERY: "complete",
        demo.THEFT_NAMED_SUSPECT: "complete", demo.VEHICLE: "complete", demo.IN_PROGRESS: "in_progress",
    }
    signed = review_state(audit, files[chosen[demo.CHARGED_BURGLARY]].primary_id).review
    assert signed.signed_off_by.name == "Demo Lead Auditor"
    assert [f.ref for f in files.values() if f.second_id] == [chosen[demo.WORKED_EXAMPLE]]
    assert files[chosen[demo.WORKED_EXAMPLE]].second_status == "complete"


def test_the_worked_example_is_inadequate_as_in_the_brief(audit, files, chosen):
    # Hand-checked (brief §10). Residential burglary, closed (outcome 18), screened in, reported
    # 45 minutes after the offence, physical scene, possible video, property stolen, statement taken.
    # Applicable, with weights:
    #   always       A1 1, A2 2, A4 2, B1 3, B2 2, B3 1, B4 1, B5 1, C1 3, D1 2, D9 2, D12 1, F4 2, I1 1, I2 1  = 25
    #   screened in  C2 2, C3 1, F1 3, F2 3, G1 2                                                          = 11
    #   closed       F3 3, H1 3, H4 2, H2 3 (outcome is not 1), G2 3 (a qualifying event)                  = 14
    #   from flags   A3 2, A5 3, D3 2, D4 3, D5 3, D6 2, B6 1                                              = 16
    # 32 items, weight 66, maximum 132 points. Points lost: D4 N 6, H2 N 6, F1 P 3, F2 P 3, A3 P 2,
    # D3 P 2, D6 P 2, G1 P 2, I1 NR 2, B4 P 1, C3 P 1 = 30, so 102 points: S = 77.27 -> 77.3 (Adequate).
    # D4 Not met on a confirmed known opportunity and H2 Not met (always critical): two critical
    # failures, and an MMO on D4, so the grade is Inadequate.
    result = primary(audit, files, chosen, demo.WORKED_EXAMPLE)
    assert len(result.scored_items) == 32 and result.max_points == 132 and result.points == 102
    assert (result.score, result.base_grade, result.grade) == (77.3, "adequate", "inadequate")
    assert result.critical_failures == ("D4", "H2") and result.mmo == ("D4",)
    assert result.needs_moderation


def test_the_theft_with_no_supervision_is_capped_at_requires_improvement(audit, files, chosen):
    # Hand-checked. Theft from the person, closed as outcome 16 (suspect named, victim withdrew),
    # screened in, tracked phone, possible video, suspect image, statement taken.
    #   always 25 + screened in 11 + closed (F3 3, H1 3, H4 2, H2 3, G2 3) 14 + G3 2 (outcome 16)
    #   + flags A3 2, A5 3, D4 3, D6 2, D7 3, D10 1, D11 2, E1 3 (named suspect), B6 1 = 20
    # 35 items, weight 72, maximum 144. Points lost: F2 NR 6, G1 N 4, E1 P 3, F1 P 3, D7 P 3, A5 P 3,
    # B5 N 2, D10 NR 2, D11 P 2, G3 P 2, F4 P 2, H4 P 2, I1 P 1 = 35, so 109 points:
    # S = 75.69 -> 75.7 (Adequate). F2 Not recorded is a critical failure (F2 is always critical):
    # capped at Requires improvement.
    result = primary(audit, files, chosen, demo.THEFT_NAMED_SUSPECT)
    assert len(result.scored_items) == 35 and result.max_points == 144 and result.points == 109
    assert (result.score, result.base_grade, result.grade) == (75.7, "adequate", "requires_improvement")
    assert result.critical_failures == ("F2",) and result.mmo == ()


def test_the_graded_results_are_varied(audit, files, chosen):
    expected = {
        demo.CHARGED_BURGLARY: (98.1, "outstanding"),
        demo.WORKED_EXAMPLE: (77.3, "inadequate"),
        demo.ROBBERY: (85.5, "good"),
        demo.THEFT_NAMED_SUSPECT: (75.7, "requires_improvement"),
        demo.VEHICLE: (72.2, "adequate"),
    }
    got = {name: (primary(audit, files, chosen, name).score, primary(audit, files, chosen, name).grade) for name in expected}
    assert got == expected
    outstanding = primary(audit, files, chosen, demo.CHARGED_BURGLARY)
    assert outstanding.notable_practice and not outstanding.max_weight_not_met and not outstanding.critical_failures
    for name in expected:
        result = primary(audit, files, chosen, name)
        assert result.complete and not result.answered_not_applicable


def test_the_in_progress_review_shows_what_is_still_missing(audit, files, chosen):
    result = primary(audit, files, chosen, demo.IN_PROGRESS)
    assert not result.complete
    assert {m.target for m in result.missing} >= {"C1", "D1", "H1"}
    assert not any(m.kind == "profile" for m in result.missing)


def test_the_double_reviewed_file_waits_for_moderation(audit, chosen):
    ref = chosen[demo.WORKED_EXAMPLE]
    comparison = moderation.compare(audit, ref)
    assert comparison.state == moderation.TO_AGREE
    assert [d.target for d in comparison.differences] == ["A2", "D3", "H2", "I1"]
    assert [d.target for d in comparison.open_differences] == ["D3", "H2", "I1"]
    agreed = comparison.differences[0].agreed
    assert agreed.value["code"] == "P" and agreed.reason and agreed.decided_by.name == "Demo Lead Auditor"
    codes = {d.target: (d.primary.code, d.second.code) for d in comparison.differences}
    assert codes == {"A2": ("M", "P"), "D3": ("P", "N"), "H2": ("N", "P"), "I1": ("NR", "M")}
    grades = workspace.grade_sample(audit)[ref]
    # the second review: 102 - 2 (A2) - 2 (D3) + 3 (H2) + 2 (I1) = 103 of 132 = 78.0; D4 still a
    # critical failure with its MMO, so Inadequate too
    assert (grades.second.score, grades.second.grade, grades.second.critical_failures) == (78.0, "inadequate", ("D4",))
    assert grades.moderation_state == moderation.TO_AGREE


def test_the_example_dates_follow_the_files_synthetic_facts(audit, files, chosen):
    # The worked example's file was reported on Sunday 26/01/2025 and recorded on Monday 27/01/2025;
    # its data file gives allocated = recorded+6 (Sunday 02/02: 4 working days later) and finalised =
    # reported+38 (05/03, past the end of February).
    worked = files[chosen[demo.WORKED_EXAMPLE]].primary_id
    profile = review_store.profile_values(audit.db, worked)
    assert [profile[key] for key in ("occurred_from", "reported", "recorded", "allocated", "finalised")] == [
        "2025-01-25T22:30", "2025-01-26T07:30", "2025-01-27", "2025-02-02", "2025-03-05"]
    answers = review_store.answers(audit.db, worked)
    assert answers["C3"].note == ("Allocated 02/02/2025 (log 17), 4 working days after recording; "
                                  "no line lost by the delay itself.")
    d4 = answers["D4"]
    assert d4.note.startswith("Log 14 (27/01/2025): victim says No. 12's doorbell camera covers the drive. "
                              "No request made; log 31 (02/03/2025): footage overwritten after 30 days.")
    assert (d4.code, d4.evidence, d4.opportunity_known, d4.mmo, d4.notable) == ("N", "Logs 14, 31", True, True, False)
    # an offset from one of the example's own dates: closure 24/02/2025 (reported+26), letter finalised+12
    vehicle = review_store.answers(audit.db, files[chosen[demo.VEHICLE]].primary_id)
    assert vehicle["G2"].note == "Closure (24/02/2025, log 15) told by letter 08/03/2025 (log 16), after 5 working days."
    in_progress = review_store.answers(audit.db, files[chosen[demo.IN_PROGRESS]].primary_id)
    assert in_progress["A2"].note.startswith("Log 2 (06/01/2025 22:07): THRIVE recorded")
    assert in_progress["A1"].note == "" and in_progress["A1"].code == "M"


TINY_DATA = """\
profile_defaults: {screened_in: "no"}
examples:
  - name: tiny
    about: A test example.
    description: tiny
    group: burglary
    outcomes: []
    reviewer: Demo Reviewer A
    dates: {allocated: recorded+6}
    profile: {occurred_from: "{reported-1 22:30}", recorded: "{recorded}", closed: "yes"}
    answers:
      A1: M
      C3: {code: P, note: "NOTE", evidence: Log 17, mmo: true}
second_review:
  of: tiny
  reviewer: Demo Reviewer B
  about: Its second review.
  answers: {A1: N}
"""
TINY_FACTS = demo.FileFacts("CL/25/000101", dt.date(2025, 1, 26), dt.date(2025, 1, 27), "DEMO-PC-101")


def _tiny(tmp_path, note):
    path = tmp_path / "examples.yaml"
    path.write_text(TINY_DATA.replace("NOTE", note), encoding="utf-8")
    return path


def test_the_placeholders_give_dates_times_and_working_days(tmp_path):
    note = "Allocated {allocated} ({recorded+6}), {working_days(recorded, allocated)} working days after {reported-1 22:30}."
    (tiny,), second = demo.load_examples(_tiny(tmp_path, note))
    design = tiny.design(TINY_FACTS)
    assert design.profile == {"screened_in": "no", "occurred_from": dt.datetime(2025, 1, 25, 22, 30),
                              "recorded": dt.date(2025, 1, 27), "closed": "yes"}
    c3 = design.answers["C3"]
    assert (c3.code, c3.note, c3.evidence, c3.mmo) == (
        "P", "Allocated 02/02/2025 (02/02/2025), 4 working days after 25/01/2025 22:30.", "Log 17", True)
    assert (design.answers["A1"].code, design.answers["A1"].note, design.complete) == ("M", "", True)
    again = second.design(TINY_FACTS)  # the same example with its answers changed
    assert (second.name, second.reviewer) == ("tiny", "Demo Reviewer B")
    assert again.answers["A1"].code == "N" and again.answers["C3"] == c3 and again.profile == design.profile


@pytest.mark.parametrize("note, why", [
    ("Seen {reportd+5}.", "no date is called 'reportd' (the dates are reported, recorded, allocated)"),
    ("Seen {reported + five}.", "the forms are {NAME}, {NAME+N}"),
    ("Seen {reported+1 25:00}.", "the forms are"),
    ("Seen {eval(1)}.", "the forms are"),
])
def test_an_unknown_placeholder_names_the_example_and_the_text(tmp_path, note, why):
    start = note.index("{")
    placeholder = note[start:note.index("}") + 1]
    message = f"examples.yaml: example 'tiny': unknown placeholder {placeholder} in '{note}': {why}"
    with pytest.raises(demo.DemoDataError, match=re.escape(message)):
        demo.load_examples(_tiny(tmp_path, note))


def test_a_brace_that_is_not_a_placeholder_is_an_error(tmp_path):
    message = "examples.yaml: example 'tiny': a brace that is not a placeholder in 'Seen {reported.'"
    with pytest.raises(demo.DemoDataError, match=re.escape(message)):
        demo.load_examples(_tiny(tmp_path, "Seen {reported."))


def test_notes_cite_the_log_rather_than_narrate(audit):
    answers = [a for r in review_store.all_reviews(audit.db) for a in review_store.answers(audit.db, r.id).values()]
    noted = [a for a in answers if a.code != "M"]
    assert noted and all(a.note for a in noted)
    cited = [a for a in noted if re.search(r"\blogs? \d+", a.note, re.IGNORECASE)]
    assert len(cited) >= 0.75 * len(noted)
    assert all(len(a.note) <= 300 for a in answers)


def test_building_twice_gives_the_same_sample_and_answers_and_reports_progress(audit, tmp_path):
    calls = []
    with open_audit(demo.build_demo(tmp_path / "again.audit", lambda done, total: calls.append((done, total)))) as again:
        assert sampling.sample(again).selected == sampling.sample(audit).selected
        assert sampling.sample(again).reserve == sampling.sample(audit).reserve
        assert population_store.frame_units(again.db, list(demo.SYNTHETIC_COLUMNS)) == \
            population_store.frame_units(audit.db, list(demo.SYNTHETIC_COLUMNS))
        assert _reviews(again) == _reviews(audit)
    total = calls[0][1]
    assert calls == [(done, total) for done in range(1, total + 1)]


def _reviews(audit):
    return {(r.ref, r.role): (r.status, review_store.profile_values(audit.db, r.id), review_store.answers(audit.db, r.id))
            for r in review_store.all_reviews(audit.db)}


def test_build_never_overwrites(tmp_path):
    existing = tmp_path / "d.audit"
    existing.write_text("not mine")
    with pytest.raises(AuditError, match="never overwritten"):
        demo.build_demo(existing)
    assert existing.read_text() == "not mine"


def test_an_audit_that_is_not_the_demo_is_left_alone(tmp_path):
    real = tmp_path / "real.audit"
    create_audit(real, "neighbourhood-crime", "A real audit").close()
    for fresh in (False, True):
        with pytest.raises(AuditError, match="not the demo audit"):
            demo.ensure_demo(real, fresh=fresh)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.audit"]


def test_an_unreadable_file_is_reported_and_set_aside_only_when_fresh(tmp_path, monkeypatch):
    broken = tmp_path / "demo.audit"
    broken.write_text("half a file")
    with pytest.raises(AuditError, match="demo --fresh"):
        demo.ensure_demo(broken)
    monkeypatch.setattr(demo, "build_demo", lambda path, progress=None: Path(path).write_text("new") or Path(path))
    outcome = demo.ensure_demo(broken, fresh=True)
    assert outcome.built and outcome.set_aside.read_text() == "half a file" and broken.read_text() == "new"


def test_a_failed_fresh_build_puts_the_old_file_back(tmp_path, monkeypatch):
    old = tmp_path / "demo.audit"
    old.write_text("old")

    def fail(path, progress=None):
        raise AuditError("disk full")

    monkeypatch.setattr(demo, "build_demo", fail)
    with pytest.raises(AuditError, match="disk full"):
        demo.ensure_demo(old, fresh=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.audit"] and old.read_text() == "old"


def test_the_default_path_is_in_the_users_data_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(paths.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert demo.default_demo_path() == tmp_path / "data" / "audit-app" / "demo.audit"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert demo.default_demo_path() == tmp_path / ".local" / "share" / "audit-app" / "demo.audit"
    monkeypatch.setattr(paths.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert demo.default_demo_path() == tmp_path / "Local" / "audit-app" / "demo.audit"
    monkeypatch.setattr(paths.sys, "platform", "darwin")
    assert demo.default_demo_path() == tmp_path / "Library" / "Application Support" / "audit-app" / "demo.audit"


def test_the_bundled_source_keeps_its_licence_notice():
    notice = (demo.demo_source().parent / "NOTICE.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in notice and "Contains public sector information" in notice
    import hashlib

    digest = hashlib.sha256(demo.demo_source().read_bytes()).hexdigest()
    assert digest == "e1b956a3e57c4f568abbc3e1411ff2b2559e6ab29a7f9831a513838e6dbc8766" and digest in notice


def test_whoever_works_in_the_demo_is_named_a_lead_by_the_demo_lead(demo_path, tmp_path):
    import sqlite3

    from audit_app.services.reviews import work_as

    copy = tmp_path / "mine.audit"
    source, target = sqlite3.connect(demo_path), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    with open_audit(copy) as audit:
        pat = work_as(audit, "Pat Trainee", "4521")
        assert pat.role == "reviewer"
        assert demo.welcome(audit, pat).role == "lead"  # so that sign-off and moderation can be tried
        nomination = [e for e in review_store_events(audit) if e.action == "reviewer.role"][-1]
        assert (nomination.actor, nomination.detail["new"]) == ("Demo Lead Auditor (DEMO-1)", "lead")
        assert verify(audit).ok
    real = tmp_path / "real.audit"
    with create_audit(real, "neighbourhood-crime", "A real audit", actor="Someone Else (1)") as audit:
        assert demo.welcome(audit, work_as(audit, "Pat Trainee", "4521")).role == "reviewer"


def review_store_events(audit):
    from audit_app.store import events

    return list(events.iterate(audit.db))
