"""The checklist browser window: every section and item of a checklist with its guidance.

Until the audit workspace exists this is the window ``audit-app`` opens; it stays useful later
as the place to read a checklist and to check a checklist file one is editing.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTextBrowser,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from audit_app import services
from audit_app.core.checklist import Checklist
from audit_app.core.checklist_format import Item
from audit_app.errors import ChecklistError
from audit_app.ui.text import escape

ITEM_ROLE = Qt.ItemDataRole.UserRole
CRITICAL_TEXT = {"always": "Critical", "on_known_opportunity": "Critical when the opportunity was known", "never": ""}


class ChecklistWindow(QMainWindow):
    """Browse a bundled checklist, or open a checklist file to validate and read it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("audit-app — Checklists")
        self._checklists: list[Checklist] = []
        self._build_ui()
        self._connect_signals()
        self._load_bundled()
        self._restore_state()

    # -- construction

    def _build_ui(self) -> None:
        toolbar = QToolBar("Checklist", self)
        toolbar.setObjectName("checklist_toolbar")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        label = QLabel("&Checklist: ", self)
        self.checklist_combo = QComboBox(self)
        self.checklist_combo.setAccessibleName("Checklist")
        label.setBuddy(self.checklist_combo)
        toolbar.addWidget(label)
        toolbar.addWidget(self.checklist_combo)
        self.open_action = QAction("&Open checklist file…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        toolbar.addAction(self.open_action)

        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Item (● critical)", "Weight"])
        self.tree.setAccessibleName("Sections and items")
        self.tree.setColumnWidth(0, 470)
        self.tree.setUniformRowHeights(True)
        self.details = QTextBrowser(self)
        self.details.setAccessibleName("Item details")
        self.details.setOpenLinks(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([540, 660])
        self.setCentralWidget(self.splitter)
        self.statusBar().showMessage("Read-only checklist browser.")
        self.resize(1200, 760)

    def _connect_signals(self) -> None:
        self.checklist_combo.currentIndexChanged.connect(self._on_checklist_combo_changed)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)
        self.open_action.triggered.connect(self._on_open_triggered)

    def _load_bundled(self) -> None:
        for summary in services.bundled_checklists():
            self._add_checklist(services.open_checklist(str(summary.path)))

    def _restore_state(self) -> None:
        settings = QSettings()
        geometry = settings.value("checklist_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = settings.value("checklist_window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        settings = QSettings()
        settings.setValue("checklist_window/geometry", self.saveGeometry())
        settings.setValue("checklist_window/splitter", self.splitter.saveState())
        super().closeEvent(event)

    # -- behaviour

    def _add_checklist(self, checklist: Checklist) -> None:
        self._checklists.append(checklist)
        self.checklist_combo.addItem(f"{checklist.title} ({checklist.id} {checklist.version})")
        self.checklist_combo.setCurrentIndex(len(self._checklists) - 1)

    def show_checklist(self, checklist: Checklist) -> None:
        """Fill the tree with the checklist's sections and items and select the first item."""
        self.tree.clear()
        first: QTreeWidgetItem | None = None
        for section in checklist.spec.sections:
            node = QTreeWidgetItem([f"{section.id}  {section.title}", ""])
            node.setFlags(node.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(node)
            for item in section.items:
                marker = "● " if item.critical != "never" else ""
                child = QTreeWidgetItem([f"{item.id}  {marker}{item.question}", str(item.weight)])
                child.setData(0, ITEM_ROLE, item.id)
                child.setToolTip(0, item.question)
                node.addChild(child)
                first = first or child
            node.setExpanded(True)
        if first is not None:
            self.tree.setCurrentItem(first)
        self.statusBar().showMessage(
            f"{len(checklist.items)} items in {len(checklist.spec.sections)} sections · sha256 {checklist.sha256[:16]}…"
        )

    def current_checklist(self) -> Checklist | None:
        index = self.checklist_combo.currentIndex()
        return self._checklists[index] if 0 <= index < len(self._checklists) else None

    def _on_checklist_combo_changed(self, index: int) -> None:
        checklist = self.current_checklist()
        if checklist is not None:
            self.show_checklist(checklist)

    def _on_tree_current_changed(self, current: QTreeWidgetItem | None, previous: QTreeWidgetItem | None) -> None:
        checklist = self.current_checklist()
        item_id = current.data(0, ITEM_ROLE) if current is not None else None
        if checklist is None or item_id is None:
            self.details.clear()
            return
        self.details.setHtml(item_html(checklist, checklist.items[item_id]))

    def _on_open_triggered(self) -> None:
        settings = QSettings()
        folder = str(settings.value("last_folder", ""))
        name, _ = QFileDialog.getOpenFileName(self, "Open checklist file", folder, "Checklists (*.yaml *.yml)")
        if name:
            settings.setValue("last_folder", name.rsplit("/", 1)[0])
            self.open_checklist_file(name)

    def open_checklist_file(self, name: str) -> bool:
        """Validate and show a checklist file; show every problem when it is invalid."""
        try:
            checklist = services.open_checklist(name)
        except ChecklistError as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "Checklist has problems",
                              f"{len(exc.problems)} problem(s) in {name}. The first:\n\n{exc.problems[0]}",
                              QMessageBox.StandardButton.Ok, self)
            box.setDetailedText(exc.report())
            box.open()
            return False
        self._add_checklist(checklist)
        return True


def item_html(checklist: Checklist, item: Item) -> str:
    """The details pane for one item: question, answers, rules, basis and guidance."""

    def text(value: str) -> str:
        return escape(checklist.render(value))

    scale = checklist.scales[item.scale]
    subscore = next(s.label for s in checklist.spec.subscores if s.id == item.subscore)
    facts = [
        f"<b>Kind</b> {escape(item.kind.replace('_', ' '))}",
        f"<b>Weight</b> {item.weight}",
        f"<b>Sub-score</b> {escape(subscore)}",
        f"<b>Answers</b> {escape(' / '.join(a.label for a in scale.answers))}",
    ]
    if item.critical != "never":
        facts.append(f"<b>{escape(CRITICAL_TEXT[item.critical])}</b>" + (f" when <code>{escape(item.critical_when)}</code>" if item.critical_when else ""))
    facts.append(f"<b>Applies</b> {'when <code>' + escape(item.applies_when) + '</code>' if item.applies_when else 'always'}")
    guidance = item.guidance
    parts = [f"<h2>{escape(item.id)} {text(item.question)}</h2>", "<p>" + "<br>".join(facts) + "</p>",
             f"<h3>What good looks like</h3><p>{text(guidance.good)}</p>"]
    for title, value in (("Partly met", guidance.partly_met), ("Not met", guidance.not_met),
                         ("Evidence", guidance.evidence), ("Notes", guidance.notes)):
        if value:
            parts.append(f"<h3>{title}</h3><p>{text(value)}</p>")
    if item.opportunity_prompt:
        parts.append(f"<h3>Critical-failure check</h3><p>{text(item.opportunity_prompt)}</p>")
    parts.append("<h3>Basis</h3><ul>" + "".join(f"<li>{text(b)}</li>" for b in item.basis) + "</ul>")
    return "".join(parts)
