"""Page 5 of the new-audit wizard: the sample design, with the size and strata following every change."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from audit_app.core.sampling import generate_seed, stratum_label
from audit_app.errors import AuditError
from audit_app.services import population, sampling
from audit_app.services.sampling import DesignPreview, SampleRequest
from audit_app.ui.wizard.context import WizardContext
from audit_app.ui.wizard.widgets import (
    CHOICE_ROLE,
    FIELD_LABELS,
    MessageLabel,
    RowsTableModel,
    buddy_label,
    fit_columns,
    read_only_table,
    show_failure,
)
from audit_app.ui.workers import on_audit


class DesignPage(QWizardPage):
    """The sample design; the size and the per-stratum table follow every change of an input."""

    METHODS = ("fixed", "attribute", "margin")

    def __init__(self, context: WizardContext, parent: QWidget | None = None):
        super().__init__(parent)
        self._context = context
        self._populations: dict[tuple[str, ...], dict[str, int]] = {}  # strata fields → stratum sizes
        self._counting: set[tuple[str, ...]] = set()
        self._strata_fields: list[str] | None = None
        self._preview: DesignPreview | None = None
        self._request: SampleRequest | None = None
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)  # recompute once typing pauses, not on every keystroke
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.setTitle("Sample design")
        self.setSubTitle("How many files to review and how to spread them over the strata. The size and the "
                         "table on the right follow your choices.")
        layout = QHBoxLayout(self)
        layout.addLayout(self._build_inputs(), 1)
        layout.addLayout(self._build_result(), 1)

    def _build_inputs(self) -> QVBoxLayout:
        method_box = self._build_method_box()
        self.sizes_form = QFormLayout()  # one form for the size and the strata rows, so the labels line up
        self._build_size_rows()
        self._build_strata_rows()
        column = QVBoxLayout()
        column.addWidget(method_box)
        column.addLayout(self.sizes_form)
        column.addStretch(1)
        return column

    def _build_method_box(self) -> QGroupBox:
        self.method_buttons = QButtonGroup(self)
        method_box = QGroupBox("Method", self)
        method_layout = QVBoxLayout(method_box)
        for index, text in enumerate(("A fi&xed number of files",
                                      "&Attribute sampling: assurance the failure rate is below a tolerable rate",
                                      "Margin of &error: estimate compliance to within ± a margin")):
            button = QRadioButton(text, method_box)
            self.method_buttons.addButton(button, index)
            method_layout.addWidget(button)
        self.method_buttons.button(1).setChecked(True)
        return method_box

    def _build_size_rows(self) -> None:
        self.size_spin = QSpinBox(self)
        self.size_spin.setRange(1, 10_000_000)
        self.size_spin.setValue(30)
        self.size_spin.setSuffix(" files")
        self.size_spin.setAccessibleName("Sample size")
        self.confidence_spin = _percent_spin(50, 99.9, 95, "Confidence", self)
        self.tolerable_spin = _percent_spin(0.1, 50, 5, "Tolerable failure rate", self)
        self.expected_spin = _percent_spin(0, 49.9, 0, "Expected failure rate", self)
        self.margin_spin = _percent_spin(0.1, 50, 5, "Margin of error", self)
        self.proportion_spin = _percent_spin(1, 99, 50, "Anticipated compliance rate", self)
        for text, widget in (("Sample si&ze:", self.size_spin), ("Con&fidence:", self.confidence_spin),
                             ("&Tolerable failure rate:", self.tolerable_spin),
                             ("Expe&cted failure rate:", self.expected_spin),
                             ("&Margin of error ±:", self.margin_spin), ("Antici&pated rate:", self.proportion_spin)):
            self.sizes_form.addRow(buddy_label(text, widget, self), widget)

    def _build_strata_rows(self) -> None:
        self.strata_list = QListWidget(self)
        self.strata_list.setAccessibleName("Strata fields")
        self.allocation_combo = QComboBox(self)
        self.allocation_combo.setAccessibleName("Allocation")
        self.allocation_combo.addItem("In proportion to stratum size", "proportional")
        self.allocation_combo.addItem("Equal for every stratum", "equal")
        self.minimum_spin = QSpinBox(self)
        self.minimum_spin.setRange(0, 100_000)
        self.minimum_spin.setSpecialValueText("none")
        self.minimum_spin.setAccessibleName("Minimum files per stratum")
        self.reserve_spin = QSpinBox(self)
        self.reserve_spin.setRange(0, 1_000)
        self.reserve_spin.setValue(sampling.DEFAULT_RESERVE)
        self.reserve_spin.setToolTip("Files kept in order after each stratum's sample, to replace a sampled file "
                                     "that turns out to be out of scope")
        self.reserve_spin.setAccessibleName("Reserve files per stratum")
        self.seed_edit = QLineEdit(generate_seed(), self)
        self.seed_edit.setAccessibleName("Seed")
        self.new_seed_button = QPushButton("Ne&w seed", self)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_edit, 1)
        seed_row.addWidget(self.new_seed_button)
        form = self.sizes_form
        form.addRow(buddy_label("&Stratify by:", self.strata_list, self), self.strata_list)
        form.addRow(buddy_label("A&llocation:", self.allocation_combo, self), self.allocation_combo)
        form.addRow(buddy_label("M&inimum per stratum:", self.minimum_spin, self), self.minimum_spin)
        form.addRow(buddy_label("&Reserves per stratum:", self.reserve_spin, self), self.reserve_spin)
        form.addRow(buddy_label("See&d:", self.seed_edit, self), seed_row)
        self.strata_list.setMaximumHeight(self.fontMetrics().lineSpacing() * 8)

    def _build_result(self) -> QVBoxLayout:
        self.size_label = QLabel(self)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)  # relative to the system font, so it scales with it
        font.setBold(True)
        self.size_label.setFont(font)
        self.size_label.setAccessibleName("Sample size")
        self.basis_label = QLabel(self)
        self.basis_label.setWordWrap(True)
        self.basis_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.strata_model = RowsTableModel(["Stratum", "In the frame", "Sample", "Reserve", "Chance"])
        self.strata_view = read_only_table(self.strata_model, "Sample per stratum", self, stretch=0)
        self.strata_view.setWordWrap(True)  # a long stratum name wraps rather than being cut short
        self.message = MessageLabel(self)
        self.scope_warning = MessageLabel(self)
        column = QVBoxLayout()
        column.addWidget(self.scope_warning)
        column.addWidget(self.size_label)
        column.addWidget(self.basis_label)
        column.addWidget(buddy_label("Sample per strat&um:", self.strata_view, self))
        column.addWidget(self.strata_view, 1)
        column.addWidget(self.message)
        return column

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self._recompute)
        self.method_buttons.idToggled.connect(self._on_method_toggled)
        for spin in (self.size_spin, self.minimum_spin, self.reserve_spin, self.confidence_spin, self.tolerable_spin,
                     self.expected_spin, self.margin_spin, self.proportion_spin):
            spin.valueChanged.connect(self._schedule)
        self.strata_list.itemChanged.connect(self._schedule)
        self.allocation_combo.currentIndexChanged.connect(self._schedule)
        self.seed_edit.textChanged.connect(self._schedule)
        self.new_seed_button.clicked.connect(self._on_new_seed_clicked)

    def initializePage(self) -> None:
        state = self._context.state
        fields = state.strata_fields if state else []
        if fields != self._strata_fields:
            self._fill_strata(fields)
        self._populations.clear()  # the frame may have grown since (another import)
        warning = population.out_of_scope_warning(state.out_of_scope) if state else ""
        if warning:
            self.scope_warning.show_problem(warning)
        else:
            self.scope_warning.clear()
        self._show_method_rows()
        self._schedule()

    def _fill_strata(self, fields: list[str]) -> None:
        checked = set(self.strata()) if self._strata_fields is not None else {"offence_group"}
        self._strata_fields = list(fields)
        self.strata_list.blockSignals(True)
        self.strata_list.clear()
        for name in fields:
            text = FIELD_LABELS.get(name, f"{name} (extra column)")
            item = QListWidgetItem(text, self.strata_list)
            item.setData(CHOICE_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
        self.strata_list.blockSignals(False)

    def _on_method_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self._show_method_rows()
            self._schedule()

    def _show_method_rows(self) -> None:
        method = self.method()
        visible = {
            self.size_spin: method == "fixed",
            self.confidence_spin: method != "fixed",
            self.tolerable_spin: method == "attribute",
            self.expected_spin: method == "attribute",
            self.margin_spin: method == "margin",
            self.proportion_spin: method == "margin",
        }
        for widget, shown in visible.items():
            self.sizes_form.setRowVisible(widget, shown)

    def _on_new_seed_clicked(self) -> None:
        self.seed_edit.setText(generate_seed())

    def method(self) -> str:
        return self.METHODS[max(0, self.method_buttons.checkedId())]

    def strata(self) -> list[str]:
        return [self.strata_list.item(i).data(CHOICE_ROLE) for i in range(self.strata_list.count())
                if self.strata_list.item(i).checkState() == Qt.CheckState.Checked]

    def request(self) -> SampleRequest:
        """The design as chosen now (raises AuditError for an input that cannot work)."""
        seed = self.seed_edit.text().strip()
        if not seed:
            raise AuditError("Give a seed (any text, or press New seed): it is recorded so that anyone can "
                             "draw the same sample again.")
        common: dict[str, Any] = {
            "strata": self.strata(), "allocation": self.allocation_combo.currentData(),
            "min_per_stratum": self.minimum_spin.value() or None, "seed": seed, "reserve": self.reserve_spin.value(),
        }
        method = self.method()
        if method == "fixed":
            return SampleRequest(size=self.size_spin.value(), **common)
        if method == "attribute":
            return SampleRequest(confidence=_rate(self.confidence_spin), tolerable=_rate(self.tolerable_spin),
                                 expected=_rate(self.expected_spin), **common)
        return SampleRequest(confidence=_rate(self.confidence_spin), margin=_rate(self.margin_spin),
                             proportion=_rate(self.proportion_spin), **common)

    # -- the live preview

    def _schedule(self, *_args: object) -> None:
        self._stale = True
        self.completeChanged.emit()
        self._timer.start()

    def _recompute(self) -> None:
        try:
            request = self.request()
        except AuditError as error:
            self._show_problem(str(error))
            return
        fields = tuple(request.strata)
        populations = self._populations.get(fields)
        if populations is None:
            self._count_strata(fields)
            return
        try:
            preview = sampling.design_preview(request, populations)
        except AuditError as error:
            self._show_problem(str(error))
            return
        self._show_preview(request, preview)

    def _count_strata(self, fields: tuple[str, ...]) -> None:
        """Count the files per stratum in the background; the preview follows when they arrive."""
        self.basis_label.setText("Counting the files in each stratum…")
        if fields in self._counting or self._context.audit_path is None:
            return
        self._counting.add(fields)
        function = on_audit(self._context.audit_path, sampling.stratum_populations, fields)
        self._context.run(function, partial(self._on_strata_counted, fields), self._on_count_failed)

    def _on_strata_counted(self, fields: tuple[str, ...], populations: dict[str, int]) -> None:
        self._counting.discard(fields)
        self._populations[fields] = populations
        self._recompute()

    def _on_count_failed(self, message: str, details: str) -> None:
        self._counting.clear()
        show_failure(self, self.message, message, details)

    def _show_problem(self, text: str) -> None:
        self._preview = self._request = None
        self._stale = False
        self.size_label.setText("No sample")
        self.basis_label.clear()
        self.strata_model.set_rows([])
        self.message.show_problem(text)
        self.completeChanged.emit()

    def _show_preview(self, request: SampleRequest, preview: DesignPreview) -> None:
        self._preview, self._request, self._stale = preview, request, False
        self.size_label.setText(f"{preview.n:,} of {preview.frame_size:,} files")
        self.basis_label.setText(_basis_text(request, preview))
        self.strata_model.set_rows([(stratum_label(row.key), row.population, row.sample, row.reserve,
                                     f"{row.probability:.1%}") for row in preview.strata])
        fit_columns(self.strata_view)
        if preview.disproportionate:
            self.message.show_note("The strata are not sampled in proportion to their size, so results for the "
                                   "whole frame will be weighted: each reviewed file counts for its stratum's "
                                   "files in the frame divided by its sample.")
        else:
            self.message.clear()
        self.completeChanged.emit()

    def current(self) -> tuple[SampleRequest, DesignPreview] | None:
        """The design and its preview, when the preview is up to date."""
        if self._stale or self._preview is None or self._request is None:
            return None
        return self._request, self._preview

    def isComplete(self) -> bool:
        return self.current() is not None


def _percent_spin(minimum: float, maximum: float, value: float, name: str, parent: QWidget) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setRange(minimum, maximum)
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setSuffix(" %")
    spin.setValue(value)
    spin.setAccessibleName(name)
    return spin


def _rate(spin: QDoubleSpinBox) -> float:
    """A percentage spin box as a rate, exact to the decimal shown (5 % is 0.05, not 0.05000000000000001)."""
    return float(Decimal(str(round(spin.value(), spin.decimals()))) / 100)


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{Decimal(repr(rate)) * 100:f}".rstrip("0").rstrip(".")


def _basis_text(request: SampleRequest, preview: DesignPreview) -> str:
    """How the size was reached, in words, with the method name as the CLI's ``samplesize`` gives it."""
    if request.size is not None:
        return "A fixed size, set by you."
    confidence = _percent(request.confidence)
    unlimited = (f" For a very large population it would be {preview.large_population_n:,}."
                 if preview.large_population_n is not None and preview.large_population_n != preview.n else "")
    if request.tolerable is not None:
        return (f"At {confidence}% confidence that the failure rate is below {_percent(request.tolerable)}% "
                f"(expected {_percent(request.expected)}%): the assurance holds if no more than "
                f"{preview.acceptance_number} of the {preview.n:,} files fail. Method: {preview.method}.{unlimited}")
    return (f"Estimates a compliance rate to within ±{_percent(request.margin)} points at {confidence}% "
            f"confidence (anticipated rate {_percent(request.proportion)}%). Method: {preview.method}.{unlimited}")
