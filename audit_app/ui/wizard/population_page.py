"""Page 3 of the new-audit wizard: choose the population file, map its columns, set the scope, import it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from audit_app.core import population as pop
from audit_app.errors import AuditError
from audit_app.services import population, setup
from audit_app.services.audits import Audit
from audit_app.services.population import ImportResult, PopulationPreview
from audit_app.services.setup import SetupState
from audit_app.ui.wizard.context import WizardContext, without_progress
from audit_app.ui.wizard.widgets import (
    FIELD_LABELS,
    MessageLabel,
    RowsTableModel,
    buddy_label,
    choose_file_to_open,
    fit_columns,
    read_only_table,
    show_failure,
)
from audit_app.ui.workers import on_audit

# Each group's label (pop.group_label) with its mnemonic letter on this page.
GROUP_MNEMONICS = {"burglary": "l", "robbery": "y", "theft_from_person": "t", "vehicle": "v", "other": "s"}
PRESET_LABELS = {"police-uk": "police.uk street-level crime export (police-uk)"}
NOT_MAPPED = "(not mapped)"


def group_check_text(group: str) -> str:
    """A group's label with its mnemonic marked: "Burg&lary (residential or business)"."""
    label = pop.group_label(group)
    letter = GROUP_MNEMONICS.get(group, "")
    at = label.lower().find(letter) if letter else -1
    return label if at < 0 else f"{label[:at]}&{label[at:]}"


class PopulationPage(QWizardPage):
    """Choose the population file, map its columns, set the scope, and import it."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._file: Path | None = None
        self._base: PopulationPreview | None = None  # as read from the file
        self._preview: PopulationPreview | None = None  # with the current preset and mapping
        self._manual: dict[str, str] = {}  # fields the auditor mapped by hand ("" = left unmapped)
        self._reading = 0  # generation of the preview being read, 0 when none
        self._importing = False
        self._scope_set = False  # the groups were set from the checklist once; the auditor's choices stand
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Population")
        self.setSubTitle("Import the export of recorded crimes the sample is drawn from. Check that each field "
                         "comes from the right column, and which files are in scope.")
        top = self._build_file_row()
        middle = QHBoxLayout()
        middle.addWidget(self._build_mapping(), 3)
        middle.addWidget(self._build_scope(), 2)
        self.preview_model = RowsTableModel()
        self.preview_view = read_only_table(self.preview_model, "First rows of the file", self)
        self.preview_label = buddy_label("First rows of the file (&what each column feeds is under its name):",
                                         self.preview_view, self)
        bottom = self._build_import_row()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview_view, 1)
        self.preview_view.setMinimumHeight(self.fontMetrics().lineSpacing() * 9)
        layout.addLayout(bottom)

    def _build_file_row(self) -> QGridLayout:
        self.file_edit = QLineEdit(self)
        self.file_edit.setReadOnly(True)
        self.file_edit.setAccessibleName("Population file")
        self.file_edit.setPlaceholderText("A CSV or XLSX file")
        self.choose_button = QPushButton("&Choose file…", self)
        self.choose_button.setAccessibleName("Choose the population file")
        self.preset_combo = QComboBox(self)
        self.preset_combo.setAccessibleName("Preset")
        self._fill_presets()
        self.save_preset_button = QPushButton("&Keep this mapping as a preset…", self)
        self.save_preset_button.setAccessibleName("Save the column mapping as a named preset")
        self.save_preset_button.setToolTip("Saved in your settings, for the next export from the same system "
                                           "(also usable as audit-app import --preset NAME)")
        self.save_preset_button.setEnabled(False)
        top = QGridLayout()
        top.addWidget(QLabel("File:", self), 0, 0)
        top.addWidget(self.file_edit, 0, 1)
        top.addWidget(self.choose_button, 0, 2)
        top.addWidget(buddy_label("Pr&eset:", self.preset_combo, self), 1, 0)
        top.addWidget(self.preset_combo, 1, 1)
        top.addWidget(self.save_preset_button, 1, 2)
        top.setColumnStretch(1, 1)
        return top

    def _fill_presets(self, current: str | None = None) -> None:
        """The built-in presets, then the ones the user saved; ``current`` chosen (by name)."""
        combo = self.preset_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("None: match the columns by their names", None)
        for name in population.preset_names():
            label = PRESET_LABELS.get(name) or (name if name in pop.PRESETS else f"{name} (saved)")
            combo.addItem(label, name)
        combo.setCurrentIndex(max(0, combo.findData(current)) if current else 0)
        combo.blockSignals(False)

    def _build_mapping(self) -> QGroupBox:
        box = QGroupBox("Columns", self)
        grid = QGridLayout(box)
        self.field_combos: dict[str, QComboBox] = {}
        self.how_labels: dict[str, QLabel] = {}
        mnemonics = {"ref": "Crime &reference", "offence": "&Offence", "offence_group": "Offence &group",
                     "area": "&Area", "month": "&Month", "outcome": "O&utcome", "officer": "O&fficer in the case"}
        for row, name in enumerate(pop.CANONICAL_FIELDS):
            combo = QComboBox(box)
            combo.setAccessibleName(f"Column for {FIELD_LABELS[name]}")
            combo.setEnabled(False)
            how = QLabel(box)
            how.setMinimumWidth(self.fontMetrics().horizontalAdvance("matched by its header  "))
            how.setAccessibleName(f"How {FIELD_LABELS[name]} was matched")
            grid.addWidget(buddy_label(mnemonics.get(name, FIELD_LABELS[name]) + ":", combo, box), row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(how, row, 2)
            self.field_combos[name] = combo
            self.how_labels[name] = how
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 0)
        return box

    def _build_scope(self) -> QGroupBox:
        box = QGroupBox("Scope: files to sample from", self)
        layout = QVBoxLayout(box)
        self.group_checks: dict[str, QCheckBox] = {}
        for group in population.OFFENCE_GROUPS:
            check = QCheckBox(group_check_text(group), box)
            check.setChecked(True)
            layout.addWidget(check)
            self.group_checks[group] = check
        self.month_check = QCheckBox(box)
        layout.addWidget(self.month_check)
        self.scope_note = QLabel("Files outside the scope are imported but not sampled.", box)
        self.scope_note.setWordWrap(True)
        layout.addWidget(self.scope_note)
        layout.addStretch(1)
        return box

    def _build_import_row(self) -> QHBoxLayout:
        self.message = MessageLabel(self)
        self.import_button = QPushButton("&Import", self)
        self.import_button.setAccessibleName("Import the population file")
        self.import_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignTop)
        return bottom

    def _connect_signals(self) -> None:
        self.choose_button.clicked.connect(self._on_choose_clicked)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        for name, combo in self.field_combos.items():
            combo.activated.connect(partial(self._on_field_chosen, name))
        for check in self.group_checks.values():
            check.toggled.connect(self._on_scope_changed)
        self.save_preset_button.clicked.connect(self._on_save_preset_clicked)
        self.import_button.clicked.connect(self._on_import_clicked)

    def initializePage(self) -> None:
        period = self._context.period
        if period:
            self.month_check.setText(f"Only months in the audit perio&d ({_months_text(period)})")
            self.month_check.setEnabled(True)
        else:
            self.month_check.setText("Only months in the audit perio&d (no period was set)")
            self.month_check.setChecked(False)
            self.month_check.setEnabled(False)
        state = self._context.state
        if state is not None and not self._scope_set:
            self._scope_set = True
            for group, check in self.group_checks.items():
                check.setChecked(group in state.offence_groups)
            if set(state.offence_groups) != set(population.OFFENCE_GROUPS):
                labels = [pop.group_label(g).lower() for g in state.offence_groups]
                groups = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
                self.scope_note.setText(f"The checklist is for: {groups}. Files outside the scope are imported "
                                        "but not sampled.")
        if state is not None and state.imports and not self._file:
            self.message.show_note(f"{len(state.imports)} file(s) imported so far; {state.in_frame:,} in the "
                                   "sampling frame. Import another file, or go on.")

    # -- choosing the file and the mapping

    def _on_choose_clicked(self) -> None:
        chosen = choose_file_to_open(self, self._context.settings, "Choose the population file",
                                     "Population files (*.csv *.xlsx *.txt *.tsv);;All files (*)")
        if chosen:
            self.choose_file(chosen)

    def choose_file(self, path: str | Path) -> None:
        """Read the file's header and first rows in the background, then show the mapping."""
        self._file = Path(path)
        self._manual = {}
        self._base = self._preview = None
        self.file_edit.setText(str(self._file))
        self._reading += 1
        self.message.show_note(f"Reading {self._file.name}…")
        self._update_import_button()
        function = without_progress(population.preview_population, self._file, self.preset_combo.currentData())
        self._context.run(function, partial(self._on_preview_read, self._reading), self._on_preview_failed)

    def _on_preview_read(self, generation: int, preview: PopulationPreview) -> None:
        if generation != self._reading:
            return  # another file was chosen meanwhile
        self._reading = 0
        self._base = preview
        self._remap()

    def _on_preview_failed(self, message: str, details: str) -> None:
        self._reading = 0
        self._base = self._preview = None
        self.preview_model.set_rows([], [])
        for combo in self.field_combos.values():
            combo.clear()
            combo.setEnabled(False)
        show_failure(self, self.message, message, details)
        self._update_import_button()

    def _on_preset_changed(self, _index: int) -> None:
        if self._base is not None:
            self._remap()

    def _on_field_chosen(self, name: str, _index: int) -> None:
        column = self.field_combos[name].currentData() or ""
        for other, chosen in list(self._manual.items()):
            if other != name and chosen and chosen == column:
                del self._manual[other]  # a column feeds one field: the latest choice wins
        self._manual[name] = column
        self._remap()

    def _remap(self) -> None:
        assert self._base is not None
        preview = population.remap(self._base, self.preset_combo.currentData(), self._manual)
        earlier = self._earlier_import(preview.sha256)
        if earlier and not preview.problem:
            preview = replace(preview, problem=earlier)
        self._preview = preview
        self._show_mapping(preview)
        self._show_rows(preview)
        if preview.problem:
            self.message.show_problem(preview.problem)
        else:
            self.message.show_note(f"{preview.name}: {_format_text(preview)}, {len(preview.header)} columns. "
                                   "Check the columns, then Import.")
        self._update_import_button()

    def _earlier_import(self, sha256: str) -> str:
        """Why this file cannot be imported again ("" when it was not imported before)."""
        state = self._context.state
        earlier = next((i for i in state.imports if i.sha256 == sha256), None) if state else None
        if earlier is None:
            return ""
        called = f", as {earlier.source_name}" if self._file is None or earlier.source_name != self._file.name else ""
        return (f"This file was already imported on {population.imported_on(earlier.imported_at)} (batch "
                f"{earlier.batch}{called}): its rows are in the audit already. Choose another file, or go on.")

    def _on_scope_changed(self) -> None:
        if self._preview is not None and not self._preview.problem:
            self.message.clear()

    def _on_save_preset_clicked(self) -> None:
        if self._preview is None or self._preview.problem:
            return
        current = self.preset_combo.currentData()
        suggested = current if current and current not in pop.PRESETS else ""
        name, ok = QInputDialog.getText(self, "Keep this mapping as a preset",
                                        "Name the preset after the system the export comes from (it is kept in "
                                        "your settings, for the next export):", QLineEdit.EchoMode.Normal, suggested)
        if not ok:
            return
        declined = {field: "" for field, column in self._manual.items() if not column}
        try:
            saved = population.save_preset(name, {**declined, **self._preview.fields})
        except AuditError as error:
            self.message.show_problem(str(error))
            return
        self._manual = {}
        self._fill_presets(saved)
        self._remap()
        self.message.show_note(f"The column mapping is saved as the preset '{saved}': choose it for the next export "
                               f"from this system, or use audit-app import --preset \"{saved}\".")

    def _show_mapping(self, preview: PopulationPreview) -> None:
        for name, combo in self.field_combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NOT_MAPPED, "")
            for column in preview.header:
                combo.addItem(column, column)
            combo.setCurrentIndex(max(0, combo.findData(preview.fields.get(name, ""))))
            combo.setEnabled(True)
            combo.blockSignals(False)
            self.how_labels[name].setText(preview.how_text(name))

    def _show_rows(self, preview: PopulationPreview) -> None:
        feeds = {column: name for name, column in preview.fields.items()}
        headings = [f"{column}\n→ {FIELD_LABELS[feeds[column]]}" if column in feeds else f"{column}\n(extra)"
                    for column in preview.header]
        self.preview_model.set_rows(preview.rows, headings)
        fit_columns(self.preview_view, 24)

    def _update_import_button(self) -> None:
        ready = self._preview is not None and not self._preview.problem and not self._reading and not self._importing
        self.import_button.setEnabled(ready)
        mapped = self._preview is not None and "ref" in self._preview.fields and not self._reading
        self.save_preset_button.setEnabled(mapped and not self._importing)

    # -- the import

    def scope(self) -> dict[str, list[str]]:
        """The scope for the current choices (raises AuditError for a scope that cannot work)."""
        assert self._preview is not None
        groups = [group for group, check in self.group_checks.items() if check.isChecked()]
        period = self._context.period
        months = population.months_between(*period) if period and self.month_check.isChecked() else []
        return population.build_scope(self._preview.fields, groups, months)

    def _on_import_clicked(self) -> None:
        if self._preview is None or self._file is None or self._context.audit_path is None:
            return
        try:
            scope = self.scope()
        except AuditError as error:
            self.message.show_problem(str(error))
            return
        assert self._context.audit_path is not None
        function = on_audit(self._context.audit_path, _import_then_state, self._file, progress=True,
                            preset=self.preset_combo.currentData(), mapping=dict(self._manual), scope=scope,
                            actor=self._context.actor)
        self._importing = True
        self._update_import_button()
        self.completeChanged.emit()
        self.message.show_note(f"Importing {self._file.name}…")
        task = self._context.run_with_dialog(self, "Importing the population", f"Importing {self._file.name}…",
                                             function)
        task.succeeded.connect(self._on_imported)
        task.failed.connect(self._on_import_failed)
        task.cancelled.connect(self._on_import_cancelled)
        self.import_task = task  # tests reach its dialog to press Cancel

    def _on_imported(self, outcome: tuple[ImportResult, SetupState]) -> None:
        result, state = outcome
        self._context.state = state
        self.message.show_note(f"Imported {result.imported:,} of {result.rows_read:,} rows from {result.source_name}.")
        self._import_ended()
        self.wizard().next()

    def _on_import_failed(self, message: str, details: str) -> None:
        show_failure(self, self.message, message + " Nothing was imported.", details)
        self._import_ended()

    def _on_import_cancelled(self) -> None:
        self.message.show_note("The import was cancelled: nothing was recorded. Import again when ready.")
        self._import_ended()

    def _import_ended(self) -> None:
        self._importing = False
        self._update_import_button()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        state = self._context.state
        return bool(state and state.imports) and not self._importing


def _import_then_state(audit: Audit, source: Path, **options: Any) -> tuple[ImportResult, SetupState]:
    """The import, then the audit's state after it, on the task's one connection."""
    return population.import_population(audit, source, **options), setup.setup_state(audit)


def _months_text(period: tuple[dt.date, dt.date]) -> str:
    start, end = period
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%B %Y}"
    return f"{start:%B %Y} to {end:%B %Y}"


def _format_text(preview: PopulationPreview) -> str:
    if preview.format == "xlsx":
        return "Excel workbook"
    delimiter = {",": "comma", ";": "semicolon", "\t": "tab"}.get(preview.delimiter, repr(preview.delimiter))
    return f"CSV, {delimiter}-separated, {preview.encoding}"
