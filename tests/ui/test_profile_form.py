"""The file profile on the review page, driven as a reviewer would: a value that is not valid is
refused beside its field (by its label, marked not saved, the text kept, the page still); a broken
cross-field check shows on the form and in what is missing; a question an earlier answer rules out
is disabled; a missing entry goes where it points; values the population settles come prefilled."""

from __future__ import annotations

import datetime as dt

import pytest
from gui_helpers import ANN, POLICE_UK, audit_path, make_window, no_task_left_running, ui_settings  # noqa: F401 (fixtures)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyle

from audit_app.services import population, sampling, workspace
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.demo import enrich


def open_profile(window, ref=None):
    ref = ref or window.workspace_page.current_ref()
    window.open_review(ref)
    page = window.review_page
    page.select("profile")
    return page


def missing_entries(page):
    """The missing list as shown: (text, selectable) for each row."""
    rows = [page.missing_list.item(r) for r in range(page.missing_list.count())]
    return [(row.text().strip(), bool(row.flags() & Qt.ItemFlag.ItemIsSelectable)) for row in rows]


def click_missing(qtbot, page, text):
    row = next(page.missing_list.item(r) for r in range(page.missing_list.count())
               if page.missing_list.item(r).text().strip() == text)
    page.missing_list.scrollToItem(row)
    qtbot.mouseClick(page.missing_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.missing_list.visualItemRect(row).center())


@pytest.mark.parametrize(
    "typed, why",
    [("31/02/2025", "February 2025 has no day 31"), ("tomorrow", "use e.g. 15/01/2025 or 2025-01-15")],
)
def test_a_date_that_is_not_one_is_refused_beside_the_field(qtbot, make_window, audit_path, typed, why):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_profile(window)
    form = page.profile_form
    editor, message = form.editors["recorded"], form.messages["recorded"]
    form.focus_field("recorded")
    QApplication.processEvents()  # the page laid out as the reviewer sees it before typing
    form.verticalScrollBar().setValue(40)  # scrolled a little: the field stays in view, the page must stay put
    scroll = form.verticalScrollBar().value()
    assert scroll == 40
    where = editor.mapTo(form.viewport(), editor.rect().topLeft())
    on_screen = editor.mapTo(window, editor.rect().topLeft())

    qtbot.keyClicks(editor, typed)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)

    assert message.isVisible()
    assert message.text() == f"Not saved: '{typed}' is not a date for 'Crime recorded' ({why})." or (
        message.text() == f"Not saved: '{typed}' is not a date for 'Crime recorded': {why}.")
    assert "recorded" in form.unsaved and "border" in editor.styleSheet()
    assert editor.text() == typed  # nothing typed is lost
    assert "recorded" not in page.controller.state.profile  # and nothing invalid is recorded
    assert form.verticalScrollBar().value() == scroll  # the page did not move
    assert editor.mapTo(form.viewport(), editor.rect().topLeft()) == where
    assert editor.mapTo(window, editor.rect().topLeft()) == on_screen

    # After the typing pause the controller tries again and is refused again: the field still says so.
    page.controller.flush()
    QApplication.processEvents()
    assert message.isVisible() and message.text().startswith("Not saved: ") and editor.text() == typed
    assert editor.mapTo(window, editor.rect().topLeft()) == on_screen

    # Corrected, it is recorded and the mark goes.
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, "28/02/2025")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: page.controller.state.profile.get("recorded") == dt.date(2025, 2, 28))
    assert not message.isVisible() and "recorded" not in form.unsaved and editor.styleSheet() == ""


def test_a_broken_check_shows_on_the_form_and_in_what_is_missing(qtbot, make_window, audit_path):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_profile(window)
    form = page.profile_form
    for field, text in (("recorded", "10/01/2025"), ("allocated", "05/01/2025")):
        form.focus_field(field)
        qtbot.keyClicks(form.editors[field], text)
        qtbot.keyClick(form.editors[field], Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: page.controller.state.profile.get("allocated") == dt.date(2025, 1, 5))
    # both values are valid, so both are recorded: the check says what is wrong with them together
    assert page.controller.state.profile["recorded"] == dt.date(2025, 1, 10)

    message = form.messages["allocated"]
    assert message.isVisible() and message.text() == "'Allocated for investigation' is before 'Crime recorded'."
    entries = missing_entries(page)
    assert ("Cross-field checks (1)", False) in entries
    assert ("'Allocated for investigation' is before 'Crime recorded'.", True) in entries

    # Going there from the missing list: the field it is shown under takes the keyboard.
    page.select("A1")
    click_missing(qtbot, page, "'Allocated for investigation' is before 'Crime recorded'.")
    assert page.current_target() == "profile" and QApplication.focusWidget() is form.editors["allocated"]


def test_a_question_an_earlier_answer_rules_out_is_disabled(qtbot, make_window, audit_path):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_profile(window)
    form = page.profile_form
    status, arrested = form.editors["suspect_status"], form.editors["suspect_arrested"]
    assert arrested.isEnabled()  # no suspect status yet: still asked

    form.focus_field("suspect_status")
    qtbot.keyClicks(status, "Named")
    qtbot.keyClick(status, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: page.controller.state.profile.get("suspect_status") == "named")
    assert QApplication.focusWidget() is arrested
    qtbot.keyClicks(arrested, "y")
    qtbot.keyClick(arrested, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: page.controller.state.profile.get("suspect_arrested") == "yes")

    form.focus_field("suspect_status")
    qtbot.keyClick(status, Qt.Key.Key_Up)  # Named suspect → Description only → No suspect
    qtbot.keyClick(status, Qt.Key.Key_Up)
    assert status.currentText() == "No suspect"
    qtbot.keyClick(status, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: page.controller.state.profile.get("suspect_status") == "none")
    assert not arrested.isEnabled() and not form.editors["charged"].isEnabled()
    assert page.controller.state.profile["suspect_arrested"] == "yes"  # kept, not lost, and ignored:
    assert "suspect_arrested" not in {m.target for m in page.controller.result.missing}
    assert "charged" not in {m.target for m in page.controller.result.missing}  # not required while it does not apply


def test_the_missing_list_is_grouped_and_each_entry_goes_there(qtbot, make_window, audit_path):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_profile(window)
    entries = missing_entries(page)
    headings = [text for text, selectable in entries if not selectable]
    assert [h.rsplit(" (", 1)[0] for h in headings] == ["Profile facts", "Answers"]
    assert entries[0] == (headings[0], False)
    assert ("Record 'Suspect status' in the file profile.", True) in entries

    page.select("A1")
    click_missing(qtbot, page, "Record 'Summary-only offence (six-month time limit applies)' in the file profile.")
    assert page.current_target() == "profile"
    assert QApplication.focusWidget() is page.profile_form.editors["summary_only_offence"]

    click_missing(qtbot, page, "A2: not answered.")
    assert page.current_target() == "A2"
    click_missing(qtbot, page, headings[1])  # a heading goes nowhere
    assert page.current_target() == "A2"


@pytest.fixture
def demo_like_path(tmp_path):
    """The GUI audit built as the demo builds its own: the police.uk file with synthetic dates added."""
    enriched = tmp_path / "enriched.csv"
    enrich(POLICE_UK, enriched)
    path = tmp_path / "demo-like.audit"
    with create_audit(path, "neighbourhood-crime", "Demo-like", scope="Neighbourhood crime") as audit:
        population.import_population(audit, enriched, preset="police-uk",
                                     scope={"offence_group": ["burglary", "theft_from_person"]})
        sampling.draw_sample(audit, sampling.SampleRequest(size=8, seed="gui", reserve=1, strata=["offence_group"],
                                                           min_per_stratum=2))
    return path


def test_what_the_population_settles_is_prefilled_and_marked(qtbot, make_window, demo_like_path):
    with open_audit(demo_like_path) as audit:
        files = {summary.stratum: summary.ref for summary in workspace.overview(audit)}
    window = make_window(ANN)
    window.open_audit_file(str(demo_like_path))

    page = open_profile(window, files["theft_from_person"])
    form = page.profile_form
    assert form.editors["offence_group"].currentData() == "theft_from_person"
    assert "from the population" in form.labels["offence_group"].text()
    assert "from the population" in form.labels["recorded"].text() and form.editors["recorded"].text()
    assert "from the population" not in form.labels["reported"].text()

    # The reviewer changes a prefilled value: it is theirs now, and no longer marked.
    form.focus_field("recorded")
    form.editors["recorded"].selectAll()
    qtbot.keyClicks(form.editors["recorded"], "02/01/2025")
    qtbot.keyClick(form.editors["recorded"], Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: page.controller.state.profile.get("recorded") == dt.date(2025, 1, 2))
    assert "from the population" not in form.labels["recorded"].text()

    page = open_profile(window, files["burglary"])
    form = page.profile_form
    assert form.editors["offence_group"].currentData() in ("", None)  # residential or business: the reviewer says
    assert "from the population" not in form.labels["offence_group"].text()
    assert "from the population" in form.labels["recorded"].text()


@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_the_workspace_columns_fit_the_table_with_their_headings_whole(qtbot, make_window, audit_path, scale):
    app = QApplication.instance()
    font = app.font()
    try:
        larger = app.font()
        larger.setPointSizeF(font.pointSizeF() * scale)
        app.setFont(larger)
        window = make_window(ANN)
        window.resize(1280, 850)
        window.open_audit_file(str(audit_path))
        table = window.workspace_page.table
        header = table.horizontalHeader()
        model = window.workspace_page.model
        qtbot.waitUntil(lambda: model.rowCount() > 0)
        metrics = header.fontMetrics()
        arrow = table.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize)
        for column, heading in enumerate(model.HEADERS):  # every heading whole, with room for the sort arrow
            assert header.sectionSize(column) >= metrics.horizontalAdvance(heading) + arrow, heading
        for column in range(1, len(model.HEADERS)):  # every cell but the file reference whole, at either size
            longest = max((model.index(row, column).data() or "" for row in range(model.rowCount())), key=len)
            assert header.sectionSize(column) >= table.fontMetrics().horizontalAdvance(longest), model.HEADERS[column]
        if scale == 1.0:  # at the usual text size it all fits 1280 px without scrolling sideways
            assert table.horizontalScrollBar().maximum() == 0
    finally:
        app.setFont(font)


@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_the_profile_form_fits_its_pane_at_1280_px(qtbot, make_window, audit_path, scale):
    app = QApplication.instance()
    font = app.font()
    try:
        larger = app.font()
        larger.setPointSizeF(font.pointSizeF() * scale)
        app.setFont(larger)
        window = make_window(ANN)
        window.resize(1280, 850)
        window.open_audit_file(str(audit_path))
        page = open_profile(window)
        form = page.profile_form
        qtbot.waitUntil(lambda: form.widget().width() <= form.viewport().width())
        assert window.width() == 1280  # nothing on the page forces the window wider
        for field_id, label in form.labels.items():  # every label and editor whole, inside the pane
            editor = form.editors[field_id]
            assert label.width() >= label.minimumSizeHint().width(), field_id
            assert label.height() >= label.heightForWidth(label.width()), field_id
            right = editor.mapTo(form.widget(), editor.rect().topRight()).x()
            assert right <= form.viewport().width(), field_id
    finally:
        app.setFont(font)


def test_a_warning_check_is_shown_but_does_not_count_as_missing(qtbot, make_window, audit_path):
    window = make_window(ANN)
    window.open_audit_file(str(audit_path))
    page = open_profile(window)
    form = page.profile_form
    combo = form.editors["offence_group"]
    form.focus_field("offence_group")
    qtbot.keyClicks(combo, "Business")
    assert combo.currentData() == "burglary_business"
    qtbot.keyClick(combo, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: page.controller.state.profile.get("offence_group") == "burglary_business")
    message = form.messages["offence_group"]
    assert message.isVisible() and message.text().startswith("Check: A business or community burglary is not neighbourhood crime")
    assert "business_burglary_out_of_scope" not in {m.target for m in page.controller.result.missing}
    entries = missing_entries(page)
    assert ("Checks to look at (not blocking) (1)", False) in entries
