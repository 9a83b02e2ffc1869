"""The file report (issue 11 §2): one reviewed file, or many in one PDF, each from a new page.

Renders a :class:`~audit_app.reports.data.FileReportSet` and nothing else: every figure and word
was gathered by the services. With more than one file the PDF opens with a title page and a
table of contents; every file has an outline entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, PageBreak, Paragraph, Spacer

from audit_app.reports.data import FileReport, FileReportSet, ItemLine
from audit_app.reports.document import (FAMILY, MARKING_COLOUR, MUTED, Contents, ContentsEntry, DocumentInfo, Heading, Milestone,
                                        Segment, Styles, TextBlock, join, make_styles, pairs_table, text, write_pdf)

CRITICAL = MARKING_COLOUR
INDENT = 10.0  # points: the answer and note under the question
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


def write(data: FileReportSet, path: str | Path, marking: str | None = None, progress: Rendered | None = None,
          manifest: dict[str, Any] | None = None) -> Path:
    """Render ``data`` to ``path`` (atomically: see :func:`~audit_app.reports.document.write_pdf`),
    with the provenance ``manifest`` in its metadata when one is given."""
    return write_pdf(path, document_info(data, marking), story(data, progress=progress), manifest=manifest)


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
        Paragraph(text(data.trail_line), styles.small),
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
        self.sub = ParagraphStyle("sub", parent=styles.small, fontName=styles.cell_bold.fontName, spaceBefore=4,
                                  spaceAfter=2)  # no keepWithNext: the table after it may break across pages
        self.lead_in = ParagraphStyle("lead_in", parent=styles.body, keepWithNext=1)
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
            out.append(Paragraph(text(alone.trail_line), s.small))
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
        """One block of plain text: the question, the answer line (dark red for a critical
        failure), the note and the evidence reference, each as typed."""
        bold = f"{FAMILY}-Bold"
        evidence_inline = "\n" not in item.evidence and len(item.evidence) <= SHORT_EVIDENCE
        answer = join([f"Answer: {item.answer}" + (f" ({item.source})" if item.source else ""), item.points,
                       f"evidence: {item.evidence}" if item.evidence and evidence_inline else "", *item.flags])
        colour = CRITICAL if "critical failure" in item.flags else colors.black
        segments = [Segment(f"{item.item_id}  {item.question}", bold),
                    Segment(answer, bold if colour is CRITICAL else FAMILY, indent=INDENT, colour=colour)]
        if item.note:
            segments.append(Segment(item.note, indent=INDENT, label="Note: "))
        if item.evidence and not evidence_inline:
            segments.append(Segment(item.evidence, indent=INDENT, label="Evidence: "))
        return [TextBlock(segments)]

    def moderation(self, file: FileReport) -> list[Flowable]:
        s = self.s
        out: list[Flowable] = []
        if file.moderation:
            out.append(Paragraph(text(f"State: {file.moderation}. Where the two reviews differed:" if file.differences
                                      else f"State: {file.moderation}. The two reviews did not differ."), self.lead_in))
        for difference in file.differences:
            segments = [Segment(difference.question, f"{FAMILY}-Bold"),
                        Segment(difference.primary, indent=INDENT, label="Primary: "),
                        Segment(difference.second, indent=INDENT, label="Second: ")]
            if difference.agreed:
                segments += [Segment(difference.agreed, indent=INDENT, label="Agreed: "),
                             Segment(difference.reason, indent=INDENT, label="Reason: "),
                             Segment(f"Decided {difference.decided}", size=7.5, indent=INDENT, colour=MUTED)]
            else:
                segments.append(Segment("Not agreed yet.", f"{FAMILY}-Italic", indent=INDENT))
            out.append(TextBlock(segments))
        return out

    def history(self, file: FileReport) -> list[Flowable]:
        if not file.history:
            return [Paragraph("No recorded events.", self.s.body)]
        return [TextBlock([Segment(f"{entry.actor}: {entry.what}" + (f" — reason: {entry.reason}" if entry.reason else ""),
                                   label=f"{entry.at} · ", label_font=f"{FAMILY}-Bold")],
                          space_before=1, keep=1)
                for entry in file.history]
