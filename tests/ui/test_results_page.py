"""The results page (the dashboard, its tabs and the agreement view) on hand-built results records:
what it says in words, its charts' layout and colours, its sortable tables, and its states."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPalette
from results_data import ITEMS, SECTIONS, STRATA, make_agreement, make_results, no_agreement

from audit_app.core.checklist import load_checklist
from audit_app.core.sampling import stratum_label
from audit_app.ui.agreement_view import EMPTY_TEXT, NO_DISAGREEMENT_TEXT, landis_koch
from audit_app.ui.results_charts import HUES, ForestPlot, ShareBars
from audit_app.ui.results_page import (
    CHECKLIST_ORDER,
    WEAKEST_BY_COMPLIANCE,
    WEAKEST_BY_LIMIT,
    ResultsPage,
    forest_groups,
    share_groups,
)
from audit_app.ui.results_tables import ResultsTableModel, item_table
from audit_app.ui.results_text import STATE_ASSURED

CHECKLIST = load_checklist("checklists/neighbourhood-crime.yaml")


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e6e6e6",
               QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#262626",
               QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
               QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d7ac4",
               QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#353535",
               QPalette.ColorRole.ToolTipText: "#e6e6e6", QPalette.ColorRole.PlaceholderText: "#9a9a9a"}
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette


@pytest.fixture
def page(qtbot):
    shown = ResultsPage(CHECKLIST)
    qtbot.addWidget(shown)
    shown.resize(1280, 800)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def headers(view) -> list[str]:
    return [view.source.headerData(c, Qt.Orientation.Horizontal) for c in range(view.source.columnCount())]


def row_of(view, key: str) -> list[str]:
    row = view.keys().index(key)
    return [str(view.proxy.index(row, c).data()) for c in range(view.proxy.columnCount())]


# -- the dashboard


def test_an_equal_probability_audit_is_summed_up_in_words(page):
    page.show_results(make_results())
    text = page.summary_label.text()
    for words in ("46 files reviewed", "2 of them training examples", "2 provisional files awaiting moderation",
                  "Equal-probability design", "Confidence 95%", "tolerable failure rate 10%",
                  "Of 8 items: 1 assured, 5 not assured, 1 with too few applicable files to conclude, "
                  "1 with no applicable file."):
        assert words in text
    assert "weighted" not in text and "weighted" not in page.chart_label.text()
    assert headers(page.items_table) == ["Item", "Question", "Applicable", "Met", "Partly", "Not met", "Not\nrecorded",
                                         "N/A", "Compliance", "Interval", "Upper limit", "Conclusion"]
    assert row_of(page.items_table, "A1") == ["A1", ITEMS[0][2], "46", "46", "0", "0", "0", "1", "100%", "92–100%",
                                              "6.3%", "Assured"]
    conclusions = dict(zip(page.items_table.keys(), page.items_table.texts(11), strict=True))
    assert conclusions["B2"] == "Not assured — too few applicable files"
    assert conclusions["A2"] == "Not assured" and conclusions["B3"] == "No applicable files"
    assert page.export_button.isEnabled()


def test_a_disproportionate_audit_shows_weighted_figures_and_never_the_unweighted_rates(page):
    results = make_results(weighted=True)
    page.show_results(results)
    assert "weighted estimates" in page.summary_label.text()
    assert "weighted" in page.chart_label.text() and page.forest.plot.weighted
    assert ("interval", "95% interval (weighted)") in page.forest.header.legend()
    assert "weighted" in page.grades_label.text()
    titles = headers(page.items_table)
    assert titles[8:11] == ["Compliance\n(weighted)", "Interval\n(weighted)", "Upper limit\n(weighted)"]
    assert all("weighted" in title for title in headers(page.sections_table) if "Compliance" in title)
    a2 = results.items["A2"]  # unweighted 30 of 44 = 68%, weighted 64%
    assert f"{a2.compliance.estimate:.0%}" == "68%" and f"{a2.weighted.estimate:.0%}" == "64%"
    assert row_of(page.items_table, "A2")[8] == "64%"
    shown = [cell for key in page.items_table.keys() for cell in row_of(page.items_table, key)]
    tips = [page.items_table.proxy.index(r, c).data(Qt.ItemDataRole.ToolTipRole)
            for r in range(page.items_table.proxy.rowCount()) for c in range(page.items_table.proxy.columnCount())]
    forest = [text for group in page.forest.plot.groups() for row in group.rows for text in (row.value_text, row.tooltip)
              if row.key == "A2"]
    assert not any("68%" in text for text in shown + tips + forest)
    assert any("Weighted compliance: 64%" in text for text in forest)
    good = next(row for group in page.grade_bars.groups() for row in group.rows if row.label == "Good")
    unweighted_good = results.files.grades[1].proportion
    assert f"{unweighted_good.estimate:.0%}" not in good.value_text and "17 files" in good.value_text
    assert good.estimate == results.files.grades[1].weighted.estimate


def test_without_a_tolerable_rate_no_item_is_assured_or_not(page):
    page.show_results(make_results(tolerable=None))
    assert "no tolerable failure rate is set, so no item is assured or not assured" in page.summary_label.text()
    assert [mark for mark, _ in page.forest.header.legend()] == ["no_conclusion", "interval"]
    assert set(page.items_table.texts(11)) == {"No conclusion (no tolerable rate set)", "No applicable files"}


def test_numbers_sort_as_numbers_not_as_text(page):
    page.show_results(make_results())
    table = page.items_table
    column = table.column_of("Compliance")
    table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    assert table.texts(column) == ["9%", "10%", "68%", "91%", "97%", "100%", "100%", "—"]
    table.sortByColumn(table.column_of("Applicable"), Qt.SortOrder.DescendingOrder)
    assert table.texts(table.column_of("Applicable"))[:3] == ["46", "45", "44"]
    table.sortByColumn(table.column_of("Item"), Qt.SortOrder.AscendingOrder)
    assert table.keys() == [item for _, item, *_ in ITEMS]


def test_the_table_models_pass_the_model_tester(qtmodeltester):
    model = ResultsTableModel()
    model.set_table(item_table(make_results(weighted=True)))
    qtmodeltester.check(model)


def test_the_forest_plot_has_one_row_per_item_under_its_section(page):
    page.show_results(make_results())
    plot = page.forest.plot
    lines = [(line.heading, line.row.key if line.row else None) for line in plot.lines()]
    expected = []
    for section, label in SECTIONS.items():
        expected.append((label, None))
        expected += [("", item) for s, item, *_ in ITEMS if s == section]
    assert lines == expected
    tops = [line.top for line in plot.lines()]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    assert plot.height() >= plot.content_height()
    b1 = plot.row_rect("B1")
    assert "Was the victim offered a needs assessment" in plot.tooltip_at(b1.center().y())
    assert "Not assured" in plot.tooltip_at(b1.center().y())
    assert plot.tooltip_at(plot.lines()[0].top + 1) == ""  # a heading has none
    assert plot.accessibleName() and "item table" in plot.accessibleDescription()


def test_the_forest_plot_scrolls_under_its_header(page, qtbot):
    many = tuple((section, f"{item}{n}", question, applicable, met)
                 for n in range(1, 6) for section, item, question, applicable, met in ITEMS)
    page.show_results(make_results(items=many))
    view = page.forest
    qtbot.waitUntil(lambda: view.verticalScrollBar().isVisible())
    # the header (legend and axis) stays above the rows, as wide as they are: the scroll bar covers none of it
    qtbot.waitUntil(lambda: view.header.width() == view.viewport().width() == view.plot.width())
    assert view.header.geometry().bottom() < view.viewport().geometry().top()
    view.select("C25")  # the last row: scrolled into view
    rect = view.plot.row_rect("C25")
    top = view.plot.mapTo(view.viewport(), rect.topLeft()).y()
    assert 0 <= top and top + rect.height() <= view.viewport().height()


def test_the_forest_plot_grows_with_the_font(qtbot):
    plot = ForestPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.set_groups(forest_groups(make_results(), CHECKLIST_ORDER), 0.1, False)
    font = QFont(plot.font())
    font.setPointSizeF(9)
    plot.setFont(font)
    small_height, small_row = plot.content_height(), plot.row_rect("A1").height()
    font.setPointSizeF(18)
    plot.setFont(font)
    assert plot.content_height() > small_height * 1.7
    assert plot.row_rect("A1").height() > small_row * 1.7
    assert plot.minimumHeight() == plot.content_height()


def test_weakest_first_orders_the_chart_by_upper_limit_or_by_compliance(page):
    page.show_results(make_results())
    combo = page.order_combo
    combo.setCurrentIndex(combo.findData(WEAKEST_BY_LIMIT))
    assert [row.key for group in page.forest.plot.groups() for row in group.rows] == \
        ["A3", "B1", "A2", "B2", "C1", "C2", "A1", "B3"]
    combo.setCurrentIndex(combo.findData(WEAKEST_BY_COMPLIANCE))
    assert [row.key for group in page.forest.plot.groups() for row in group.rows] == \
        ["A3", "B1", "A2", "C1", "C2", "A1", "B2", "B3"]
    combo.setCurrentIndex(combo.findData(CHECKLIST_ORDER))
    assert [group.heading for group in page.forest.plot.groups()] == list(SECTIONS.values())


def test_the_chart_and_the_table_select_together(page, qtbot):
    page.show_results(make_results())
    page.items_table.select_key("B1")
    assert page.forest.plot.selected() == "B1"
    plot = page.forest.plot
    plot.setFocus()
    qtbot.keyClick(plot, Qt.Key.Key_Down)
    assert plot.selected() == "B2" and page.items_table.current_key() == "B2"
    qtbot.mouseClick(plot, Qt.MouseButton.LeftButton, pos=plot.row_rect("C1").center())
    assert page.items_table.current_key() == "C1"


def render(widget) -> QImage:
    return widget.grab().toImage()


@pytest.mark.parametrize("dark", [False, True])
def test_the_charts_paint_with_the_palette(page, dark):
    palette = dark_palette() if dark else QPalette(page.palette())
    page.setPalette(palette)
    page.show_results(make_results())
    plot = page.forest.plot
    image = render(plot)
    base = palette.color(QPalette.ColorRole.Base)
    last = plot.lines()[-1]
    below = last.top + plot.row_rect(last.row.key).height() + 2
    assert plot.height() > below  # the empty space under the rows shows the background
    assert image.pixelColor(plot.width() // 2, plot.height() - 1).rgb() == base.rgb()
    a1 = plot.row_rect("A1")
    geometry = plot.geometry_for(plot.width())
    centre = QPoint(round(geometry.x(1.0)), a1.center().y())
    expected = QColor(HUES[STATE_ASSURED][1 if dark else 0])
    assert image.pixelColor(centre).rgb() == expected.rgb()  # the assured mark, in the palette's tint
    header = render(page.forest.header)
    assert header.pixelColor(header.width() - 2, 2).rgb() == base.rgb()
    bars = render(page.grade_bars)
    assert bars.pixelColor(bars.width() - 1, bars.height() - 1).rgb() == base.rgb()
    highlight = palette.color(QPalette.ColorRole.Highlight).rgb()
    assert any(bars.pixelColor(x, y).rgb() == highlight for x in range(0, bars.width(), 3) for y in range(bars.height()))
    text = palette.color(QPalette.ColorRole.Text).rgb()
    heading = plot.lines()[0]
    assert any(image.pixelColor(x, y).rgb() == text
               for x in range(0, geometry.label_width) for y in range(heading.top, heading.top + a1.height()))


def test_share_bars_give_count_percentage_and_interval(qtbot):
    groups = share_groups(make_results().files, False)
    assert groups[0].rows[1].label == "Good" and groups[0].rows[1].value_text == "17 files · 37% (25–51%)"
    assert [row.label for row in groups[1].rows] == ["A critical failure", "A material missed opportunity",
                                                     "Ungradable", "Notable practice"]
    bars = ShareBars()
    qtbot.addWidget(bars)
    bars.set_groups(groups)
    bars.resize(400, bars.content_height())
    assert "Good: 17 files" in bars.accessibleDescription()
    top, height, _, row = bars.lines()[1]
    assert bars.tooltip_at(top + height // 2).startswith("Good: 17 files of 46")


# -- the tabs


def test_the_tabs_show_sections_subscores_strata_reviewers_and_the_method(page):
    page.show_results(make_results())
    assert page.sections_table.keys() == list(SECTIONS)
    assert row_of(page.sections_table, "A")[0] == SECTIONS["A"]
    assert page.subscores_table.texts(0) == ["Investigation", "Victim service"]
    assert page.strata_table.texts(0) == [stratum_label(key) for key, *_ in STRATA]
    assert page.strata_table.texts(0)[0] == "Burglary (residential or business)"  # in words, not "burglary"
    assert page.strata_items_table.keys() == [item for _, item, *_ in ITEMS]
    assert row_of(page.reviewers_table, "Bob Second (102)")[2] == "Unusual N/A rate on 1: A2"
    assert row_of(page.reviewers_table, "Ann Reviewer (101)")[2] == "No"
    assert "Unusual N/A rate" in page.reviewers_note.text() and "Bob Second" in page.reviewers_note.text()
    flags = page.reviewer_items_table
    assert row_of(flags, "Bob Second (102)\x1fA2")[-1] == "Unusual N/A rate"
    method = page.method_text.toPlainText()
    assert "Compliance is Met ÷ applicable answers" in method
    assert page.method_text.isReadOnly()
    assert page.method_text.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


def test_the_page_says_when_it_is_computing_and_when_it_failed(page):
    page.show_busy()
    assert page.summary_label.text() == "" and page.forest.header.legend() == []  # nothing known yet
    assert page.is_busy() and page.status_label.text() == "Computing results…"
    assert page.progress_bar.maximum() == 0  # busy, no fraction known yet
    page.show_progress(3, 10, "Agreement")
    assert page.progress_bar.maximum() == 10 and page.progress_bar.value() == 3
    assert page.status_label.text() == "Computing results… Agreement"
    page.show_results(make_results())
    assert not page.is_busy() and not page.status_label.isVisible()
    page.show_failure("The audit file is locked.")
    assert not page.is_busy() and page.status_label.isVisible()
    assert page.status_label.text().endswith("The audit file is locked.")


def test_with_no_finished_review_the_page_says_so(page):
    empty = dataclasses.replace(make_results(items=()), files_reviewed=0, training=0, provisional=(), sections=())
    page.show_results(empty)
    assert page.summary_label.text().startswith("No review is finished yet")
    assert page.forest.plot.groups() == () and page.items_table.keys() == []
    assert render(page.forest.plot).pixelColor(2, 2).rgb() == page.palette().color(QPalette.ColorRole.Base).rgb()


# -- agreement


def test_the_agreement_view_shows_figures_in_words_and_opens_a_disagreement(page, qtbot):
    page.show_results(make_results(agreement=make_agreement()))
    page.show_agreement_tab()
    view = page.agreement_view
    assert not view.is_empty()
    assert view.items_table.keys() == ["A1", "A2", "B1", "C1"]
    assert row_of(view.items_table, "A1")[:8] == ["A1", "6", "83%", "0.57 moderate", "0.37 to 0.77",
                                                  "0.79 substantial", "0.67 to 0.89", "0.58 moderate"]
    assert row_of(view.items_table, "A2")[3] == "−0.20 poor" and row_of(view.items_table, "B1")[3] == "—"
    assert "6 files reviewed twice" in view.summary_label.text()
    assert view.pooled_label.text().startswith("All items pooled (23 pairs of answers): agreement 87%; κ 0.61 substantial")
    table = view.disagreements_table
    assert row_of(table, "CRM-7")[2:] == ["A2", "Met (M)", "Not met (N)", "not agreed yet"]
    assert row_of(table, "CRM-9")[5] == "Met (M)"
    table.setFocus()
    table.selectRow(table.keys().index("CRM-9"))
    with qtbot.waitSignal(page.moderation_requested) as enter:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert enter.args == ["CRM-9"]
    rect = table.visualRect(table.proxy.index(table.keys().index("CRM-2"), 0))
    with qtbot.waitSignal(page.moderation_requested) as double:  # a double-click's first click, then the second
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert double.args == ["CRM-2"]


@pytest.mark.parametrize("agreement", [None, no_agreement()])
def test_with_no_file_reviewed_twice_the_agreement_view_says_so(page, agreement):
    page.show_results(make_results(agreement=agreement))
    page.show_agreement_tab()
    assert page.agreement_view.is_empty() and page.agreement_view.empty_label.isVisible()
    assert page.agreement_view.empty_label.text() == EMPTY_TEXT


def test_with_no_disagreement_the_view_says_the_reviews_agree(page):
    page.show_results(make_results(agreement=make_agreement(disagreements=False)))
    page.show_agreement_tab()
    view = page.agreement_view
    assert view.no_disagreement_label.isVisible() and view.no_disagreement_label.text() == NO_DISAGREEMENT_TEXT
    assert not view.disagreements_table.isVisible()


@pytest.mark.parametrize(("value", "words"), [(None, ""), (-0.01, "poor"), (0.0, "slight"), (0.2, "slight"),
                                               (0.21, "fair"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
                                               (0.81, "almost perfect"), (1.0, "almost perfect")])
def test_landis_koch_bands(value, words):
    assert landis_koch(value) == words
