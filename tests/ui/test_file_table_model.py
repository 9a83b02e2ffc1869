"""The workspace's table of sampled files (audit_app/ui/file_table_model.py): a well-behaved Qt model
under pytest-qt's model tester, alone and behind its filter proxy, and what it shows of each file."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from gui_helpers import ANN, BOB, audit_path, complete_review, no_task_left_running  # noqa: F401 (fixtures)
from PySide6.QtCore import Qt

from audit_app.core.records import Answer
from audit_app.core.scoring import ReviewResult
from audit_app.services import moderation, sampling, workspace
from audit_app.services.audits import open_audit
from audit_app.services.workspace import FileGrades, FileSummary
from audit_app.ui.file_table_model import FileFilterProxy, FileTableModel

M = FileTableModel
REVIEW_IDS = itertools.count(1)


def summary(ref: str, stratum: str, status: str, **fields) -> FileSummary:
    """A sampled file as the workspace lists it; a started review has an id."""
    values = dict(ref=ref, stratum=stratum, offence=stratum.capitalize(), offence_group=stratum, area="City of London 001F",
                  month="2025-01", outcome="Investigation complete; no suspect identified", status=status, reviewer="",
                  primary_id=None, second_id=None, second_status="", second_reviewer="", training=False,
                  changed_after_sign_off=False, replaced_reason=None)
    if status not in ("not_started", workspace.REPLACED):
        values |= dict(reviewer="Ann Reviewer (101)", primary_id=next(REVIEW_IDS))
    return FileSummary(**(values | fields))


RESULT = ReviewResult(
    applicability={}, scored_items=(), points=0.0, max_points=126.0, score=None, subscores={}, critical_failures=(),
    mmo=(), notable_practice=(), not_recorded=(), na_overrides=(), answered_not_applicable=(), max_weight_not_met=(),
    ungradable_reasons=(), base_grade=None, grade=None, grade_label="", caps_applied=(), subgrades={},
    show_subgrades=False, needs_moderation=False,
)


def grades(ref: str, score: float, label: str, state: str = moderation.NO_SECOND, **result_fields) -> FileGrades:
    result = dataclasses.replace(RESULT, score=score, grade="g", grade_label=label, **result_fields)
    return FileGrades(ref, result, result if state != moderation.NO_SECOND else None, state, result)


ROWS = [
    summary("burg-1", "burglary", "not_started"),
    summary("burg-2", "burglary", "in_progress"),
    summary("rob-1", "robbery", "complete", training=True, reviewer="Bob Second (102)", second_id=90,
            second_status="complete", second_reviewer="Lee Lead (900)"),
    summary("rob-2", "robbery", "signed_off", changed_after_sign_off=True),
    summary("veh-1", "vehicle", workspace.REPLACED, replaced_reason="A business burglary, not residential"),
    summary("veh-2", "vehicle", "complete", replaces="veh-1"),
    summary("veh-3", "vehicle", "in_progress"),  # started, not graded yet
]
GRADES = {
    "burg-2": grades("burg-2", 62.5, "Requires improvement"),
    "rob-1": grades("rob-1", 85.5, "Good", moderation.AGREED),
    "rob-2": grades("rob-2", 98.1, "Outstanding", caps_applied=("No notable practice: at most Good",)),
    "veh-2": grades("veh-2", 40.0, "Inadequate", needs_moderation=True),
}


@pytest.fixture
def model(qtbot):
    table = FileTableModel()
    table.set_rows(ROWS)
    return table


def column(model, col: int) -> list[str]:
    return [model.data(model.index(row, col)) for row in range(model.rowCount())]


def refs(model) -> list[str]:
    return column(model, M.COL_REF)


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
def test_the_model_passes_the_model_tester_through_its_changes(qtmodeltester, force_py):
    model = FileTableModel()
    qtmodeltester.check(model, force_py=force_py)
    model.set_rows(ROWS)
    model.set_grades(GRADES)
    model.sort(M.COL_GRADE, Qt.SortOrder.DescendingOrder)
    model.set_rows(ROWS[:3])
    model.set_grades({})
    model.set_rows([])
    model.set_grades(GRADES)  # no rows: nothing to announce


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
def test_the_filter_proxy_passes_the_model_tester(qtmodeltester, model, force_py):
    proxy = FileFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=force_py)
    proxy.set_filters(text="ROBBERY")
    assert refs(proxy) == ["rob-1", "rob-2"]
    proxy.set_filters(text="", status="in_progress")
    assert refs(proxy) == ["burg-2", "veh-3"]
    proxy.set_filters(status="", stratum="vehicle", reviewer="Ann Reviewer (101)")
    assert refs(proxy) == ["veh-2", "veh-3"]
    proxy.set_filters(stratum="", reviewer="Lee Lead (900)")  # a second reviewer sees the files they second
    assert refs(proxy) == ["rob-1"]
    proxy.sort(M.COL_REF, Qt.SortOrder.DescendingOrder)  # the source model sorts
    proxy.set_filters(reviewer="")
    assert refs(proxy) == ["veh-3", "veh-2", "veh-1", "rob-2", "rob-1", "burg-2", "burg-1"]
    model.set_rows(ROWS[:2])
    assert refs(proxy) == ["burg-2", "burg-1"]


def test_status_second_review_and_moderation_as_shown(model):
    model.set_grades(GRADES)
    assert column(model, M.COL_STATUS) == ["Not started", "In progress", "Complete (training)",
                                           "Signed off (re-signed after a change)", "Replaced", "Complete", "In progress"]
    assert column(model, M.COL_SECOND) == ["", "", "Complete (Lee Lead)", "", "", "", ""]
    assert column(model, M.COL_MODERATION) == ["", "", "Moderated", "", "", "Needs a second review", ""]
    assert model.headerData(M.COL_STATUS, Qt.Orientation.Horizontal) == "Status"


def test_grades_arrive_later_and_say_how_final_they_are(model, qtbot):
    assert column(model, M.COL_GRADE) == ["", "…", "…", "…", "", "…", "…"]  # started files wait for their grade
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.set_grades(GRADES)
    top_left, bottom_right = changed.args[:2]
    assert (top_left.column(), bottom_right.column(), bottom_right.row()) == (M.COL_GRADE, M.COL_MODERATION, len(ROWS) - 1)
    assert column(model, M.COL_GRADE) == ["", "Requires improvement (62.5) · provisional", "Good (85.5) · agreed",
                                          "Outstanding (98.1)", "", "Inadequate (40)", "…"]


def test_tooltips_and_the_replaced_file_in_italics(model):
    model.set_grades(GRADES)
    tip = lambda ref, col: model.data(model.index(model.row_of(ref), col), Qt.ItemDataRole.ToolTipRole)  # noqa: E731
    assert tip("rob-1", M.COL_STATUS).startswith("A training example")
    assert tip("veh-1", M.COL_STATUS) == "Replaced: A business burglary, not residential"
    assert tip("veh-2", M.COL_STATUS) == "Reserve file replacing veh-1"
    assert tip("rob-2", M.COL_GRADE) == "No notable practice: at most Good"
    assert tip("rob-1", M.COL_SECOND) == "Lee Lead (900)"
    font = lambda ref: model.data(model.index(model.row_of(ref), M.COL_REF), Qt.ItemDataRole.FontRole)  # noqa: E731
    assert font("veh-1").italic() and font("veh-2") is None


def test_sorting_by_status_grade_and_text(model):
    model.set_grades(GRADES)
    model.sort(M.COL_STATUS)  # by the work's progress, then stratum and file
    assert refs(model) == ["burg-1", "burg-2", "veh-3", "rob-1", "veh-2", "rob-2", "veh-1"]
    model.sort(M.COL_GRADE, Qt.SortOrder.DescendingOrder)  # best first; files without a grade last
    assert refs(model) == ["rob-2", "rob-1", "burg-2", "veh-2", "veh-3", "veh-1", "burg-1"]
    assert [model.row_of(ref) for ref in ("rob-2", "burg-1")] == [0, 6]
    model.sort(M.COL_OFFENCE)
    assert column(model, M.COL_OFFENCE) == ["Burglary"] * 2 + ["Robbery"] * 2 + ["Vehicle"] * 3
    model.set_rows(list(reversed(ROWS)))  # new rows keep the order chosen
    assert refs(model) == ["burg-1", "burg-2", "rob-1", "rob-2", "veh-1", "veh-2", "veh-3"]


def test_a_real_audit_shows_its_finished_reviews(qtmodeltester, audit_path):
    with open_audit(audit_path) as audit:
        first, second = sampling.sample(audit).selected[:2]
        complete_review(audit, first, ANN)
        complete_review(audit, second, BOB, A1=Answer("N", note="recorded a week late"))
        files, graded = workspace.overview(audit), workspace.grade_sample(audit)
    model = FileTableModel()
    qtmodeltester.check(model)
    model.set_rows(files)
    model.set_grades(graded)
    assert model.rowCount() == 8 and model.columnCount() == 10
    shown = {ref: (model.data(model.index(model.row_of(ref), M.COL_STATUS)),
                   model.data(model.index(model.row_of(ref), M.COL_REVIEWER)),
                   model.data(model.index(model.row_of(ref), M.COL_GRADE))) for ref in (first, second)}
    # All 30 applicable items Met: 100, capped at Good; A1 (weight 1) Not met: 124/126 = 98.4, Good.
    assert shown == {first: ("Complete", "Ann Reviewer (101)", "Good (100)"),
                     second: ("Complete", "Bob Second (102)", "Good (98.4)")}
    others = [model.data(model.index(row, M.COL_STATUS)) for row in range(8) if model.file(row).ref not in shown]
    assert others == ["Not started"] * 6
    model.sort(M.COL_GRADE, Qt.SortOrder.DescendingOrder)
    assert [model.file(0).ref, model.file(1).ref] == [first, second]
