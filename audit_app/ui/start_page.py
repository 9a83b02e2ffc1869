"""The start page: recent audits with their progress, and New audit / Open / Open demo audit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audit_app.services.workspace import AuditPeek
from audit_app.ui.text import heading

PATH_ROLE = Qt.ItemDataRole.UserRole


class StartPage(QWidget):
    """Where the app opens when no audit is open."""

    new_requested = Signal()
    open_requested = Signal()  # choose a file
    open_path_requested = Signal(str)
    demo_requested = Signal()
    forget_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        title = heading(self, 1.8, "audit-app")
        intro = QLabel("Review a statistically sampled set of neighbourhood-crime investigation files against a "
                       "checklist of lines of inquiry and decision points. Every change is saved as you make it "
                       "and recorded in the audit's trail.", self)
        intro.setWordWrap(True)
        self.identity_label = QLabel(self)
        self.recent_label = QLabel("&Recent audits", self)
        self.recent_list = QListWidget(self)
        self.recent_list.setAccessibleName("Recent audits")
        self.recent_list.setWordWrap(True)
        self.recent_label.setBuddy(self.recent_list)
        self.open_selected_button = QPushButton("Open the &selected audit", self)
        self.new_button = QPushButton("&New audit…", self)
        self.open_button = QPushButton("&Open an audit file…", self)
        self.demo_button = QPushButton("Open the &demo audit", self)
        self.demo_button.setToolTip("A demonstration built from real police.uk data with synthetic enrichment and training reviews")
        self.forget_button = QPushButton("Forget &this recent audit", self)
        buttons = QVBoxLayout()
        for button in (self.open_selected_button, self.new_button, self.open_button, self.demo_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.forget_button)
        body = QHBoxLayout()
        recent = QVBoxLayout()
        recent.addWidget(self.recent_label)
        recent.addWidget(self.recent_list, 1)
        body.addLayout(recent, 3)
        body.addLayout(buttons, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.identity_label)
        layout.addLayout(body, 1)

    def _connect_signals(self) -> None:
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        self.recent_list.itemActivated.connect(lambda item: self.open_path_requested.emit(item.data(PATH_ROLE)))
        self.recent_list.currentItemChanged.connect(self._on_current_changed)
        self.forget_button.clicked.connect(self._on_forget)
        self.open_selected_button.clicked.connect(self._on_open_selected)

    def _on_current_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        chosen = current is not None and bool(current.data(PATH_ROLE))
        self.forget_button.setEnabled(chosen)
        self.open_selected_button.setEnabled(chosen)

    def show_identity(self, text: str) -> None:
        self.identity_label.setText(text)

    def show_recent(self, peeks: list[AuditPeek]) -> None:
        """List recent audits: title, progress and where the file is (or why it cannot be opened)."""
        self.recent_list.clear()
        for peek in peeks:
            if peek.problem:
                text = f"{Path(peek.path).name} — cannot be opened: {peek.problem}\n{peek.path}"
            else:
                progress = f"{peek.done} of {peek.files} files reviewed" if peek.files else "sample not drawn yet"
                text = f"{peek.title} — {progress}\n{peek.path}"
            item = QListWidgetItem(text, self.recent_list)
            item.setData(PATH_ROLE, peek.path)
            item.setToolTip(peek.path)
        if not peeks:
            placeholder = QListWidgetItem("No recent audits. Start a new audit, or open the demo audit to look around.",
                                          self.recent_list)
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
        else:
            self.recent_list.setCurrentRow(0)
        self.forget_button.setEnabled(bool(peeks))
        self.open_selected_button.setEnabled(bool(peeks))

    def _on_open_selected(self) -> None:
        item = self.recent_list.currentItem()
        if item is not None and item.data(PATH_ROLE):
            self.open_path_requested.emit(item.data(PATH_ROLE))

    def _on_forget(self) -> None:
        item = self.recent_list.currentItem()
        if item is not None and item.data(PATH_ROLE):
            self.forget_requested.emit(item.data(PATH_ROLE))
