"""Page 2 of the new-audit wizard: choose the checklist; leaving the page creates the audit file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from audit_app.services import setup
from audit_app.services.setup import SetupState
from audit_app.ui.wizard.context import WizardContext, without_progress
from audit_app.ui.wizard.widgets import (
    CHOICE_ROLE,
    MessageLabel,
    buddy_label,
    choose_file_to_open,
    show_failure,
)


class ChecklistPage(QWizardPage):
    """Choose a bundled checklist or a checklist file; leaving the page creates the audit file."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._loading = False
        self._creating = False
        self._created = False
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Checklist")
        self.setSubTitle("Choose the checklist the files are reviewed against. Its full text is copied into the "
                         "audit file, so later edits to the checklist do not change this audit.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create the audit")
        self.list = QListWidget(self)
        self.list.setAccessibleName("Checklists")
        self.open_button = QPushButton("&Open a checklist file…", self)
        self.problems_label = QLabel(self)
        self.problems_label.setWordWrap(True)
        self.problems = QPlainTextEdit(self)
        self.problems.setReadOnly(True)
        self.problems.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.problems.setAccessibleName("Problems in the checklist file")
        self.problems.setTabChangesFocus(True)
        self.problems_label.setBuddy(self.problems)
        self.message = MessageLabel(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(buddy_label("Chec&klists:", self.list, self))
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.problems, 2)
        layout.addWidget(self.message)
        self._show_problems(None)

    def _connect_signals(self) -> None:
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.open_button.clicked.connect(self._on_open_clicked)

    def initializePage(self) -> None:
        if self.list.count() == 0 and not self._loading:
            self._loading = True
            placeholder = QListWidgetItem("Loading the bundled checklists…", self.list)
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self._context.run(without_progress(setup.bundled_choices), self._on_bundled_loaded, self._on_load_failed)

    def _on_bundled_loaded(self, choices: list[setup.ChecklistChoice]) -> None:
        self._loading = False
        self.list.clear()
        for choice in choices:
            self._add(choice)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.completeChanged.emit()

    def _on_load_failed(self, message: str, details: str) -> None:
        self._loading = False
        self.list.clear()
        show_failure(self, self.message, message, details)
        self.completeChanged.emit()

    def _add(self, choice: setup.ChecklistChoice) -> QListWidgetItem:
        if choice.valid:
            origin = "bundled" if choice.bundled else str(choice.path)
            text = f"{choice.title}\n    {choice.id} {choice.version} · {choice.items} items · {origin}"
        else:
            text = f"{choice.path.name}\n    not valid: {len(choice.problems)} problem(s) · {choice.path}"
        item = QListWidgetItem(text, self.list)
        item.setData(CHOICE_ROLE, choice)
        return item

    def _on_open_clicked(self) -> None:
        chosen = choose_file_to_open(self, self._context.settings, "Open a checklist file",
                                     "Checklists (*.yaml *.yml);;All files (*)")
        if chosen:
            self.open_file(chosen)

    def open_file(self, path: str | Path) -> None:
        """Check a checklist file in the background, then list it (valid or with its problems)."""
        self._loading = True
        self.message.show_note(f"Checking {Path(path).name}…")
        self.completeChanged.emit()
        function = without_progress(setup.check_checklist_file, str(path))
        self._context.run(function, self._on_file_checked, self._on_load_failed)

    def _on_file_checked(self, choice: setup.ChecklistChoice) -> None:
        self._loading = False
        self.message.clear()
        for row in range(self.list.count()):  # opening the same file again replaces its entry
            existing = self.list.item(row).data(CHOICE_ROLE)
            if existing is not None and not existing.bundled and existing.path == choice.path:
                self.list.takeItem(row)
                break
        self.list.setCurrentItem(self._add(choice))
        self.completeChanged.emit()

    def current_choice(self) -> setup.ChecklistChoice | None:
        item = self.list.currentItem()
        return item.data(CHOICE_ROLE) if item is not None else None

    def _on_current_changed(self, *_items: object) -> None:
        choice = self.current_choice()
        self._show_problems(choice if choice is not None and not choice.valid else None)
        self.completeChanged.emit()

    def _show_problems(self, choice: setup.ChecklistChoice | None) -> None:
        visible = choice is not None
        self.problems_label.setVisible(visible)
        self.problems.setVisible(visible)
        if choice is None:
            self.problems.clear()
            return
        count = len(choice.problems)
        self.problems_label.setText(
            f"{choice.path.name} cannot be used: it has {count} &problem{'s' if count != 1 else ''}. "
            "Correct the file and open it again, or choose another checklist.")
        self.problems.setPlainText("\n".join(str(problem) for problem in choice.problems))

    def creating(self) -> bool:
        """The audit file is being written."""
        return self._creating

    def isComplete(self) -> bool:
        choice = self.current_choice()
        return (choice is not None and choice.valid and not self._loading and not self._creating) or self._created

    def validatePage(self) -> bool:
        """Create the audit file in the background; the wizard moves on when it exists."""
        if self._created:
            return True
        choice, details = self.current_choice(), self._context.details
        if self._creating or choice is None or not choice.valid or details is None:
            return False
        self._creating = True
        self.message.show_note(f"Creating {details.path}…")
        self.completeChanged.emit()
        function = without_progress(setup.create_audit_file, details.path, choice.path, details.title,
                                    self._context.actor, scope=details.scope, period=details.period)
        self._context.run(function, self._on_created, self._on_create_failed)
        return False

    def _on_created(self, state: SetupState) -> None:
        self._creating = False
        self._created = True
        self._context.state = state
        self._context.settings.add_recent_audit(state.path)
        self.message.clear()
        self.completeChanged.emit()
        self.wizard().next()

    def _on_create_failed(self, message: str, details: str) -> None:
        self._creating = False
        show_failure(self, self.message, message, details)
        self.completeChanged.emit()
