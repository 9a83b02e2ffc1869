"""The results page and the agreement view on a real audit (a synthetic disproportionate one built
through the services), computed by the real service in the background: what the page shows is what
the command line prints, weighted and so labelled, and a disagreement opens its file's moderation."""

from __future__ import annotations

import json

import pytest
from gui_helpers import make_window, no_task_left_running, ui_settings  # noqa: F401 (fixtures)
from PySide6.QtCore import Qt
from synthetic_audit import LEAD, build
from test_menus import action

from audit_app.cli import main
from audit_app.ui.ui_settings import Identity


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return build(tmp_path_factory.mktemp("e2e") / "e2e.audit", files=40, double=8, seed=11).path


def _stats(path, capsys) -> dict:
    capsys.readouterr()
    assert main(["stats", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_dashboard_shows_the_weighted_figures_the_command_line_prints(make_window, synthetic, qtbot, capsys):
    expected = _stats(synthetic, capsys)
    window = make_window(Identity(*LEAD, "lead"))
    assert window.open_audit_file(str(synthetic))
    window.show_results()
    page = window.results_page
    qtbot.waitUntil(lambda: page.results is not None, timeout=20_000)
    table = page.items_table
    assert table.keys() == list(expected["items"])
    weighted_column = table.column_of("Compliance\n(weighted)")
    met_column = table.column_of("Met")
    for key, shown, met in zip(table.keys(), table.texts(weighted_column), table.texts(met_column)):
        figures = expected["items"][key]
        assert met == str(figures["met"])
        estimate = figures["weighted"]["estimate"]
        if estimate is not None:
            assert shown.rstrip("%").strip() and abs(float(shown.rstrip("%")) - 100 * estimate) < 0.51
    assert "weighted" in page.summary_label.text().lower()
    assert page.forest.plot.keys() == list(expected["items"])


def test_a_real_disagreement_opens_the_moderation_of_its_file(make_window, synthetic, qtbot, capsys):
    capsys.readouterr()
    assert main(["agreement", str(synthetic), "--json"]) == 0
    disagreements = json.loads(capsys.readouterr().out)["disagreements"]
    assert disagreements
    window = make_window(Identity(*LEAD, "lead"))
    assert window.open_audit_file(str(synthetic))
    action(window, "&Agreement").trigger()
    page = window.results_page
    qtbot.waitUntil(lambda: page.results is not None, timeout=20_000)
    table = page.agreement_view.disagreements_table
    assert table.keys() == [d["file_ref"] for d in disagreements]
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.moderation_page
    assert window.moderation_page.comparison.ref == disagreements[0]["file_ref"]
