"""The review workflow behind the workstation: sign-off, change after sign-off, independent second
reviews, moderation, drafts, the workspace overview and a file's history."""

import sqlite3

import pytest
from conftest import ROOT
from review_data import APPLICABLE, NOTE, PROFILE

from audit_app.core import workstation
from audit_app.core.records import Answer
from audit_app.errors import AuditError
from audit_app.services import moderation, population, sampling, workspace
from audit_app.services import results as results_service
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.reviews import (
    account_of,
    change_after_sign_off,
    ensure_reviewer,
    name_lead,
    reviewer,
    reviewers,
    review_result,
    review_state,
    save_draft,
    set_answer,
    set_profile_value,
    set_review_status,
    sign_off,
    signer_problem,
    start_review,
    work_as,
)
from audit_app.services.sampling import SampleRequest
from audit_app.services.verification import verify
from audit_app.store import events

POLICE_UK = ROOT / "tests" / "data" / "population" / "police-uk-2025-01-city-of-london.csv"
SCOPE = {"offence_group": ["burglary", "robbery", "theft_from_person", "vehicle"]}


@pytest.fixture
def audit(tmp_path):
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "Workflow", actor="Lee Lead (900)") as audit:
        population.import_population(audit, POLICE_UK, preset="police-uk", scope=SCOPE)
        sampling.draw_sample(audit, SampleRequest(size=6, seed="workflow", reserve=1))
        yield audit


@pytest.fixture
def people(audit):
    return {
        "ann": ensure_reviewer(audit, "Ann Reviewer", "101"),
        "bob": ensure_reviewer(audit, "Bob Second", "102"),
        "lee": ensure_reviewer(audit, "Lee Lead", "900"),  # the audit's creator: its lead
    }


def fill(audit, review_id, **changes):
    """Record the hand-counted burglary profile and Met (with a note) on its 30 applicable items."""
    for field, value in PROFILE.items():
        set_profile_value(audit, review_id, field, value)
    for item in APPLICABLE:
        set_answer(audit, review_id, item, changes.get(item, Answer("M", note=NOTE)))


def completed(audit, ref, reviewer, role="primary", **changes):
    review = start_review(audit, ref, reviewer, role)
    fill(audit, review.id, **changes)
    set_review_status(audit, review.id, "complete")
    return review


def test_complete_needs_nothing_missing(audit, people):
    ref = sampling.sample(audit).selected[0]
    review = start_review(audit, ref, people["ann"])
    with pytest.raises(AuditError, match="not complete"):
        set_review_status(audit, review.id, "complete")
    fill(audit, review.id)
    assert review_result(audit, review.id).complete
    set_review_status(audit, review.id, "complete")


def test_a_change_that_leaves_a_complete_review_incomplete_puts_it_back_in_progress(audit, people):
    ref = sampling.sample(audit).selected[0]
    review = completed(audit, ref, people["ann"])
    set_answer(audit, review.id, "D4", Answer("N"))  # Not met needs a note
    assert review_state(audit, review.id).review.status == "in_progress"
    assert verify(audit).ok


def test_only_another_lead_auditor_signs_off_a_complete_review(audit, people):
    ref = sampling.sample(audit).selected[0]
    review = start_review(audit, ref, people["ann"])
    with pytest.raises(AuditError, match="not complete"):
        sign_off(audit, review.id, people["lee"], "900")
    fill(audit, review.id)
    set_review_status(audit, review.id, "complete")
    with pytest.raises(AuditError, match="Only a lead auditor"):
        sign_off(audit, review.id, people["bob"], "102")
    lead_review = completed(audit, sampling.sample(audit).selected[1], people["lee"])
    with pytest.raises(AuditError, match="cannot sign it off"):
        sign_off(audit, lead_review.id, people["lee"], "900")
    sign_off(audit, review.id, people["lee"], "900")
    state = review_state(audit, review.id)
    assert state.review.status == "signed_off" and state.review.signed_off_by.name == "Lee Lead"


def test_a_signed_off_review_is_locked_until_changed_with_a_reason(audit, people):
    ref = sampling.sample(audit).selected[0]
    review = completed(audit, ref, people["ann"])
    sign_off(audit, review.id, people["lee"], "900")
    with pytest.raises(AuditError, match="locked"):
        set_answer(audit, review.id, "A1", Answer("P", note="late"))
    with pytest.raises(AuditError, match="reason"):
        change_after_sign_off(audit, review.id, " ", people["ann"])
    with pytest.raises(AuditError, match="Only Ann Reviewer"):
        change_after_sign_off(audit, review.id, "Wrong log entry", people["bob"])
    change_after_sign_off(audit, review.id, "Wrong log entry cited for A1", people["ann"])
    set_answer(audit, review.id, "A1", Answer("P", note="recorded 30 hours after the report"))
    state = review_state(audit, review.id).review
    assert (state.status, state.signed_off_by, state.changed_after_sign_off) == ("complete", None, True)
    summary = next(f for f in workspace.overview(audit) if f.ref == ref)
    assert summary.status_label == "Complete (changed after sign-off)"
    sign_off(audit, review.id, people["lee"], "900")
    summary = next(f for f in workspace.overview(audit) if f.ref == ref)
    assert summary.status_label == "Signed off (re-signed after a change)"
    history = [entry.what for entry in workspace.file_history(audit, ref)]
    assert "Status: Signed off → Complete (changed after sign-off: the sign-off is void until signed again)" in history
    reasons = [entry.reason for entry in workspace.file_history(audit, ref)]
    assert "Wrong log entry cited for A1" in reasons
    assert verify(audit).ok


def test_second_review_is_independent_until_both_are_complete(audit, people):
    ref = sampling.sample(audit).selected[0]
    first = completed(audit, ref, people["ann"])
    with pytest.raises(AuditError, match="independent"):
        start_review(audit, ref, people["ann"], "second")
    second = start_review(audit, ref, people["bob"], "second", actor=people["lee"].display)
    with pytest.raises(AuditError, match="hidden until both"):
        review_state(audit, first.id, viewer=people["bob"])
    with pytest.raises(AuditError, match="hidden until both"):
        review_state(audit, second.id, viewer=people["ann"])
    assert review_state(audit, second.id, viewer=people["bob"]).review.role == "second"
    fill(audit, second.id)
    set_review_status(audit, second.id, "complete")
    assert review_state(audit, first.id, viewer=people["bob"]).review.id == first.id


def test_moderation_records_agreed_answers_and_keeps_both_originals(audit, people):
    ref = sampling.sample(audit).selected[0]
    first = completed(audit, ref, people["ann"], D4=Answer("N", note="doorbell footage not requested", opportunity_known=True))
    second = completed(audit, ref, people["bob"], role="second", A1=Answer("P", note="recorded late"))
    comparison = moderation.compare(audit, ref)
    assert [d.target for d in comparison.differences] == ["A1", "D4"]
    assert comparison.state == moderation.TO_AGREE
    # The primary review has a critical failure on D4 (Not met, known opportunity): capped at Requires improvement.
    assert review_result(audit, first.id).critical_failures == ("D4",)
    with pytest.raises(AuditError, match="reason"):
        moderation.record_agreed(audit, ref, "D4", Answer("M", note=NOTE), "", people["lee"])
    with pytest.raises(AuditError, match="Only a lead auditor"):
        moderation.record_agreed(audit, ref, "D4", Answer("M", note=NOTE), "x", people["bob"])
    with pytest.raises(AuditError, match="do not differ"):
        moderation.record_agreed(audit, ref, "B1", Answer("M", note=NOTE), "x", people["lee"])
    moderation.record_agreed(audit, ref, "D4", Answer("M", note="footage requested at log 12"), "Log 12 shows the request", people["lee"])
    assert moderation.compare(audit, ref).state == moderation.TO_AGREE
    moderation.record_agreed(audit, ref, "A1", Answer("M", note=NOTE), "Recorded within 24 hours (log 2)", people["lee"])
    assert moderation.compare(audit, ref).state == moderation.AGREED
    agreed = moderation.agreed_result(audit, ref)
    assert agreed.critical_failures == () and agreed.score == 100.0
    # both originals are unchanged
    assert review_state(audit, first.id).answers["D4"].code == "N"
    assert review_state(audit, second.id).answers["A1"].code == "P"
    grades = workspace.grade_sample(audit)[ref]
    assert grades.moderation_state == moderation.AGREED and grades.final.score == 100.0
    assert grades.primary.grade_label == "Requires improvement"
    assert verify(audit).ok


def test_verify_finds_an_agreed_answer_or_a_sign_off_changed_behind_the_tools_back(audit, people):
    ref = sampling.sample(audit).selected[0]
    completed(audit, ref, people["ann"], A1=Answer("P", note="late"))
    review = completed(audit, ref, people["bob"], role="second")
    moderation.record_agreed(audit, ref, "A1", Answer("M", note=NOTE), "Log 2", people["lee"])
    sign_off(audit, review.id, people["lee"], "900")
    audit.close()
    conn = sqlite3.connect(audit.path)
    conn.execute("""UPDATE agreed SET value = '{"item": "A1", "code": "N", "note": "", "evidence": "",
                    "opportunity_known": null, "mmo": false, "notable": false}'""")
    conn.execute("UPDATE review SET signed_off_by = NULL")
    conn.commit()
    conn.close()
    from audit_app.services.audits import open_audit

    with open_audit(audit.path) as reopened:
        problems = verify(reopened).problems
    assert any("agreed A1 is 'N'" in p and "audit trail says 'M'" in p for p in problems)
    assert any("sign-off" in p for p in problems)


def test_drafts_are_kept_until_the_answer_is_recorded(audit, people):
    ref = sampling.sample(audit).selected[0]
    review = start_review(audit, ref, people["ann"])
    save_draft(audit, review.id, "A1", "note", "Recorded at 09:1")
    assert review_state(audit, review.id).drafts == {("A1", "note"): "Recorded at 09:1"}
    set_answer(audit, review.id, "A1", Answer("M", note="Recorded at 09:10"))
    assert review_state(audit, review.id).drafts == {}
    events_before = audit.db.execute("SELECT count(*) FROM event").fetchone()[0]
    save_draft(audit, review.id, "A2", "note", "typing")
    assert audit.db.execute("SELECT count(*) FROM event").fetchone()[0] == events_before  # drafts are not trail events


def test_overview_lists_every_file_with_its_state(audit, people):
    selected = sampling.sample(audit).selected
    completed(audit, selected[0], people["ann"])
    start_review(audit, selected[1], people["bob"])
    sampling.replace_unit(audit, selected[2], "Not a neighbourhood crime on reading the file")
    files = {f.ref: f for f in workspace.overview(audit)}
    assert files[selected[0]].status == "complete" and files[selected[0]].reviewer == "Ann Reviewer (101)"
    assert files[selected[1]].status == "in_progress"
    assert files[selected[2]].status == "replaced"
    replacement = next(f for f in files.values() if f.replaces == selected[2])
    assert replacement.status == "not_started"
    assert workspace.progress(list(files.values())) == (1, 6)


def test_results_count_the_finished_reviews(audit, people):
    selected = sampling.sample(audit).selected
    completed(audit, selected[0], people["ann"], A1=Answer("N", note="recorded a week late"))
    completed(audit, selected[1], people["ann"])
    start_review(audit, selected[2], people["bob"])  # in progress: not counted
    results = results_service.audit_results(audit)
    assert results.files_reviewed == 2
    item = results.items["A1"]
    assert (item.met, item.not_met, item.applicable) == (1, 1, 2)
    # Wilson 95% interval for 1 of 2 (statsmodels proportion_confint(1, 2, method="wilson")): 0.0945, 0.9055
    assert item.compliance.estimate == 0.5
    assert item.compliance.ci_low == pytest.approx(0.0945, abs=1e-4) and item.compliance.ci_high == pytest.approx(0.9055, abs=1e-4)
    robbery = results.items["E1"]  # a robbery item: never applicable to the burglary profile
    assert robbery.applicable == 0 and robbery.compliance.estimate is None and robbery.compliance.ci_low is None


def test_the_audit_opens_with_its_stored_checklist_document_and_verify_checks_it(audit, tmp_path):
    from audit_app.core.checklist import parse_checklist
    from audit_app.services.audits import open_audit

    from_text = parse_checklist(audit.record.checklist_text.encode("utf-8"))
    assert audit.record.checklist_document == from_text.document
    assert audit.checklist.items.keys() == from_text.items.keys() and audit.checklist.spec == from_text.spec
    path = audit.path
    audit.close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE audit SET checklist_document = replace(checklist_document, '\"weight\":3', '\"weight\":1')")
    conn.commit()
    conn.close()
    with open_audit(path) as reopened:
        # the audit trail does not vouch for the changed document, so the text is read instead
        assert 3 in {i.weight for i in reopened.checklist.items.values()}
        problems = verify(reopened).problems
    assert problems[0] == "checklist: the stored checklist document differs from what the stored checklist text defines"
    # and the creation entry's hash of the document no longer matches either
    assert len(problems) == 2 and problems[1].startswith("audit record: the stored checklist document's SHA-256")


# -- who is working, and who may sign off (issue 9, section 3)


def _tamper(path, *statements):
    """Change the file behind the tool's back, as someone with a SQLite editor could."""
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


ANN_PC = workstation.Account("ann.r", "PC-ANN")
LEE_PC = workstation.Account("lee.l", "PC-LEE")


def test_the_audits_creator_is_its_lead_and_a_typed_role_is_only_a_request(audit, people):
    assert (people["lee"].role, people["ann"].role, people["bob"].role) == ("lead", "reviewer", "reviewer")
    # asking for the lead role does not make anyone a lead, now or later
    cal = ensure_reviewer(audit, "Cal Keen", "103", role="lead")
    assert cal.role == "reviewer"
    assert ensure_reviewer(audit, "Ann Reviewer", "101", role="lead").role == "reviewer"
    # re-typing the lead's staff number under another name is refused: a staff number is one person's
    with pytest.raises(AuditError, match="Staff number 900 is recorded in this audit for Lee Lead"):
        ensure_reviewer(audit, "Ann Reviewer", "900", role="lead")
    assert {r.name: r.role for r in reviewers(audit)} == {
        "Ann Reviewer": "reviewer", "Bob Second": "reviewer", "Cal Keen": "reviewer", "Lee Lead": "lead"}


def test_a_reviewer_who_types_a_leads_name_and_staff_number_on_their_own_account_is_refused(audit, people):
    with workstation.simulated(LEE_PC):
        assert work_as(audit, "Lee Lead", "900").role == "lead"  # Lee works from lee.l from now on
    with workstation.simulated(ANN_PC):
        assert work_as(audit, "Ann Reviewer", "101").role == "reviewer"
        with pytest.raises(AuditError, match="works in this audit from the computer account 'lee.l'"):
            work_as(audit, "Lee Lead", "900", role="lead")
    accounts = {r.name: account_of(audit, r) for r in reviewers(audit)}
    assert accounts["Lee Lead"] == ("lee.l", "PC-LEE") and accounts["Ann Reviewer"] == ("ann.r", "PC-ANN")
    assert verify(audit).ok


def test_only_a_lead_names_another_lead_and_only_leads_sign_off_or_moderate(audit, people):
    ref = sampling.sample(audit).selected[0]
    with pytest.raises(AuditError, match="Only a lead auditor of this audit can name another lead; Ann Reviewer"):
        name_lead(audit, people["bob"].id, people["ann"])
    first = completed(audit, ref, people["ann"], A1=Answer("P", note="late"))
    second = completed(audit, ref, people["bob"], role="second")
    with pytest.raises(AuditError, match="Only a lead auditor named in this audit can sign off"):
        sign_off(audit, second.id, people["ann"], "101")
    with pytest.raises(AuditError, match="Only a lead auditor records agreed answers"):
        moderation.record_agreed(audit, ref, "A1", Answer("M", note=NOTE), "Log 2", people["ann"])
    cal = name_lead(audit, ensure_reviewer(audit, "Cal Keen", "103").id, people["lee"])
    assert cal.role == "lead"
    moderation.record_agreed(audit, ref, "A1", Answer("M", note=NOTE), "Log 2", cal)
    sign_off(audit, first.id, cal, "103")
    nomination = [e for e in events.iterate(audit.db) if e.action == "reviewer.role"]
    assert [(e.actor, e.detail["new"], e.detail["by"]) for e in nomination] == [("Lee Lead (900)", "lead", people["lee"].id)]
    assert verify(audit).ok


def test_sign_off_is_refused_to_the_author_by_staff_number_name_or_computer_account(audit, people):
    selected = sampling.sample(audit).selected
    # Ann reviews from her own account, then a lead with her staff number, her name, or her account tries to sign
    with workstation.simulated(ANN_PC):
        ann = work_as(audit, "Ann Reviewer", "101")
        review = completed(audit, selected[0], ann)
    same_staff = name_lead(audit, ensure_reviewer(audit, "A. Reviewer", "").id, people["lee"])
    assert signer_problem(audit, review, same_staff) is None  # no staff number, another name, another account
    audit.db.execute("UPDATE reviewer SET staff_number = '101 ' WHERE id = ?", [same_staff.id])  # (check only)
    same_staff = reviewer(audit, same_staff.id)
    with pytest.raises(AuditError, match="same staff number"):
        sign_off(audit, review.id, same_staff, "101 ")
    audit.db.execute("UPDATE reviewer SET staff_number = '' WHERE id = ?", [same_staff.id])
    same_name = name_lead(audit, ensure_reviewer(audit, "ann reviewer", "555").id, people["lee"])
    with pytest.raises(AuditError, match="same name"):
        sign_off(audit, review.id, same_name, "555")
    with workstation.simulated(ANN_PC):
        with pytest.raises(AuditError, match="from the computer account 'ann.r', the account signing off"):
            sign_off(audit, review.id, people["lee"], "900")
    with workstation.simulated(LEE_PC):
        with pytest.raises(AuditError, match="not the staff number recorded for Lee Lead"):
            sign_off(audit, review.id, people["lee"], "901")
        sign_off(audit, review.id, people["lee"], " 900 ")
    assert review_state(audit, review.id).review.signed_off_by.name == "Lee Lead"


def test_verify_finds_a_role_changed_behind_the_tools_back(audit, people):
    ann = people["ann"]
    path = audit.path
    audit.close()
    _tamper(path, f"UPDATE reviewer SET role = 'lead' WHERE id = {ann.id}")
    with open_audit(path) as reopened:
        problems = verify(reopened).problems
    assert problems == [f"people: reviewer {ann.id} (Ann Reviewer (101)) is a 'lead' in the file but the audit trail's "
                        "nominations make them a 'reviewer'"]


def test_verify_finds_a_lead_nomination_it_cannot_find_in_the_trail(audit, people):
    """A forged nomination appended with a correct chain, by someone who is not a lead, is still found."""
    ann, bob = people["ann"], people["bob"]
    with audit.transaction() as db:
        db.execute("UPDATE reviewer SET role = 'lead' WHERE id = ?", [bob.id])
        events.append(db, ann.display, "reviewer.role", "reviewer", bob.id,
                      {"name": bob.name, "staff_number": bob.staff_number, "old": "reviewer", "new": "lead", "by": ann.id})
    problems = verify(audit).problems
    assert problems == [
        f"people: reviewer {bob.id} (Bob Second) was made a lead in entry {events.count(audit.db)} by someone who was not "
        "a lead auditor of the audit",
        f"people: reviewer {bob.id} (Bob Second (102)) is a 'lead' in the file but the audit trail's nominations make "
        "them a 'reviewer'",
    ]


def test_every_change_records_the_computer_account_and_host(audit, people):
    ref = sampling.sample(audit).selected[0]
    with workstation.simulated(ANN_PC):
        review = start_review(audit, ref, people["ann"])
        set_answer(audit, review.id, "A1", Answer("M", note=NOTE))
    logged = list(events.iterate(audit.db, "review", str(review.id)))
    # the start, what the population settles (prefilled), and the answer: every one with the account
    assert [e.action for e in logged][0] == "review.start" and [e.action for e in logged][-1] == "answer.set"
    assert {(e.actor, e.os_account, e.host) for e in logged} == {("Ann Reviewer (101)", "ann.r", "PC-ANN")}
    history = workspace.file_history(audit, ref)
    assert history[-1].account == "ann.r on PC-ANN"
    assert verify(audit).ok


def test_verify_finds_an_agreed_answer_recorded_by_someone_who_was_not_a_lead(audit, people):
    ref = sampling.sample(audit).selected[0]
    completed(audit, ref, people["ann"], A1=Answer("P", note="late"))
    completed(audit, ref, people["bob"], role="second")
    moderation.record_agreed(audit, ref, "A1", Answer("M", note=NOTE), "Log 2", people["lee"])
    assert verify(audit).ok
    # a forged agreement, chained correctly, written under a reviewer's name
    with audit.transaction() as db:
        events.append(db, people["ann"].display, "moderation.agree", "sample_unit", ref,
                      {"target": "A1", "old": None, "new": None, "primary": None, "second": None}, reason="x")
    problems = verify(audit).problems
    assert (f"people: the agreed answer to A1 of '{ref}' was recorded in entry {events.count(audit.db)} by Ann Reviewer "
            "(101), who was not a lead auditor of the audit then") in problems


def test_an_audit_created_from_the_command_line_has_as_its_lead_the_first_person_from_its_account(tmp_path):
    here = workstation.current()
    with create_audit(tmp_path / "cli.audit", "neighbourhood-crime", "From the command line") as audit:
        assert audit.record.created_by == f"{here.user} (command line)"
        assert ensure_reviewer(audit, "Ann Reviewer", "101").role == "reviewer"  # not at this computer: no claim
        with workstation.simulated(workstation.Account(here.user + "-other", "ELSEWHERE")):
            assert work_as(audit, "Bob Second", "102").role == "reviewer"
        assert work_as(audit, "Lee Lead", "900").role == "lead"
        assert work_as(audit, "Cal Keen", "103").role == "reviewer"  # one creator: the lead is named
        assert verify(audit).ok
