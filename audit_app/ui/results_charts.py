"""The results' charts, painted with QPainter: the forest plot of item compliance (a point and its
interval per item on a 0–100 % axis, the tolerable line, the conclusion by shape and colour) and
the horizontal bars of the grade distribution and the file flags.

Every colour comes from the widget's palette (so a dark palette gives a dark chart), except the two
conclusion hues, which are the Okabe–Ito blue and vermilion (distinguishable with the common colour
vision deficiencies), in a lighter tint on a dark palette; a conclusion is always told by its shape
too. Every size comes from the font's metrics, so the charts grow with the user's text size. The
charts draw what they are given: the rows, already formatted, come from the results page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QToolTip, QWidget

from audit_app.ui.results_text import (
    STATE_ASSURED,
    STATE_EMPTY,
    STATE_NO_CONCLUSION,
    STATE_NOT_ASSURED,
    STATE_TOO_FEW,
)

# The axis' ticks, every 20 % when their labels fit, else fewer (a narrow chart, a large font).
TICK_SETS = ((0.0, 0.2, 0.4, 0.6, 0.8, 1.0), (0.0, 0.5, 1.0), (0.0, 1.0))
# Okabe & Ito (2008): blue and vermilion on a light background, sky blue and orange on a dark one.
HUES = {STATE_ASSURED: ("#0072B2", "#56B4E9"), STATE_NOT_ASSURED: ("#D55E00", "#E69F00")}
LEGEND_WORDS = {STATE_ASSURED: "Assured", STATE_NOT_ASSURED: "Not assured",
                STATE_TOO_FEW: "Too few files to conclude", STATE_NO_CONCLUSION: "No tolerable rate: no conclusion"}


# -- colours and marks


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    """``a`` with ``share_of_b`` of ``b`` blended in."""
    s = share_of_b
    return QColor.fromRgbF(a.redF() * (1 - s) + b.redF() * s, a.greenF() * (1 - s) + b.greenF() * s,
                           a.blueF() * (1 - s) + b.blueF() * s)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightnessF() < 0.5


def state_colour(palette: QPalette, state: str) -> QColor:
    """The colour of a conclusion on this palette."""
    if state in HUES:
        light, dark = HUES[state]
        return QColor(dark if is_dark(palette) else light)
    text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
    return mix(text, base, 0.35) if state == STATE_TOO_FEW else text


def grid_colour(palette: QPalette) -> QColor:
    return mix(palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text), 0.18)


def faint_text(palette: QPalette) -> QColor:
    return mix(palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base), 0.4)


def draw_mark(painter: QPainter, centre: QPointF, radius: float, state: str, palette: QPalette) -> None:
    """The conclusion's shape: a filled circle (assured), a filled triangle (not assured), a hollow
    circle (too few files), a hollow square (no conclusion)."""
    colour = state_colour(palette, state)
    painter.save()
    painter.setPen(QPen(colour, max(1.0, radius / 3)))
    painter.setBrush(colour if state in (STATE_ASSURED, STATE_NOT_ASSURED) else palette.color(QPalette.ColorRole.Base))
    r = radius
    if state == STATE_NOT_ASSURED:
        r *= 1.2  # a triangle looks smaller than a circle of the same radius
        painter.drawPolygon(QPolygonF([QPointF(centre.x(), centre.y() - r), QPointF(centre.x() + r, centre.y() + r * 0.8),
                                       QPointF(centre.x() - r, centre.y() + r * 0.8)]))
    elif state == STATE_NO_CONCLUSION:
        painter.drawRect(QRectF(centre.x() - r * 0.85, centre.y() - r * 0.85, r * 1.7, r * 1.7))
    else:
        painter.drawEllipse(centre, r, r)
    painter.restore()


# -- the forest plot


@dataclass(frozen=True)
class ForestRow:
    """One item on the plot, formatted by the page."""

    key: str  # the item id
    label: str  # "A1"
    text: str  # the question
    estimate: float | None
    low: float | None
    high: float | None
    state: str  # results_text.STATE_*
    value_text: str  # "83% (71–91%)"
    tooltip: str


@dataclass(frozen=True)
class ForestGroup:
    heading: str  # a section's title ("" for none)
    rows: tuple[ForestRow, ...]


@dataclass(frozen=True)
class _Line:
    heading: str
    row: ForestRow | None
    top: int


class _Geometry:
    """Where everything goes, from the font's metrics and the width."""

    def __init__(self, font: QFont, width: int, label_texts: Sequence[str], value_texts: Sequence[str]):
        fm = QFontMetrics(font)
        self.fm = fm
        self.line = fm.height()
        self.pad = max(2, fm.averageCharWidth())
        self.row = self.line + max(4, self.line // 2)
        self.radius = max(3.0, self.line * 0.3)
        widest_value = max([fm.horizontalAdvance(t) for t in value_texts] + [fm.horizontalAdvance("100% (100–100%)")])
        widest_value += self.pad  # slack: elidedText measures a little wider than horizontalAdvance
        self.value_width = min(widest_value, width // 4) + self.pad
        widest_label = max([fm.horizontalAdvance(t) for t in label_texts] + [fm.horizontalAdvance("M" * 12)])
        self.label_width = min(widest_label, int(width * 0.32)) + self.pad
        half_tick = fm.horizontalAdvance("100%") // 2 + self.pad
        self.x0 = self.pad + self.label_width + half_tick
        self.x1 = max(self.x0 + self.pad * 4, width - self.value_width - self.pad - half_tick)
        self.value_x = width - self.value_width - self.pad
        room = fm.horizontalAdvance("100%") + self.pad * 2
        self.ticks = next((ticks for ticks in TICK_SETS if (self.x1 - self.x0) * (ticks[1] - ticks[0]) >= room),
                          TICK_SETS[-1])

    def x(self, share: float) -> float:
        return self.x0 + (self.x1 - self.x0) * min(1.0, max(0.0, share))


class ForestPlot(QWidget):
    """One row per item under its section's heading: the compliance point and its interval on a
    0–100 % axis, and the tolerable line at compliance = 1 − t. Click or arrow keys select a row
    (``item_selected``); each row has its figures as a tooltip. Its header (legend and axis) is a
    :class:`ForestHeader`, kept in view above it by :class:`ForestView`."""

    item_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._groups: tuple[ForestGroup, ...] = ()
        self.tolerable: float | None = None
        self.weighted = False
        self.interval_words = "interval"
        self.empty_text = "No results yet."
        self._selected: str | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Compliance by item (forest plot)")
        self.setAccessibleDescription("Each item's compliance with its interval, under its section, and the tolerable "
                                      "line. The item table has the same figures as text.")
        self.setMouseTracking(False)

    # -- what it shows

    def set_groups(self, groups: Sequence[ForestGroup], tolerable: float | None, weighted: bool,
                   interval_words: str = "interval") -> None:
        self._groups = tuple(groups)
        self.tolerable, self.weighted, self.interval_words = tolerable, weighted, interval_words
        if self._selected is not None and self._selected not in self.keys():
            self._selected = None
        self.updateGeometry()
        self.update()

    def groups(self) -> tuple[ForestGroup, ...]:
        return self._groups

    def keys(self) -> list[str]:
        return [row.key for group in self._groups for row in group.rows]

    def select(self, key: str | None) -> None:
        """Highlight an item's row (without emitting ``item_selected``)."""
        if key != self._selected:
            self._selected = key
            self.update()

    def selected(self) -> str | None:
        return self._selected

    # -- layout

    def geometry_for(self, width: int) -> _Geometry:
        rows = [row for group in self._groups for row in group.rows]
        return _Geometry(self.font(), width, [f"{r.label}  {r.text}" for r in rows], [r.value_text for r in rows])

    def lines(self) -> list[_Line]:
        """Every line of the plot, top to bottom: section headings and item rows."""
        g = self.geometry_for(max(1, self.width()))
        out, y = [], g.pad // 2
        for group in self._groups:
            if group.heading:
                out.append(_Line(group.heading, None, y))
                y += g.row
            for row in group.rows:
                out.append(_Line("", row, y))
                y += g.row
        return out

    def row_rect(self, key: str) -> QRect:
        g = self.geometry_for(max(1, self.width()))
        line = next((line for line in self.lines() if line.row is not None and line.row.key == key), None)
        return QRect() if line is None else QRect(0, line.top, self.width(), g.row)

    def content_height(self) -> int:
        g = self.geometry_for(max(1, self.width()))
        count = sum(len(group.rows) + bool(group.heading) for group in self._groups)
        return g.pad + g.row * max(count, 2)

    def sizeHint(self) -> QSize:
        g = self.geometry_for(640)
        return QSize(g.pad * 2 + g.label_width + g.value_width + g.fm.horizontalAdvance("0") * 40, self.content_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(QFontMetrics(self.font()).averageCharWidth() * 50, self.content_height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.setMinimumHeight(self.content_height())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.setMinimumHeight(self.content_height())
            self.updateGeometry()

    # -- painting

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        g = self.geometry_for(self.width())
        if not self._groups:
            painter.setPen(faint_text(palette))
            painter.drawText(self.rect().adjusted(g.pad, 0, -g.pad, 0), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        lines = self.lines()
        bottom = lines[-1].top + g.row if lines else 0
        for number, line in enumerate(lines):
            self._paint_band(painter, g, line, number, palette)
        self._paint_grid(painter, g, 0, bottom, palette)
        for line in lines:
            if line.row is None:
                self._paint_heading(painter, g, line, palette)
            else:
                self._paint_row(painter, g, line.top, line.row, palette)

    def _paint_band(self, painter: QPainter, g: _Geometry, line: _Line, number: int, palette: QPalette) -> None:
        rect = QRect(0, line.top, self.width(), g.row)
        if line.row is not None and line.row.key == self._selected:
            highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
            painter.fillRect(rect, mix(palette.color(QPalette.ColorRole.Base), highlight, 0.35))
            if self.hasFocus():
                painter.save()
                painter.setPen(QPen(highlight, 1, Qt.PenStyle.DotLine))
                painter.drawRect(rect.adjusted(0, 0, -1, -1))
                painter.restore()
        elif line.row is not None and number % 2:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))

    def _paint_grid(self, painter: QPainter, g: _Geometry, top: int, bottom: int, palette: QPalette) -> None:
        painter.save()
        painter.setPen(QPen(grid_colour(palette), 1))
        for tick in g.ticks:
            x = round(g.x(tick))
            painter.drawLine(x, top, x, bottom)
        if self.tolerable is not None:
            pen = QPen(palette.color(QPalette.ColorRole.Text), max(1.0, g.line / 10), Qt.PenStyle.DashLine)
            painter.setPen(pen)
            x = round(g.x(1 - self.tolerable))
            painter.drawLine(x, top, x, bottom)
        painter.restore()

    def _paint_heading(self, painter: QPainter, g: _Geometry, line: _Line, palette: QPalette) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.save()
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        rect = QRect(g.pad, line.top, self.width() - 2 * g.pad, g.row)
        text = QFontMetrics(font).elidedText(line.heading, Qt.TextElideMode.ElideRight, rect.width())
        # a heading's text clears the plot area: draw it on the base colour, over the grid
        width = QFontMetrics(font).horizontalAdvance(text) + g.pad
        painter.fillRect(QRect(rect.left(), line.top + 1, min(width, rect.width()), g.row - 2),
                         palette.color(QPalette.ColorRole.Base))
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()

    def _paint_row(self, painter: QPainter, g: _Geometry, top: int, row: ForestRow, palette: QPalette) -> None:
        text_colour = palette.color(QPalette.ColorRole.Text)
        mid = top + g.row / 2
        label_rect = QRect(g.pad * 2, top, g.label_width - g.pad, g.row)
        painter.setPen(text_colour)
        label = g.fm.elidedText(f"{row.label}  {row.text}", Qt.TextElideMode.ElideRight, label_rect.width())
        painter.drawText(label_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        value_rect = QRect(g.value_x, top, g.value_width, g.row)
        value = g.fm.elidedText(row.value_text, Qt.TextElideMode.ElideRight, value_rect.width())
        painter.drawText(value_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, value)
        if row.estimate is None:
            painter.setPen(faint_text(palette))
            words = "no applicable files" if row.state == STATE_EMPTY else "no estimate"
            painter.drawText(QRectF(g.x0, top, g.x1 - g.x0, g.row), Qt.AlignmentFlag.AlignCenter, words)
            return
        colour = state_colour(palette, row.state)
        if row.low is not None and row.high is not None:
            painter.save()
            painter.setPen(QPen(colour, max(1.5, g.line / 8), Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            left, right, cap = g.x(row.low), g.x(row.high), g.radius * 0.9
            painter.drawLine(QPointF(left, mid), QPointF(right, mid))
            painter.drawLine(QPointF(left, mid - cap), QPointF(left, mid + cap))
            painter.drawLine(QPointF(right, mid - cap), QPointF(right, mid + cap))
            painter.restore()
        draw_mark(painter, QPointF(g.x(row.estimate), mid), g.radius, row.state, palette)

    # -- interaction

    def line_at(self, y: int) -> _Line | None:
        g = self.geometry_for(max(1, self.width()))
        return next((line for line in self.lines() if line.top <= y < line.top + g.row), None)

    def tooltip_at(self, y: int) -> str:
        line = self.line_at(y)
        return "" if line is None or line.row is None else line.row.tooltip

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos().y())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        line = self.line_at(int(event.position().y()))
        if line is not None and line.row is not None:
            self._choose(line.row.key)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(Qt.Key(event.key()))
        keys = self.keys()
        if step is None or not keys:
            super().keyPressEvent(event)
            return
        at = keys.index(self._selected) + step if self._selected in keys else 0
        self._choose(keys[min(len(keys) - 1, max(0, at))])

    def _choose(self, key: str) -> None:
        self.select(key)
        self.item_selected.emit(key)


class ForestHeader(QWidget):
    """The plot's legend and axis, painted with the plot's geometry; stays in view while it scrolls."""

    def __init__(self, plot: ForestPlot, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = plot
        self.setAccessibleName("Legend and axis of the forest plot")

    def legend(self) -> list[tuple[str, str]]:
        """(mark, words): a conclusion state, "interval" or "tolerable"."""
        plot = self.plot
        if not plot.groups():
            return []  # nothing shown yet: nothing to explain
        if plot.tolerable is None:
            entries = [(STATE_NO_CONCLUSION, LEGEND_WORDS[STATE_NO_CONCLUSION])]
        else:
            entries = [(state, LEGEND_WORDS[state]) for state in (STATE_ASSURED, STATE_NOT_ASSURED, STATE_TOO_FEW)]
        entries.append(("interval", plot.interval_words))
        if plot.tolerable is not None:
            entries.append(("tolerable", f"Tolerable line: {100 - plot.tolerable * 100:g}% compliance "
                                         f"(failure rate {plot.tolerable * 100:g}%)"))
        return entries

    def _legend_layout(self, g: _Geometry, width: int) -> list[tuple[int, int, str, str]]:
        """(x, y, mark, words) of each legend entry, flowing onto more lines when narrow."""
        x, y, out = g.pad, g.pad // 2, []
        mark_width = int(g.radius * 2 + g.pad)
        for mark, words in self.legend():
            need = mark_width + g.fm.horizontalAdvance(words) + g.pad * 3
            if x > g.pad and x + need > width:
                x, y = g.pad, y + g.line + g.pad // 2
            out.append((x, y, mark, words))
            x += need
        return out

    def height_for(self, width: int) -> int:
        g = self.plot.geometry_for(max(1, width))
        legend = self._legend_layout(g, width)
        legend_bottom = (legend[-1][1] if legend else 0) + g.line
        return legend_bottom + g.pad + g.line * 2 + g.pad // 2

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        g = self.plot.geometry_for(max(1, self.width()))
        text = palette.color(QPalette.ColorRole.Text)
        legend = self._legend_layout(g, self.width())
        for x, y, mark, words in legend:
            self._paint_legend_mark(painter, g, QPointF(x + g.radius, y + g.line / 2), mark, palette)
            painter.setPen(text)
            painter.drawText(QRect(int(x + g.radius * 2 + g.pad), y, self.width(), g.line),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, words)
        top = (legend[-1][1] if legend else 0) + g.line + g.pad
        caption = "Compliance (weighted)" if self.plot.weighted else "Compliance"
        painter.setPen(text)
        painter.drawText(QRect(g.pad * 2, top, g.label_width, g.line), Qt.AlignmentFlag.AlignLeft, "Item")
        # sized to its text: Qt aligns a text wider than its rectangle to the left, and it would be cut
        caption_width = g.fm.horizontalAdvance(caption) + g.pad
        painter.drawText(QRect(self.width() - g.pad - caption_width, top, caption_width, g.line),
                         Qt.AlignmentFlag.AlignRight, caption)
        ticks_top = top + g.line
        for tick in g.ticks:
            label = f"{tick * 100:.0f}%"
            w = g.fm.horizontalAdvance(label)
            painter.drawText(QRect(round(g.x(tick) - w / 2 - 1), ticks_top, w + 2, g.line), Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(QPen(grid_colour(palette), 1))
        painter.drawLine(0, self.height() - 1, self.width(), self.height() - 1)

    def _paint_legend_mark(self, painter: QPainter, g: _Geometry, centre: QPointF, mark: str, palette: QPalette) -> None:
        if mark == "interval":
            painter.save()
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Text), max(1.5, g.line / 8)))
            r = g.radius
            painter.drawLine(QPointF(centre.x() - r, centre.y()), QPointF(centre.x() + r, centre.y()))
            painter.drawLine(QPointF(centre.x() - r, centre.y() - r * 0.8), QPointF(centre.x() - r, centre.y() + r * 0.8))
            painter.drawLine(QPointF(centre.x() + r, centre.y() - r * 0.8), QPointF(centre.x() + r, centre.y() + r * 0.8))
            painter.restore()
        elif mark == "tolerable":
            painter.save()
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Text), max(1.0, g.line / 10), Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(centre.x(), centre.y() - g.line / 2), QPointF(centre.x(), centre.y() + g.line / 2))
            painter.restore()
        else:
            draw_mark(painter, centre, g.radius, mark, palette)


class ForestView(QScrollArea):
    """The forest plot in a scroll area, its header held above the scrolled rows (as a table's header)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = ForestPlot()
        self.header = ForestHeader(self.plot, self)
        self.setWidget(self.plot)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.plot.item_selected.connect(self._on_plot_item_selected)
        self.viewport().installEventFilter(self)

    def set_groups(self, groups: Sequence[ForestGroup], tolerable: float | None, weighted: bool,
                   interval_words: str = "interval") -> None:
        self.plot.set_groups(groups, tolerable, weighted, interval_words)
        # size the plot to its new rows now (not at the next layout pass), so that scrolling to a row
        # straight after a change of order lands where the row is
        self.plot.setMinimumHeight(self.plot.content_height())
        self.plot.resize(self.viewport().width(), max(self.viewport().height(), self.plot.content_height()))
        self._place_header()
        self.header.update()

    def select(self, key: str | None) -> None:
        self.plot.select(key)
        if key is not None:
            self._show_row(key)

    def _show_row(self, key: str) -> None:
        rect = self.plot.row_rect(key)
        if rect.isValid():
            self.ensureVisible(rect.center().x(), rect.center().y(), 0, rect.height())

    def _on_plot_item_selected(self, key: str) -> None:
        self._show_row(key)

    def _place_header(self) -> None:
        # A new margin changes the viewport's height, which may show or hide the scroll bar and so
        # change its width (and the legend's lines): settle on the width the viewport ends with.
        for _ in range(3):
            width = self.viewport().width()
            height = self.header.height_for(width)
            self.setViewportMargins(0, height, 0, 0)
            if self.viewport().width() == width:
                break
        frame = self.frameWidth()
        self.header.setGeometry(frame, frame, width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_header()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # the viewport narrows when the scroll bar appears (the area itself keeps its size): the
        # header follows, or the scroll bar would cover its right end
        if watched is self.viewport() and event.type() == QEvent.Type.Resize \
                and self.header.width() != self.viewport().width():
            self._place_header()
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange):
            self._place_header()
            self.header.update()


# -- bars of shares


@dataclass(frozen=True)
class BarRow:
    label: str  # "Good", "Critical failure"
    estimate: float | None
    low: float | None
    high: float | None
    value_text: str  # "12 files · 40% (24–58%)"
    tooltip: str


@dataclass(frozen=True)
class BarGroup:
    heading: str
    rows: tuple[BarRow, ...]


class ShareBars(QWidget):
    """Shares of files (0–100 %): per row, its label and figures in words on one line, and beneath
    them a bar with its interval across the whole width (so narrow panes never cut the words)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._groups: tuple[BarGroup, ...] = ()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Files by grade, and files with each flag (bar chart)")

    def set_groups(self, groups: Sequence[BarGroup]) -> None:
        self._groups = tuple(groups)
        self.setAccessibleDescription("; ".join(f"{row.label}: {row.value_text}" for group in self._groups
                                                for row in group.rows))
        self.setMinimumHeight(self.content_height())
        self.updateGeometry()
        self.update()

    def groups(self) -> tuple[BarGroup, ...]:
        return self._groups

    def _metrics(self) -> tuple[QFontMetrics, int, int, int]:
        """The font's metrics, a text line's height, a bar's height, the padding."""
        fm = QFontMetrics(self.font())
        return fm, fm.height(), max(4, round(fm.height() * 0.6)), max(2, fm.averageCharWidth())

    def _row_height(self) -> int:
        _, line, bar, pad = self._metrics()
        return line + bar + pad + pad // 2

    def content_height(self) -> int:
        _, line, _, pad = self._metrics()
        height = pad
        for group in self._groups:
            height += (line + pad) * bool(group.heading) + self._row_height() * len(group.rows)
        return max(height, line * 2)

    def sizeHint(self) -> QSize:
        return QSize(QFontMetrics(self.font()).averageCharWidth() * 50, self.content_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(QFontMetrics(self.font()).averageCharWidth() * 30, self.content_height())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.setMinimumHeight(self.content_height())
            self.updateGeometry()

    def lines(self) -> list[tuple[int, int, str, BarRow | None]]:
        """(top, height, heading, row) of each line, top to bottom."""
        _, line, _, pad = self._metrics()
        out: list[tuple[int, int, str, BarRow | None]] = []
        y = pad // 2
        for group in self._groups:
            if group.heading:
                out.append((y, line + pad, group.heading, None))
                y += line + pad
            for row in group.rows:
                out.append((y, self._row_height(), "", row))
                y += self._row_height()
        return out

    def tooltip_at(self, y: int) -> str:
        return next((row.tooltip for top, height, _, row in self.lines() if row is not None and top <= y < top + height), "")

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos().y())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        fm, line, bar, pad = self._metrics()
        if not any(group.rows for group in self._groups):
            painter.setPen(faint_text(palette))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No results yet.")
            return
        text = palette.color(QPalette.ColorRole.Text)
        bold = QFont(self.font())
        bold.setBold(True)
        left, width = pad, self.width() - 2 * pad
        for top, height, heading, row in self.lines():
            painter.setPen(text)
            if row is None:
                painter.setFont(bold)
                painter.drawText(QRect(left, top + pad // 2, width, line), Qt.AlignmentFlag.AlignVCenter, heading)
                painter.setFont(self.font())
                continue
            # a few pixels' slack: elidedText measures a little wider than horizontalAdvance
            value_width = min(fm.horizontalAdvance(row.value_text) + pad, width * 2 // 3)
            label_width = width - value_width - pad
            painter.drawText(QRect(left, top, label_width, line), Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(row.label, Qt.TextElideMode.ElideRight, label_width))
            painter.drawText(QRect(left + width - value_width, top, value_width, line),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(row.value_text, Qt.TextElideMode.ElideRight, value_width))
            self._paint_bar(painter, row, QRectF(left, top + line + pad // 2, width, bar), line, palette)

    def _paint_bar(self, painter: QPainter, row: BarRow, track: QRectF, line: int, palette: QPalette) -> None:
        painter.fillRect(track, grid_colour(palette))
        if row.estimate is None:
            return
        painter.fillRect(QRectF(track.left(), track.top(), track.width() * row.estimate, track.height()),
                         palette.color(QPalette.ColorRole.Highlight))
        if row.low is not None and row.high is not None:
            painter.save()
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Text), max(1.5, line / 10)))
            y = track.center().y()
            low, high = track.left() + track.width() * row.low, track.left() + track.width() * row.high
            painter.drawLine(QPointF(low, y), QPointF(high, y))
            cap = track.height() * 0.7
            painter.drawLine(QPointF(low, y - cap), QPointF(low, y + cap))
            painter.drawLine(QPointF(high, y - cap), QPointF(high, y + cap))
            painter.restore()
