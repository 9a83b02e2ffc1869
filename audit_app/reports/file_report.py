"""The file report (issue 11 §2): one reviewed file, or many in one PDF, each from a new page.

Renders a :class:`~audit_app.reports.data.FileReportSet` and nothing else: every figure and word
was gathered by the services. With more than one file the PDF opens with a title page and a
table of contents; every file has an outline entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, PageBreak, Paragraph, Spacer

from audit_app.reports.data import FileReport, FileReportSet, ItemLine
from audit_app.reports.document import (Contents, ContentsEntry, DocumentInfo, Heading, Milestone, Styles, join,
                                        make_styles, pairs_table, text, typed, write_pdf)

PROFILE_LABEL = 100 * mm  # profile questions are long and their answers short
SHORT_EVIDENCE = 120  # characters: an evidence reference this short goes on the answer's line

Rendered = Callable[[int, str], None]  # (index of the file, its reference) when the layout reaches it


def document_info(data: FileReportSet, marking: str | None) -> DocumentInfo:
    if len(data.files) == 1:
        title = f"File review report: {data.files[0].ref}"
    else:
        title = f"File review reports: {len(data.files)} files"
    return DocumentInfo(title=f"{title} — {data.audit_title}", author=data.author,
                        subject=f"Reviews of sampled files against {data.checklist}", marking=marking,
                        keywords=("audit", "file review", data.audit_title))


def write(data: FileReportSet, path: str | Path, marking: str | None = None, progress: Rendered | None = None) -> Path:
    """Render ``data`` to ``path`` (atomically: see :func:`~audit_app.reports.document.write_pdf`)."""
    return write_pdf(path, document_info(data, marking), story(data, progress=progress))


def story(data: FileReportSet, styles: Styles | None = None, progress: Rendered | None = None) -> list[Flowable]:
    styles = styles or make_styles()
    parts = _Parts(styles)
    out: list[Flowable] = []
    if len(data.files) > 1:
        out += _title_page(data, styles)
    for index, file in enumerate(data.files):
        if index or len(data.files) > 1:
            out.append(PageBreak())
        if progress is not None:
            out.append(Milestone(_reached(progress, index, file.ref)))
        out += parts.file(file, _key(index), data if len(data.files) == 1 else None)
    return out


def _reached(progress: Rendered, index: int, ref: str) -> Callable[[], None]:
    return lambda: progress(index, ref)


def _key(index: int) -> str:
    return f"file-{index + 1}"


def _title_page(data: FileReportSet, styles: Styles) -> list[Flowable]:
    return [
        Paragraph("File review reports", styles.title),
        Paragraph(text(data.audit_title), styles.subtitle),
        Paragraph(text(f"Checklist: {data.checklist}"), styles.body),
        Paragraph(text(f"{len(data.files)} files · produced {data.generated_at} by audit-app {data.app_version}"),
                  styles.body),
        Spacer(1, 8),
        Paragraph("Contents", ParagraphStyle("contents", parent=styles.h2, keepWithNext=0)),  # the list breaks across pages
        Contents([ContentsEntry(0, f"{file.position}: {file.ref} — {_grade_of(file)}", _key(index))
                  for index, file in enumerate(data.files)]),
    ]


def _grade_of(file: FileReport) -> str:
    values = {pair.label: pair.value for pair in file.result}
    return values.get("Grade", "—")


class _Parts:
    """The flowables of one file's report, in the shared styles."""

    def __init__(self, styles: Styles):
        self.s = styles
        self.item_head = ParagraphStyle("item_head", parent=styles.body, fontName=styles.cell_bold.fontName,
                                        spaceBefore=5, spaceAfter=1, keepWithNext=1)
        self.answer = ParagraphStyle("answer", parent=styles.body, leftIndent=10, spaceAfter=1, keepWithNext=0)
        self.sub = ParagraphStyle("sub", parent=styles.small, fontName=styles.cell_bold.fontName, spaceBefore=4,
                                  spaceAfter=2)  # no keepWithNext: the table after it may break across pages
        self.quiet = ParagraphStyle("quiet", parent=styles.small, leftIndent=10, spaceAfter=1)

    def file(self, file: FileReport, key: str, alone: FileReportSet | None) -> list[Flowable]:
        s = self.s
        out: list[Flowable] = [Heading(f"File {file.ref}", s.h1, key, outline=f"{file.position}: {file.ref}")]
        subtitle = join([f"Position {file.position} in the sample", f"stratum {file.stratum}" if file.stratum else "",
                         _grade_of(file)])
        out.append(Paragraph(text(subtitle), s.subtitle))
        if alone is not None:
            out.append(Paragraph(text(f"{alone.audit_title} · checklist {alone.checklist} · produced "
                                      f"{alone.generated_at} by audit-app {alone.app_version}"), s.small))
        out += [Paragraph("Result", s.h2), *pairs_table([(p.label, p.value) for p in file.result], s)]
        out += [Paragraph("Reviews", s.h2), *self.reviews(file)]
        out += [CondPageBreak(80), Paragraph("File profile", s.h2), Paragraph("From the population export", self.sub)]
        out += pairs_table([(p.label, p.value) for p in file.population], s, label_width=PROFILE_LABEL)
        if file.profile:
            out.append(CondPageBreak(40))
            out.append(Paragraph("Recorded by the review" + (" (as agreed at moderation)" if file.agreed else ""),
                                 self.sub))
            out += pairs_table([(p.label, p.value) for p in file.profile], s, label_width=PROFILE_LABEL)
        out += [Paragraph("Items", s.h2)]
        for section in file.sections:
            out.append(Paragraph(text(section.title), s.h3))
            for item in section.items:
                out += self.item(item)
            if section.not_applicable:
                out.append(Paragraph(text("Not applicable to this file: " + ", ".join(section.not_applicable)),
                                     self.quiet))
        if file.moderation or file.differences:
            out += [Paragraph("Moderation", s.h2), *self.moderation(file)]
        out += [Paragraph("History", s.h2), *self.history(file)]
        return out

    def reviews(self, file: FileReport) -> list[Flowable]:
        pairs = []
        for review in file.reviews:
            value = join([review.reviewer, review.status, f"score {review.score}", f"grade {review.grade}",
                          f"started {review.started}", f"last changed {review.updated}",
                          f"signed off {review.signed_off}" if review.signed_off else "not signed off",
                          *review.notes])
            pairs.append((review.role, value))
        return pairs_table(pairs, self.s)

    def item(self, item: ItemLine) -> list[Flowable]:
        out: list[Flowable] = [Paragraph(f"{text(item.item_id)}  {text(item.question)}", self.item_head)]
        flags = ""
        if item.flags:
            shown = [f'<font color="#9b1c1c"><b>{text(f)}</b></font>' if f == "critical failure" else text(f)
                     for f in item.flags]
            flags = " · " + ", ".join(shown)
        source = f" <i>({text(item.source)})</i>" if item.source else ""
        points = f" · {text(item.points)}" if item.points else ""
        short = item.evidence if "\n" not in item.evidence and len(item.evidence) <= SHORT_EVIDENCE else ""
        evidence = f" · <i>evidence:</i> {text(short)}" if short else ""
        out.append(Paragraph(f"<b>Answer:</b> {text(item.answer)}{source}{points}{evidence}{flags}", self.answer))
        if item.note:
            out += typed(item.note, self.s.typed, prefix="<i>Note:</i> ")
        if item.evidence and not short:
            out += typed(item.evidence, self.s.typed, prefix="<i>Evidence:</i> ")
        return out

    def moderation(self, file: FileReport) -> list[Flowable]:
        s = self.s
        out: list[Flowable] = []
        if file.moderation:
            out.append(Paragraph(text(f"State: {file.moderation}. Where the two reviews differed:" if file.differences
                                      else f"State: {file.moderation}. The two reviews did not differ."), s.body))
        for difference in file.differences:
            out.append(Paragraph(text(difference.question), self.item_head))
            out += typed(difference.primary, s.typed, prefix="<i>Primary:</i> ")
            out += typed(difference.second, s.typed, prefix="<i>Second:</i> ")
            if difference.agreed:
                out += typed(difference.agreed, s.typed, prefix="<i>Agreed:</i> ")
                out += typed(difference.reason, s.typed, prefix="<i>Reason:</i> ")
                out.append(Paragraph(text(f"Decided {difference.decided}"), self.quiet))
            else:
                out.append(Paragraph("<i>Not agreed yet.</i>", s.typed))
        return out

    def history(self, file: FileReport) -> list[Flowable]:
        if not file.history:
            return [Paragraph("No recorded events.", self.s.body)]
        out: list[Flowable] = []
        for entry in file.history:
            out += typed(f"{entry.what}" + (f" — reason: {entry.reason}" if entry.reason else ""), self.s.typed,
                         prefix=f"<b>{text(entry.at)}</b> · {text(entry.actor)}: ")
        return out
