"""Agreement between the primary and second reviews of the double-reviewed files: per item and
pooled, percent agreement, Cohen's κ, Gwet's AC1 with its interval and Krippendorff's α, each
with its Landis & Koch band in words; and every disagreement, which opens the file's moderation
(``moderation_requested``) on a double-click or Enter. Formatting only (statistics.md §4)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from audit_app.core.checklist import Checklist
from audit_app.core.results.model import Agreement, AgreementFigures, Disagreement
from audit_app.services.results import landis_koch
from audit_app.ui.results_tables import (
    KEY_ROLE,
    Cell,
    Column,
    ResultsTableView,
    Row,
    Table,
    int_cell,
    number_cell,
    text_cell,
)
from audit_app.ui.results_text import DASH, count, decimal, pct

EMPTY_TEXT = ("No file has been reviewed twice yet, so there is no agreement to show. Agreement between reviewers "
              "appears here once a second review of a file is finished.")
NO_DISAGREEMENT_TEXT = "The two reviews agree on every item of every double-reviewed file."


def coefficient(value: float | None) -> str:
    """``"0.62 substantial"``; a dash when the coefficient is undefined."""
    return DASH if value is None else f"{decimal(value)} {landis_koch(value)}"


def ci_text(ci: tuple[float, float] | None) -> str:
    return DASH if ci is None else f"{decimal(ci[0])} to {decimal(ci[1])}"


def pooled_text(agreement: Agreement) -> str:
    p = agreement.pooled
    return (f"All items pooled ({count(p.n, 'pair')} of answers): agreement {pct(p.percent_agreement)}; "
            f"κ {coefficient(p.cohen_kappa)} ({ci_text(p.cohen_kappa_ci)}); AC1 {coefficient(p.gwet_ac1)} ({ci_text(p.gwet_ac1_ci)}); "
            f"α {coefficient(p.krippendorff_alpha)}.")


def item_table(agreement: Agreement) -> Table:
    conf = f"{agreement.confidence * 100:g}%"
    columns = (Column("Item"), Column("Pairs", "Files with both reviews' answers to the item"),
               Column("Agreement", "Share of pairs with the same answer"),
               Column("κ (Cohen)", "Cohen's kappa, with its Landis & Koch band"),
               Column(f"κ {conf} interval"),
               Column("AC1 (Gwet)", "Gwet's AC1, with its Landis & Koch band: stays meaningful when almost "
                      "every answer is the same"),
               Column(f"AC1 {conf} interval"),
               Column("α (Krippendorff)", "Krippendorff's alpha (nominal), with its Landis & Koch band"))
    rows = tuple(_item_row(position, item, figures)
                 for position, (item, figures) in enumerate(agreement.items.items()))
    return Table(columns, rows)


def _item_row(position: int, item: str, f: AgreementFigures) -> Row:
    kappa_tip = f"κ interval {ci_text(f.cohen_kappa_ci)}" if f.cohen_kappa_ci else ""
    answers = f"Answers given: {', '.join(f.categories)}" if f.categories else ""
    return Row(item, (Cell(item, float(position), answers), int_cell(f.n),
                      number_cell(pct(f.percent_agreement), f.percent_agreement),
                      number_cell(coefficient(f.cohen_kappa), f.cohen_kappa, kappa_tip),
                      number_cell(ci_text(f.cohen_kappa_ci), f.cohen_kappa_ci[0] if f.cohen_kappa_ci else None),
                      number_cell(coefficient(f.gwet_ac1), f.gwet_ac1),
                      number_cell(ci_text(f.gwet_ac1_ci), f.gwet_ac1_ci[0] if f.gwet_ac1_ci else None),
                      number_cell(coefficient(f.krippendorff_alpha), f.krippendorff_alpha)))


def disagreement_table(agreement: Agreement, checklist: Checklist | None) -> Table:
    columns = (Column("File"), Column("Position", "The file's position in the sample"), Column("Item"),
               Column("Primary review"), Column("Second review"), Column("Moderated answer"))
    order = {item: position for position, item in enumerate(checklist.items)} if checklist else {}
    rows = tuple(_disagreement_row(d, checklist, order) for d in agreement.disagreements)
    return Table(columns, rows)


def _disagreement_row(d: Disagreement, checklist: Checklist | None, order: dict[str, int]) -> Row:
    def words(code: str | None) -> str:
        if code is None:
            return "not agreed yet"
        answer = checklist.answer(d.item, code) if checklist is not None and d.item in checklist.items else None
        return f"{answer.label} ({code})" if answer is not None else code

    return Row(d.ref, (text_cell(d.ref), int_cell(d.position), Cell(d.item, float(order.get(d.item, len(order)))),
                       text_cell(words(d.first)), text_cell(words(d.second)), text_cell(words(d.moderated))))


class AgreementView(QWidget):
    """Agreement figures and disagreements; an empty state in words when no file is double-reviewed."""

    moderation_requested = Signal(str)  # a file's reference: open its moderation

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.agreement: Agreement | None = None
        self._build_ui()
        self.disagreements_table.activated.connect(self._on_disagreements_table_activated)

    def _build_ui(self) -> None:
        self.empty_label = QLabel(EMPTY_TEXT, self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        content = QWidget(self)
        self.summary_label = QLabel(content)
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pooled_label = QLabel(content)
        self.pooled_label.setTextFormat(Qt.TextFormat.PlainText)
        self.pooled_label.setWordWrap(True)
        self.pooled_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = self.pooled_label.font()
        bold.setBold(True)
        self.pooled_label.setFont(bold)
        self.items_table = ResultsTableView("Agreement by item", content)
        items_label = QLabel("Agreement by it&em", content)
        items_label.setBuddy(self.items_table)
        self.disagreements_table = ResultsTableView("Disagreements", content, stretch=5)
        self.disagreements_label = QLabel("Disagreeme&nts: double-click a row, or press Enter, to open the file's "
                                          "moderation", content)
        self.disagreements_label.setWordWrap(True)
        self.disagreements_label.setBuddy(self.disagreements_table)
        self.no_disagreement_label = QLabel(NO_DISAGREEMENT_TEXT, content)
        self.no_disagreement_label.setWordWrap(True)
        top, bottom = QWidget(content), QWidget(content)
        top_layout, bottom_layout = QVBoxLayout(top), QVBoxLayout(bottom)
        top_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(items_label)
        top_layout.addWidget(self.items_table, 1)
        bottom_layout.addWidget(self.disagreements_label)
        bottom_layout.addWidget(self.no_disagreement_label)
        bottom_layout.addWidget(self.disagreements_table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, content)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.pooled_label)
        layout.addWidget(splitter, 1)
        self.content = content
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    def show_agreement(self, agreement: Agreement | None, checklist: Checklist | None = None) -> None:
        self.agreement = agreement
        if agreement is None or agreement.files == 0 or agreement.pooled.n == 0:
            self.stack.setCurrentWidget(self.empty_label)
            self.items_table.set_table(Table((), ()))
            self.disagreements_table.set_table(Table((), ()))
            return
        self.stack.setCurrentWidget(self.content)
        self.summary_label.setText(
            f"{count(agreement.files, 'file')} reviewed twice, independently; intervals at "
            f"{agreement.confidence * 100:g}% confidence. κ, AC1 and α are in words by the Landis & Koch bands.")
        self.pooled_label.setText(pooled_text(agreement))
        self.items_table.set_table(item_table(agreement))
        self.disagreements_table.set_table(disagreement_table(agreement, checklist))
        has_disagreements = bool(agreement.disagreements)
        self.disagreements_table.setVisible(has_disagreements)
        self.disagreements_label.setVisible(has_disagreements)
        self.no_disagreement_label.setVisible(not has_disagreements)

    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def _on_disagreements_table_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.moderation_requested.emit(str(index.data(KEY_ROLE)))
