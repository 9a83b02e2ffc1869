"""The foundation of every PDF the application writes: fonts, styles, pages, navigation, safe text.

Every report is a story of flowables laid out by :class:`ReportDocument` in one pass:

- **Fonts**: the DejaVu Sans family shipped in ``resources/fonts`` (with its licence), embedded
  as subsets; never one of the standard 14 PDF fonts, which cannot encode Welsh ŵ ŷ.
- **Pages**: A4, with the protective marking (or none) centred in every page's header and footer,
  the document's title in the header and "Page N of M" in the footer. :class:`ReportCanvas` keeps
  each finished page until the document is saved, so the total is known without a second layout
  pass, and so are the pages that the table of contents points to.
- **Navigation**: a :class:`Heading` is an outline (bookmark) entry and a link target; a
  :class:`Contents` lists headings known before the layout, each a link with its page number.
- **Metadata**: title, author, subject, keywords, creator and the language (en-GB); with a
  provenance manifest (``reports.manifest``) under a key of its own, sealed by the file's digest.
- **Text a person typed** (notes, evidence, titles, profile values) never reaches the paragraph
  parser unescaped: :func:`text` escapes it for one-line use, and :func:`typed` turns any length of
  it into paragraphs small enough to break across pages (a 100,000-character note included).
- **Writing**: :func:`write_pdf` renders to a temporary file beside the target and moves it into
  place, so a failure (or a progress callback that raises to cancel) leaves nothing behind.

No Qt and no SQL: a report renders a frozen data record that the services gathered.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph

from audit_app.errors import AuditError
from audit_app.paths import resources_dir
from audit_app.reports import manifest as manifest_pdf

LANGUAGE = "en-GB"
FAMILY = "AuditSans"  # the registered family; its faces are FAMILY, FAMILY-Bold, -Italic, -BoldItalic
_FACES = {
    FAMILY: "DejaVuSans.ttf",
    f"{FAMILY}-Bold": "DejaVuSans-Bold.ttf",
    f"{FAMILY}-Italic": "DejaVuSans-Oblique.ttf",
    f"{FAMILY}-BoldItalic": "DejaVuSans-BoldOblique.ttf",
}
FONT_LICENCE = "fonts/LICENSE-DejaVu.txt"

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = RIGHT = 18 * mm
TOP = 22 * mm  # the header (marking, title) sits in the top margin
BOTTOM = 20 * mm  # the footer (marking, page N of M) in the bottom one
BODY_WIDTH = PAGE_WIDTH - LEFT - RIGHT
MARKING_COLOUR = colors.HexColor("#9b1c1c")
RULE_COLOUR = colors.HexColor("#b0b7c3")
MUTED = colors.HexColor("#4a5361")
SHADE = colors.HexColor("#eef1f5")
HEADING_COLOUR = colors.HexColor("#1f3a5f")

HEADING_LIMIT = 300  # characters of a heading (an over-long reference is cut there, with an ellipsis)
# Characters of typed text per paragraph. A paragraph splits across pages, but re-wraps its rest at
# every split: pieces keep a 100,000-character note linear in time (and each piece starts a new line).
CHUNK = 4000


def font_files() -> dict[str, Path]:
    """The shipped font face files by registered name."""
    folder = resources_dir() / "fonts"
    return {name: folder / file for name, file in _FACES.items()}


def register_fonts() -> None:
    """Register the shipped family once per process (reportlab keeps a global registry)."""
    if FAMILY in pdfmetrics.getRegisteredFontNames():
        return
    for name, path in font_files().items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(FAMILY, normal=FAMILY, bold=f"{FAMILY}-Bold", italic=f"{FAMILY}-Italic",
                                  boldItalic=f"{FAMILY}-BoldItalic")


# -- styles


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of every report, all in the shipped family."""

    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    typed: ParagraphStyle  # what a reviewer wrote: indented, so it reads as a quotation


def make_styles(base_size: float = 9) -> Styles:
    register_fonts()
    body = ParagraphStyle("body", fontName=FAMILY, fontSize=base_size, leading=base_size * 1.3, spaceAfter=3)
    return Styles(
        title=ParagraphStyle("title", parent=body, fontName=f"{FAMILY}-Bold", fontSize=20, leading=25, spaceAfter=10),
        subtitle=ParagraphStyle("subtitle", parent=body, fontSize=11, leading=15, textColor=MUTED, spaceAfter=4),
        h1=ParagraphStyle("h1", parent=body, fontName=f"{FAMILY}-Bold", fontSize=15, leading=19, spaceBefore=0,
                          spaceAfter=6),
        h2=ParagraphStyle("h2", parent=body, fontName=f"{FAMILY}-Bold", fontSize=11.5, leading=15, spaceBefore=9,
                          spaceAfter=4, keepWithNext=1),
        h3=ParagraphStyle("h3", parent=body, fontName=f"{FAMILY}-Bold", fontSize=base_size + 1.5,
                          leading=(base_size + 1.5) * 1.3, spaceBefore=8, spaceAfter=2, textColor=HEADING_COLOUR,
                          keepWithNext=1),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=base_size - 1.5, leading=(base_size - 1.5) * 1.3,
                             textColor=MUTED),
        label=ParagraphStyle("label", parent=body, fontName=f"{FAMILY}-Bold", spaceAfter=0),
        cell=ParagraphStyle("cell", parent=body, spaceAfter=0),
        cell_bold=ParagraphStyle("cell_bold", parent=body, fontName=f"{FAMILY}-Bold", spaceAfter=0),
        typed=ParagraphStyle("typed", parent=body, leftIndent=10, spaceAfter=0),
    )


# -- text a person typed

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(value: str) -> str:
    """Line ends as \\n, tabs as spaces, other control characters (which no font draws) as U+FFFD."""
    return _CONTROL.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    "))


def text(value: object) -> str:
    """Any value as paragraph markup that shows it literally: ``<b>`` stays ``<b>``, ``&`` stays ``&``,
    a line break stays a line break. Use it for every piece of data put into markup."""
    return escape(_clean(str(value))).replace("\n", "<br/>")


def chunks(value: str, size: int = CHUNK) -> list[str]:
    """``value`` cut into pieces of at most ``size`` characters, at a line end or a space where there
    is one in the last quarter of a piece (so words stay whole), else exactly at ``size``."""
    value = _clean(value)
    out = []
    while len(value) > size:
        cut = max(value.rfind("\n", size * 3 // 4, size), value.rfind(" ", size * 3 // 4, size))
        cut = cut + 1 if cut > 0 else size
        out.append(value[:cut])
        value = value[cut:]
    if value:
        out.append(value)
    return out


def typed(value: str, style: ParagraphStyle, *, prefix: str = "") -> list[Flowable]:
    """Typed text of any length as paragraphs that can break across pages, shown literally.

    :param prefix: markup put before the first piece (e.g. ``"<b>Note:</b> "``): the caller's own
        markup, never typed text.
    """
    pieces = chunks(value)
    if not pieces:
        return [Paragraph(prefix, style)] if prefix else []
    return [Paragraph((prefix if i == 0 else "") + text(piece), style) for i, piece in enumerate(pieces)]


# -- pages


@dataclass(frozen=True)
class DocumentInfo:
    """What every page and the document's metadata say.

    :param marking: the protective marking (e.g. "OFFICIAL-SENSITIVE") in every header and
        footer; ``None`` or "" for none.
    """

    title: str
    author: str
    subject: str
    marking: str | None = None
    keywords: tuple[str, ...] = ()
    creator: str = "audit-app"


Deferred = Callable[[Canvas, int], None]  # draws on a finished page once the page count is known


class ReportCanvas(Canvas):
    """A canvas that holds each finished page until the document is saved, then draws the header
    and footer ("Page N of M" and the marking) and whatever was deferred to that moment: the
    page numbers in a table of contents, which are only known once every heading has been laid out.

    Memory: the pages' content streams are held until the save (about 40 KB a page of text).
    """

    info: DocumentInfo | None = None
    manifest_text: str | None = None  # the provenance manifest, embedded in the metadata at the save

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._deferred: dict[int, list[Deferred]] = {}
        self.anchor_pages: dict[str, int] = {}

    def anchor(self, key: str, top: float = 0) -> None:
        """Make ``key`` a link target at height ``top`` (current coordinates) and remember its page."""
        left, absolute_top = self.absolutePosition(0, top)
        # bound when the page is really written: until then every page is "the current one"
        self.defer(lambda canvas, total: canvas.bookmarkHorizontalAbsolute(key, absolute_top, left=left))
        self.anchor_pages[key] = self.getPageNumber()

    def defer(self, draw: Deferred) -> None:
        """Draw on this page later, when the document is saved (``draw(canvas, page_count)``), in
        the page's own coordinates (use :meth:`absolutePosition` to convert)."""
        self._deferred.setdefault(self.getPageNumber(), []).append(draw)

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            for draw in self._deferred.get(self._pageNumber, ()):
                draw(self, total)
            Canvas.showPage(self)
            state.clear()  # its content is written: let it go
        if self.manifest_text:
            manifest_pdf.install(self, self.manifest_text)
        Canvas.save(self)

    def _decorate(self, total: int) -> None:
        info = self.info
        self.saveState()
        self.setStrokeColor(RULE_COLOUR)
        self.setLineWidth(0.5)
        header_y, footer_y = PAGE_HEIGHT - TOP + 6 * mm, BOTTOM - 9 * mm
        self.line(LEFT, header_y - 2 * mm, PAGE_WIDTH - RIGHT, header_y - 2 * mm)
        self.line(LEFT, footer_y + 4 * mm, PAGE_WIDTH - RIGHT, footer_y + 4 * mm)
        marking = (info.marking or "").strip() if info else ""
        if marking:
            self.setFont(f"{FAMILY}-Bold", 9)
            self.setFillColor(MARKING_COLOUR)
            shown = fit(marking, f"{FAMILY}-Bold", 9, BODY_WIDTH / 2)
            self.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 10 * mm, shown)
            self.drawCentredString(PAGE_WIDTH / 2, 8 * mm, shown)
        self.setFillColor(MUTED)
        self.setFont(FAMILY, 7.5)
        if info:
            self.drawString(LEFT, header_y, fit(info.title, FAMILY, 7.5, BODY_WIDTH * 0.7))
        self.drawRightString(PAGE_WIDTH - RIGHT, footer_y, f"Page {self._pageNumber} of {total}")
        self.restoreState()


def fit(value: str, font: str, size: float, width: float) -> str:
    """``value`` on one line of ``width`` points, cut with an ellipsis when it is longer."""
    value = " ".join(_clean(value).split())
    if pdfmetrics.stringWidth(value, font, size) <= width:
        return value
    low, high = 0, len(value)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(value[:middle] + "…", font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return value[:low] + "…"


class ReportDocument(BaseDocTemplate):
    """An A4 report laid out in one pass, with the marking, page numbers, outline and metadata."""

    def __init__(self, target: str | Any, info: DocumentInfo, manifest: dict[str, Any] | None = None, **kwargs: Any):
        register_fonts()
        super().__init__(
            target, pagesize=A4, leftMargin=LEFT, rightMargin=RIGHT, topMargin=TOP, bottomMargin=BOTTOM,
            title=info.title, author=info.author, subject=info.subject, creator=info.creator,
            keywords=", ".join(info.keywords), lang=LANGUAGE, initialFontName=FAMILY, **kwargs)
        self.info = info
        self.manifest_text = manifest_pdf.encode(manifest) if manifest is not None else None
        frame = Frame(LEFT, BOTTOM, BODY_WIDTH, PAGE_HEIGHT - TOP - BOTTOM, leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def beforeDocument(self) -> None:  # noqa: N802 (reportlab's name)
        canvas = self.canv
        assert isinstance(canvas, ReportCanvas)
        canvas.info = self.info
        canvas.manifest_text = self.manifest_text
        canvas.showOutline()
        canvas.setViewerPreference("DisplayDocTitle", "true")

    def render(self, story: list[Flowable]) -> None:
        self.build(story, canvasmaker=ReportCanvas)


# -- navigation


class Heading(Paragraph):
    """A heading that is an outline (bookmark) entry and a link target named ``key``.

    :param outline: the outline entry's text (default: ``plain``).
    :param level: 0 for the top of the outline; a level may be at most one deeper than the one before.
    """

    def __init__(self, plain: str, style: ParagraphStyle, key: str, level: int = 0, outline: str | None = None,
                 closed: bool = True):
        if len(plain) > HEADING_LIMIT:  # a heading is never split: keep it well within a page
            plain = plain[:HEADING_LIMIT] + "…"
        super().__init__(text(plain), style)
        self.key, self.level, self.outline, self.closed = key, level, outline or plain, closed

    def draw(self) -> None:
        canvas = self.canv
        if isinstance(canvas, ReportCanvas):
            canvas.anchor(self.key, self.height)
        else:
            canvas.bookmarkHorizontal(self.key, 0, self.height)
        canvas.addOutlineEntry(fit(self.outline, FAMILY, 9, 10_000), self.key, self.level, self.closed)
        super().draw()

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803 (reportlab's names)
        return []  # a heading moves to the next page whole, so its bookmark points at it


@dataclass(frozen=True)
class ContentsEntry:
    level: int
    label: str  # plain text (escaped when drawn)
    key: str  # the Heading's key


class Contents(Flowable):
    """A table of contents of headings known before the layout: one line per entry (cut to fit),
    each a link to its heading, its page number drawn once the document is complete. It breaks
    across pages between lines. (reportlab's TableOfContents needs a layout pass per change of
    its own length; a report's headings are known from its data, so this needs none.)"""

    ROW = 13.0
    INDENT = 12.0

    def __init__(self, entries: Sequence[ContentsEntry], size: float = 9):
        super().__init__()
        self.entries = list(entries)
        self.size = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        return availWidth, self.ROW * len(self.entries)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        rows = int(availHeight // self.ROW)
        if rows <= 0 or rows >= len(self.entries):
            return [] if rows <= 0 else [self]
        return [Contents(self.entries[:rows], self.size), Contents(self.entries[rows:], self.size)]

    def draw(self) -> None:
        canvas = self.canv
        number_width = pdfmetrics.stringWidth("00000", FAMILY, self.size)
        for index, entry in enumerate(self.entries):
            y = self.ROW * (len(self.entries) - index - 1) + 3
            x = self.INDENT * entry.level
            font = FAMILY
            canvas.setFont(font, self.size)
            canvas.setFillColor(colors.black)
            canvas.drawString(x, y, fit(entry.label, font, self.size, self.width - x - number_width - 6))
            canvas.linkRect("", entry.key, (x, y - 3, self.width, y + self.ROW - 3), relative=1, thickness=0)
            if isinstance(canvas, ReportCanvas):
                right, base = canvas.absolutePosition(self.width, y)
                canvas.defer(_page_number_at(entry.key, right, base, font, self.size))


def _page_number_at(key: str, right: float, base: float, font: str, size: float) -> Deferred:
    def draw(canvas: Canvas, total: int) -> None:
        page = getattr(canvas, "anchor_pages", {}).get(key)
        canvas.setFont(font, size)
        canvas.setFillColor(colors.black)
        canvas.drawRightString(right, base, str(page) if page is not None else "")
    return draw


class Milestone(Flowable):
    """An invisible mark that calls ``reached()`` when the layout passes it (progress, cancel)."""

    def __init__(self, reached: Callable[[], None]):
        super().__init__()
        self.reached = reached
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return 0, 0

    def draw(self) -> None:
        self.reached()


# -- writing


def write_pdf(path: str | Path, info: DocumentInfo, story: list[Flowable], manifest: dict[str, Any] | None = None,
              ) -> Path:
    """Render ``story`` to ``path`` atomically: into a temporary file in the same folder, then
    moved over the target. On any failure (an exception raised by a progress callback to cancel
    included) the target is untouched and the temporary file removed.

    :param manifest: the report's provenance (see ``services.provenance``): embedded in the
        metadata, then sealed with the SHA-256 of the whole file before it is moved into place.

    :raises AuditError: when the folder cannot be written to.
    """
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent or ".")
    except OSError as exc:
        raise AuditError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(handle, "wb") as out:
            ReportDocument(out, info, manifest).render(story)
        if manifest is not None:
            manifest_pdf.seal(temporary)
        os.replace(temporary, target)
    except OSError as exc:
        _remove(temporary)
        raise AuditError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    except BaseException:
        _remove(temporary)
        raise
    return target


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def timestamp(iso: str | None) -> str:
    """An ISO 8601 moment as "5 December 2026, 16:22 UTC" ("" for none)."""
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def join(parts: Iterable[str], separator: str = " · ") -> str:
    return separator.join(p for p in parts if p)


# -- building blocks

Line = tuple[str, str, bool]  # (label text, value text, the last line of its row)


class PairRows(Flowable):
    """Labelled values in two columns, drawn as plain text: nothing is parsed, so whatever was typed
    shows as typed. Cheaper than a table of paragraphs (one ``stringWidth`` pass per word, no
    markup), and it breaks across pages between lines, so a value of any length fits."""

    SIZE = 8.5
    LEADING = 11.0
    GAP = 3.0  # below each row, with a rule

    def __init__(self, pairs: Sequence[tuple[str, str]], label_width: float = 45 * mm, *,
                 lines: list[Line] | None = None):
        super().__init__()
        self.pairs, self.label_width = list(pairs), label_width
        self.lines = lines
        self.width = self.rule_width = 0.0

    def _layout(self, width: float) -> list[Line]:
        if self.lines is not None and (self.width == width or not self.pairs):
            return self.lines  # laid out already (a part of a split keeps its lines)
        bold = f"{FAMILY}-Bold"
        lines: list[Line] = []
        for label, value in self.pairs:
            labels = wrap_plain(label, bold, self.SIZE, self.label_width - 6)
            values = wrap_plain(value, FAMILY, self.SIZE, width - self.label_width)
            count = max(len(labels), len(values))
            labels += [""] * (count - len(labels))
            values += [""] * (count - len(values))
            lines += [(labels[i], values[i], i == count - 1) for i in range(count)]
        self.lines, self.width = lines, width
        return self.lines

    def _height(self, lines: Sequence[Line]) -> float:
        return len(lines) * self.LEADING + sum(self.GAP for line in lines if line[2])

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.rule_width = availWidth
        return availWidth, self._height(self._layout(availWidth))

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        lines = self._layout(availWidth)
        fits, height, row_end = 0, 0.0, 0
        for index, line in enumerate(lines):
            height += self.LEADING + (self.GAP if line[2] else 0)
            if height > availHeight:
                break
            fits = index + 1
            if line[2]:
                row_end = fits
        cut = row_end or fits  # between rows where one fits, else inside the first row
        if cut == 0 or cut >= len(lines):
            return []
        return [PairRows([], self.label_width, lines=lines[:cut]), PairRows([], self.label_width, lines=lines[cut:])]

    def draw(self) -> None:
        canvas = self.canv
        lines = self.lines or []
        y = self._height(lines)
        canvas.setStrokeColor(RULE_COLOUR)
        canvas.setLineWidth(0.25)
        for label, value, last in lines:
            y -= self.LEADING
            if label:
                canvas.setFont(f"{FAMILY}-Bold", self.SIZE)
                canvas.drawString(0, y + 2.5, label)
            if value:
                canvas.setFont(FAMILY, self.SIZE)
                canvas.drawString(self.label_width, y + 2.5, value)
            if last:
                y -= self.GAP
                canvas.line(0, y + 1.5, self.rule_width, y + 1.5)


def wrap_plain(value: str, font: str, size: float, width: float, first_width: float | None = None) -> list[str]:
    """Plain text as lines of at most ``width`` points (the first line ``first_width``, e.g. after
    a label): at spaces, and inside a word too long for a line. Line ends in the text are kept."""
    lines: list[str] = []

    def limit() -> float:
        return width if lines or first_width is None else first_width

    space = pdfmetrics.stringWidth(" ", font, size)
    for paragraph in _clean(value).split("\n"):
        words: list[str] = []
        used = 0.0  # the width of " ".join(words): widths add up (reportlab does not kern)
        for word in paragraph.split(" "):
            measured = pdfmetrics.stringWidth(word, font, size)
            if used + (space if words else 0) + measured <= limit():
                used += (space if words else 0) + measured
                words.append(word)
                continue
            if words:
                lines.append(" ".join(words))
            while measured > limit():  # a word longer than a line
                cut = _longest_prefix(word, font, size, limit())
                lines.append(word[:cut])
                word = word[cut:]
                measured = pdfmetrics.stringWidth(word, font, size)
            words, used = [word], measured
        lines.append(" ".join(words))
    return lines


def _longest_prefix(word: str, font: str, size: float, width: float) -> int:
    low, high = 1, len(word)  # at least one character a line, however narrow
    while low < high:
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(word[:middle], font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def pairs_table(pairs: Sequence[tuple[str, str]], styles: Styles | None = None, label_width: float = 45 * mm,
                ) -> list[Flowable]:
    """Labelled values as two columns of plain text (see :class:`PairRows`)."""
    return [PairRows(pairs, label_width)] if pairs else []


@dataclass(frozen=True)
class Segment:
    """A run of plain text in one font for :class:`TextBlock`, optionally after a label on its
    first line (e.g. "Note: " in italics)."""

    text: str
    font: str = FAMILY
    size: float = 9
    indent: float = 0
    label: str = ""
    label_font: str = f"{FAMILY}-Italic"
    colour: Any = colors.black


_Draw = tuple[float, str, str, float, Any]  # x, text, font, size, colour
_BlockLine = tuple[float, list[_Draw]]  # the advance down to this line's baseline, what it draws


class TextBlock(Flowable):
    """Segments of plain text, one under the other, drawn as text (never parsed as markup, so
    anything typed shows literally). The fast path for what people typed: no markup parser and no
    font fragments, so a page of notes lays out about as fast as reportlab lays out a plain page;
    it breaks across pages between lines, keeping at least ``keep`` lines together at the foot of
    a page (so a question never stands alone at the bottom)."""

    def __init__(self, segments: Sequence[Segment], *, space_before: float = 4, leading: float = 1.3, keep: int = 3,
                 lines: list[_BlockLine] | None = None):
        super().__init__()
        self.segments, self.leading, self.keep = list(segments), leading, keep
        self.spaceBefore = space_before
        self.lines = lines
        self.width = 0.0

    def _layout(self, width: float) -> list[_BlockLine]:
        if self.lines is not None and (self.width == width or not self.segments):
            return self.lines
        lines: list[_BlockLine] = []
        for segment in self.segments:
            label_width = pdfmetrics.stringWidth(segment.label, segment.label_font, segment.size) if segment.label else 0
            room = width - segment.indent
            advance = segment.size * self.leading
            for index, line in enumerate(wrap_plain(segment.text, segment.font, segment.size, room, room - label_width)):
                draws: list[_Draw] = []
                x = segment.indent
                if index == 0 and segment.label:
                    draws.append((x, segment.label, segment.label_font, segment.size, segment.colour))
                    x += label_width
                if line:
                    draws.append((x, line, segment.font, segment.size, segment.colour))
                lines.append((advance, draws))
        self.lines, self.width = lines, width
        return lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return availWidth, sum(advance for advance, _ in self._layout(availWidth))

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        lines = self._layout(availWidth)
        height, fits = 0.0, 0
        for advance, _ in lines:
            height += advance
            if height > availHeight:
                break
            fits += 1
        if fits < min(self.keep, len(lines)) or fits >= len(lines):
            return []  # too little room here: the whole block moves to the next page
        first = TextBlock([], space_before=self.spaceBefore, leading=self.leading, keep=self.keep, lines=lines[:fits])
        rest = TextBlock([], space_before=0, leading=self.leading, keep=1, lines=lines[fits:])
        return [first, rest]

    def draw(self) -> None:
        canvas = self.canv
        lines = self.lines or []
        y = sum(advance for advance, _ in lines)
        current: tuple[str, float] | None = None
        for advance, draws in lines:
            y -= advance
            for x, value, font, size, colour in draws:
                if current != (font, size):
                    canvas.setFont(font, size)
                    current = (font, size)
                canvas.setFillColor(colour)
                canvas.drawString(x, y + 0.25 * size, value)
