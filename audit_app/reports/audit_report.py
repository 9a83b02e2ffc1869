"""The audit report (issue 11 §1): cover, summary, results by section and item with charts, results
by stratum and sub-score, themes, reviewer agreement, the files reviewed and the method appendix.

Renders an :class:`~audit_app.reports.data.AuditReport` and nothing else: every figure comes from
the results the services computed (this module only formats and orders them) and every sentence
from the services' words. Text a person typed is drawn literally (``document.text``/``TextBlock``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from audit_app.core.results.agreement import landis_koch
from audit_app.core.results.model import ASSURED, NO_APPLICABLE_FILES, NO_TOLERABLE_RATE, NOT_ASSURED, TOO_FEW, ItemResult
from audit_app.reports.data import AuditReport, MethodPart, ReportSection
from audit_app.reports.document import (BODY_WIDTH, FAMILY, HEADING_COLOUR, MARKING_COLOUR, MUTED, RULE_COLOUR, SHADE,
                                        Contents, ContentsEntry, DocumentInfo, Heading, Milestone, Segment, Styles,
                                        TextBlock, fit, make_styles, pairs_table, text, wrap_plain, write_pdf)

Progress = Callable[[int, int, str], None]  # (part done, parts, what) as the layout reaches each part

GOOD = colors.HexColor("#1b7a3d")
BAD = MARKING_COLOUR
NEUTRAL = colors.HexColor("#6b7280")
CELL = 7.0  # points: table text
CHART_ROWS = 40  # items per chart (a longer section gets several charts)
STRATA_COLUMNS = 6  # strata per table of item compliance by stratum
SHORT_CONCLUSION = {ASSURED: "assured", NOT_ASSURED: "not assured", TOO_FEW: "too few files",
                    NO_TOLERABLE_RATE: "—", NO_APPLICABLE_FILES: "no applicable files"}

PARTS = ("Summary", "Results by section and item", "Results by stratum and sub-score", "Themes",
         "Reviewer agreement", "Files reviewed", "Method appendix")


def document_info(data: AuditReport, marking: str | None) -> DocumentInfo:
    cover = data.cover
    return DocumentInfo(title=f"Audit report — {cover.title}", author=cover.author,
                        subject=f"Audit of sampled files against {cover.checklist} ({cover.status.lower()})",
                        marking=marking, keywords=("audit", "audit report", cover.title, cover.status))


def write(data: AuditReport, path: str | Path, marking: str | None = None, progress: Progress | None = None,
          manifest: dict[str, Any] | None = None) -> Path:
    """Render ``data`` to ``path`` atomically (see :func:`~audit_app.reports.document.write_pdf`)."""
    kwargs = {"manifest": manifest} if manifest is not None else {}
    return write_pdf(path, document_info(data, marking), story(data, progress=progress), **kwargs)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def interval(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None else f"{100 * low:.1f}–{100 * high:.1f}"


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def words(value: float | None) -> str:
    """Landis & Koch (1977) words for a coefficient ("—" when it is undefined)."""
    return landis_koch(value) or "—"


def story(data: AuditReport, styles: Styles | None = None, progress: Progress | None = None) -> list[Flowable]:
    s = styles or make_styles()
    render = _Render(data, s)
    out: list[Flowable] = render.cover()
    builders: list[Callable[[], list[Flowable]]] = [render.summary, render.by_section, render.by_stratum,
                                                    render.themes, render.agreement, render.files, render.method]
    for index, build in enumerate(builders):
        out.append(PageBreak())
        if progress is not None:
            out.append(Milestone(_reached(progress, index, PARTS[index])))
        out += build()
    if progress is not None:
        out.append(Milestone(_reached(progress, len(PARTS), "Done")))
    return out


def _reached(progress: Progress, index: int, part: str) -> Callable[[], None]:
    return lambda: progress(index, len(PARTS), f"Laying out: {part}" if index < len(PARTS) else part)


def _key(*parts: str) -> str:
    return "-".join(["part", *parts])


class _Render:
    def __init__(self, data: AuditReport, styles: Styles):
        self.data, self.s, self.r = data, styles, data.results
        self.lead_in = ParagraphStyle("lead_in", parent=styles.body, keepWithNext=1)
        self.bullet = ParagraphStyle("bullet", parent=styles.body, leftIndent=10, bulletIndent=0, bulletFontName=FAMILY)
        self.note = ParagraphStyle("note", parent=styles.small, spaceBefore=2)
        self.cover_marking = ParagraphStyle("cover_marking", parent=styles.title, fontSize=14, leading=18,
                                            textColor=MARKING_COLOUR, spaceAfter=18)
        self.section_title = {section.id: section.title for section in data.sections}

    # -- building blocks

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
              right: Sequence[int] = (), colours: Sequence[tuple[int, int, Any]] = (),
              spans: Sequence[int] = ()) -> Table:
        """Plain text in cells (never parsed as markup), wrapped to the column widths; the header
        repeats on every page the table runs to."""
        padding = 4.0

        def cell(value: str, width: float, font: str) -> str:
            return "\n".join(wrap_plain(value, font, CELL, max(width - padding, 8)))

        bold = f"{FAMILY}-Bold"
        widths = _header_widths(header, widths, bold, padding)
        body = [[cell(h, w, bold) for h, w in zip(header, widths)]]
        body += [[cell(str(v), sum(widths) if r in spans else w, FAMILY) for v, w in zip(row, widths)]
                 for r, row in enumerate(rows)]
        style = [
            ("FONT", (0, 0), (-1, -1), FAMILY, CELL, CELL * 1.25),
            ("FONT", (0, 0), (-1, 0), bold, CELL, CELL * 1.25),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, HEADING_COLOUR),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE_COLOUR),
            ("LEFTPADDING", (0, 0), (-1, -1), padding / 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), padding / 2),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ]
        style += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in right]
        style += [("TEXTCOLOR", (c, r + 1), (c, r + 1), colour) for r, c, colour in colours]
        for r in spans:  # a row whose first cell runs across the table (a reference under its file's line)
            style += [("SPAN", (0, r + 1), (-1, r + 1)), ("LINEBELOW", (0, r), (-1, r), 0, colors.white),
                      ("TOPPADDING", (0, r + 1), (-1, r + 1), 0), ("TEXTCOLOR", (0, r + 1), (-1, r + 1), MUTED)]
        table = Table(body, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(style))
        return table

    def paragraphs(self, sentences: Sequence[str], style: ParagraphStyle | None = None) -> list[Flowable]:
        return [Paragraph(text(sentence), style or self.s.body) for sentence in sentences]

    def bullets(self, sentences: Sequence[str]) -> list[Flowable]:
        return [Paragraph(text(sentence), self.bullet, bulletText="•") for sentence in sentences]

    # -- cover and contents

    def cover(self) -> list[Flowable]:
        c, s = self.data.cover, self.s
        out: list[Flowable] = []
        if c.marking:
            out.append(Paragraph(text(c.marking), self.cover_marking))
        out += [Spacer(1, 30 * mm), Paragraph("Audit report", s.subtitle), Paragraph(text(c.title), s.title)]
        if c.scope:
            out.append(Paragraph(text(c.scope), s.subtitle))
        pairs = [("Period", c.period or "not stated"), ("Checklist", c.checklist), ("Date", c.date),
                 ("Lead auditor", c.author), ("Status", c.status + (f": {c.status_reason}" if c.status_reason else "")),
                 ("Protective marking", c.marking or "none")]
        out += [Spacer(1, 10 * mm), *pairs_table(pairs, s, label_width=40 * mm), Spacer(1, 8 * mm),
                Paragraph(text(f"Produced {self.data.generated_at} by audit-app {self.data.app_version}."), s.small),
                Spacer(1, 10 * mm), Paragraph("Contents", s.h2), Contents(self.contents())]
        return out

    def contents(self) -> list[ContentsEntry]:
        entries = [ContentsEntry(0, "Summary", _key("summary")),
                   ContentsEntry(0, "Results by section and item", _key("sections"))]
        entries += [ContentsEntry(1, section.title, _key("section", section.id)) for section in self.data.sections]
        entries += [ContentsEntry(0, "Results by stratum and sub-score", _key("strata")),
                    ContentsEntry(0, "Themes", _key("themes")),
                    ContentsEntry(0, "Reviewer agreement", _key("agreement")),
                    ContentsEntry(0, "Files reviewed", _key("files")),
                    ContentsEntry(0, "Method appendix", _key("method"))]
        entries += [ContentsEntry(1, part.title, _key("method", str(i))) for i, part in enumerate(self.data.method)]
        return entries

    # -- summary

    def summary(self) -> list[Flowable]:
        s, r, d = self.s, self.r, self.data
        out: list[Flowable] = [Heading("Summary", s.h1, _key("summary"), closed=False)]
        out += self.paragraphs(d.headline)
        out += [Paragraph("Grades", s.h2), *self.grade_table(), Spacer(1, 3), self.grade_chart()]
        out += [Paragraph("Lines of inquiry and decision points not assured (weakest first)"
                          if r.tolerable is not None else "Weakest items (lowest compliance first)", s.h2)]
        weak = r.weakest()
        if weak:
            rows = [[item.item, item.question, *self.figures(item)[:3]] for item in weak[:12]]
            header = ["Item", "Question", "Compliance" if not r.weighted else "Weighted", "Interval %", "Upper limit"]
            out.append(self.table(header, rows, [28, 270, 60, 70, 65], right=(2, 3, 4)))
            if len(weak) > 12:
                out.append(Paragraph(text(f"… and {len(weak) - 12} more: see Results by section and item."), self.note))
        else:
            out.append(Paragraph("Every item with enough applicable files is assured.", s.body))
        out += [Paragraph("Critical failures and material missed opportunities", s.h2), *self.paragraphs(d.flags)]
        out += [Paragraph("Notable practice", s.h2), *self.paragraphs(d.notable)]
        out += [CondPageBreak(60), Paragraph("What the audit cannot say", s.h2), *self.bullets(d.cannot_say)]
        return out

    def figures(self, item: ItemResult) -> tuple[str, str, str, str]:
        """(compliance, interval, upper limit of the failure rate, conclusion): weighted where the design needs it."""
        if self.r.weighted and item.weighted is not None:
            w = item.weighted
            return pct(w.estimate), interval(w.ci_low, w.ci_high), pct(w.upper_deviation_limit), \
                SHORT_CONCLUSION.get(item.assurance.conclusion, item.assurance.conclusion)
        c = item.compliance
        return pct(c.estimate), interval(c.ci_low, c.ci_high), pct(item.unweighted_upper_deviation_limit), \
            SHORT_CONCLUSION.get(item.assurance.conclusion, item.assurance.conclusion)

    def grade_table(self) -> list[Flowable]:
        r = self.r
        level = f"{100 * r.confidence:g}%"
        rows = []
        for share in r.files.grades:
            p = share.proportion
            row = [share.label, str(p.successes), pct(p.estimate), interval(p.ci_low, p.ci_high)]
            if r.weighted:
                w = share.weighted
                row += [pct(w.estimate) if w else "—", interval(w.ci_low, w.ci_high) if w else "—"]
            rows.append(row)
        header = ["Grade", "Files", "Share", f"{level} interval %"]
        widths = [150.0, 50, 60, 90]
        if r.weighted:
            header += ["Weighted", f"Weighted {level} interval %"]
            widths += [60, 83]
        return [self.table(header, rows, widths, right=range(1, len(header)))]

    def grade_chart(self) -> Drawing:
        """A bar per grade: the share of files (weighted where the design needs it)."""
        shares = self.r.files.grades
        row, label_width, width = 13.0, 150.0, BODY_WIDTH
        height = row * len(shares) + 4
        drawing = Drawing(width, height, initialFontName=FAMILY)  # else reportlab sets Helvetica first
        scale = width - label_width - 60
        for index, share in enumerate(shares):
            y = height - row * (index + 1)
            value = share.weighted.estimate if self.r.weighted and share.weighted else share.proportion.estimate
            drawing.add(String(0, y + 3, _fit(share.label, label_width - 6), fontName=FAMILY, fontSize=CELL))
            drawing.add(Rect(label_width, y + 1, scale, row - 4, fillColor=SHADE, strokeColor=None))
            if value:
                drawing.add(Rect(label_width, y + 1, scale * value, row - 4, fillColor=HEADING_COLOUR, strokeColor=None))
            drawing.add(String(label_width + scale + 4, y + 3, pct(value), fontName=FAMILY, fontSize=CELL))
        return drawing

    # -- results by section and item

    def by_section(self) -> list[Flowable]:
        s, r = self.s, self.r
        out: list[Flowable] = [Heading("Results by section and item", s.h1, _key("sections"), closed=False)]
        level = f"{100 * r.confidence:g}%"
        explain = (f"Compliance is the share of applicable files answered Met, with its {level} Wilson interval; the "
                   f"upper limit is the one-sided {level} upper limit of the failure rate")
        if r.tolerable is not None:
            explain += f", compared with the tolerable failure rate of {pct(r.tolerable)}"
        explain += ". Counts are of files: applicable (Met, Partly, Not met, Not recorded) and N/A."
        if r.weighted:
            explain += (" The design is disproportionate: compliance, interval and upper limit are WEIGHTED "
                        "estimates (see the method appendix); counts are unweighted.")
        out.append(Paragraph(text(explain), s.small))
        groups = {group.id: group for group in r.sections}
        for section in self.data.sections:
            out += self.section(section, groups.get(section.id))
        return out

    def section(self, section: ReportSection, group: Any) -> list[Flowable]:
        s, r = self.s, self.r
        out: list[Flowable] = [CondPageBreak(120), Heading(section.title, s.h2, _key("section", section.id), level=1)]
        items = [r.items[i] for i in section.items if i in r.items]
        if group is not None and group.applicable:
            pooled = group.weighted_compliance if r.weighted else group.compliance
            out.append(Paragraph(text(f"Pooled over the section's items: {pct(pooled)} of {group.applicable:,} "
                                      f"applicable answers Met{' (weighted)' if r.weighted else ''}; descriptive, "
                                      "no interval."), s.small))
        if not items or not any(item.applicable or item.na for item in items):
            out.append(Paragraph("No finished file has an answer in this section yet (or the section applied to "
                                 "none of them).", s.body))
            return out
        rows, colours = [], []
        for index, item in enumerate(items):
            compliance, spread, limit, conclusion = self.figures(item)
            rows.append([item.item, item.question, str(item.applicable), str(item.met), str(item.partly),
                         str(item.not_met), str(item.not_recorded), str(item.na), compliance, spread, limit, conclusion])
            if item.assurance.conclusion == NOT_ASSURED:
                colours.append((index, 11, BAD))
            elif item.assurance.conclusion == ASSURED:
                colours.append((index, 11, GOOD))
        header = ["Item", "Question", "Appl.", "Met", "Partly", "Not met", "NR", "N/A",
                  "Weighted" if r.weighted else "Compl.", "Interval %", "Upper limit", "Conclusion"]
        widths = [24, 131, 24, 22, 28, 26, 20, 22, 40, 50, 40, 56]
        # the chart first, kept with its heading: a reader sees the section at a glance, then the table
        charted = [item for item in items if item.applicable]
        charts = [self.chart(charted[start:start + CHART_ROWS]) for start in range(0, len(charted), CHART_ROWS)]
        if charts:
            out = [out[0], KeepTogether(out[1:] + [charts[0]])] + [c for chart in charts[1:] for c in (Spacer(1, 4), chart)]
        out += [Spacer(1, 4), self.table(header, rows, widths, right=range(2, 11), colours=colours)]
        return out

    def chart(self, items: Sequence[ItemResult]) -> Drawing:
        """Each item's compliance (a dot) with its interval (a line), against the compliance the
        tolerable rate asks for (a dashed line): green assured, red not assured, grey otherwise."""
        r = self.r
        row, label_width, top, bottom = 11.0, 34.0, 4.0, 22.0
        width = BODY_WIDTH
        plot = width - label_width - 10
        height = top + row * len(items) + bottom
        drawing = Drawing(width, height, initialFontName=FAMILY)  # else reportlab sets Helvetica first

        def x(value: float) -> float:
            return label_width + plot * value

        axis_y = bottom - 4
        drawing.add(Line(x(0), axis_y, x(1), axis_y, strokeColor=MUTED, strokeWidth=0.5))
        for tick in range(0, 101, 10):
            drawing.add(Line(x(tick / 100), axis_y, x(tick / 100), axis_y - 2, strokeColor=MUTED, strokeWidth=0.5))
            drawing.add(String(x(tick / 100), axis_y - 9, f"{tick}%", fontName=FAMILY, fontSize=6, textAnchor="middle",
                               fillColor=MUTED))
        caption = "Compliance" + (" (weighted)" if r.weighted else "") + f" with its {100 * r.confidence:g}% interval"
        if r.tolerable is not None:
            target = 1 - r.tolerable
            drawing.add(Line(x(target), axis_y, x(target), height - top, strokeColor=BAD, strokeWidth=0.6,
                             strokeDashArray=[2, 2]))
            caption += f"; dashed: {pct(target)} compliance (tolerable failure rate {pct(r.tolerable)})"
        drawing.add(String(label_width, 2, caption, fontName=FAMILY, fontSize=6, fillColor=MUTED))
        for index, item in enumerate(items):
            y = height - top - row * index - row / 2
            if index % 2 == 0:
                drawing.add(Rect(label_width, y - row / 2, plot, row, fillColor=colors.HexColor("#f6f7f9"), strokeColor=None))
            drawing.add(String(0, y - 2.5, item.item, fontName=FAMILY, fontSize=CELL))
            if r.weighted and item.weighted is not None:
                estimate, low, high = item.weighted.estimate, item.weighted.ci_low, item.weighted.ci_high
            else:
                estimate, low, high = item.compliance.estimate, item.compliance.ci_low, item.compliance.ci_high
            colour = GOOD if item.assurance.conclusion == ASSURED else BAD if item.assurance.conclusion == NOT_ASSURED else NEUTRAL
            if low is not None and high is not None:
                drawing.add(Line(x(low), y, x(high), y, strokeColor=colour, strokeWidth=1.2))
            if estimate is not None:
                drawing.add(Circle(x(estimate), y, 2.2, fillColor=colour, strokeColor=colour))
        return drawing

    # -- strata and sub-scores

    def by_stratum(self) -> list[Flowable]:
        s, r = self.s, self.r
        out: list[Flowable] = [Heading("Results by stratum and sub-score", s.h1, _key("strata"))]
        out.append(Paragraph(text("Within a stratum every file had the same chance of selection, so these figures "
                                  "are unweighted."), s.small))
        grades = [share for share in r.files.grades]
        header = ["Stratum", "In frame", "Drawn", "Finished", *[g.label for g in grades]]
        rows = [[st.stratum, f"{st.population:,}", f"{st.drawn:,}", f"{st.finished:,}",
                 *[str(st.grades.get(g.id, 0)) for g in grades]] for st in r.strata]
        grade_width = (BODY_WIDTH - 90 - 3 * 38) / max(len(grades), 1)
        out.append(self.table(header, rows, [90, 38, 38, 38, *[grade_width] * len(grades)], right=range(1, len(header))))
        if len(r.strata) > 1:
            out += [Paragraph("Compliance by stratum (Met / applicable files)", s.h2)]
            for start in range(0, len(r.strata), STRATA_COLUMNS):
                strata = r.strata[start:start + STRATA_COLUMNS]
                rows = []
                for item_id, item in r.items.items():
                    cells = []
                    for st in strata:
                        p = st.items.get(item_id)
                        cells.append(f"{p.successes}/{p.n}  {pct(p.estimate)}" if p is not None and p.n else "—")
                    rows.append([item_id, item.question, *cells])
                column = (BODY_WIDTH - 30 - 150) / len(strata)
                out += [Spacer(1, 4), self.table(["Item", "Question", *[st.stratum for st in strata]], rows,
                                                 [30, 150, *[column] * len(strata)], right=range(2, 2 + len(strata)))]
        out += [Paragraph("Sub-scores", s.h2)]
        if r.subscores:
            level = f"{100 * r.confidence:g}%"
            rows = [[m.label, str(m.files), number(m.mean, 1),
                     f"{m.ci_low:.1f}–{m.ci_high:.1f}" if m.ci_low is not None and m.ci_high is not None else "—",
                     "weighted" if m.weighted else "unweighted"] for m in r.subscores]
            out.append(self.table(["Sub-score", "Files", "Mean score", f"{level} interval", "Estimate"], rows,
                                  [200, 50, 60, 90, 70], right=(1, 2, 3)))
        else:
            out.append(Paragraph("No sub-scores.", s.body))
        return out

    # -- themes

    def themes(self) -> list[Flowable]:
        s, d = self.s, self.data
        out: list[Flowable] = [Heading("Themes", s.h1, _key("themes"))]
        out.append(Paragraph(text(
            "For the weakest items, a few of the reviewers' evidence notes from files where the item was not met, "
            "as written (cut to a few hundred characters). Files are named by their position in the sample"
            + (", with their reference (the audit allows references in reports)." if d.references_shown
               else ", not by reference.")), s.small))
        if not d.themes:
            out.append(Paragraph("No weak item has an evidence note to show.", s.body))
        for theme in d.themes:
            segments = [Segment(f"{theme.item_id}  {theme.question}", f"{FAMILY}-Bold"),
                        Segment(theme.figure, size=7.5, colour=MUTED)]
            segments += [Segment(example.note, indent=10, label=f"{example.file} · {example.answer}: ")
                         for example in theme.examples]
            out.append(TextBlock(segments, space_before=8))
        return out

    # -- agreement

    def agreement(self) -> list[Flowable]:
        s, r = self.s, self.r
        out: list[Flowable] = [Heading("Reviewer agreement", s.h1, _key("agreement"))]
        out += self.paragraphs(self.data.moderation)
        agreement = r.agreement
        if agreement is None or not agreement.pooled.n:
            return out
        level = f"{100 * agreement.confidence:g}%"
        out.append(Paragraph("Pooled over every item answered in both reviews", s.h2))
        p = agreement.pooled
        rows = [["Percent agreement", pct(p.percent_agreement), "", ""],
                ["Cohen's kappa", number(p.cohen_kappa), _ci(p.cohen_kappa_ci), words(p.cohen_kappa)],
                ["Gwet's AC1", number(p.gwet_ac1), _ci(p.gwet_ac1_ci), words(p.gwet_ac1)],
                ["Krippendorff's alpha (nominal)", number(p.krippendorff_alpha), "", words(p.krippendorff_alpha)]]
        out.append(self.table(["Statistic", "Value", f"{level} interval", "Landis–Koch"], rows, [150, 60, 90, 100],
                              right=(1, 2)))
        out.append(Paragraph(text(f"Over {p.n:,} pairs of answers on {agreement.files} files. Landis and Koch's words: "
                                  "below 0 poor, 0–0.2 slight, 0.2–0.4 fair, 0.4–0.6 moderate, 0.6–0.8 substantial, "
                                  "0.8–1 almost perfect. Gwet's AC1 stays meaningful when nearly every answer is the "
                                  "same (where kappa collapses)."), s.small))
        out.append(Paragraph("By item", s.h2))
        rows = [[item_id, str(f.n), pct(f.percent_agreement), number(f.cohen_kappa), number(f.gwet_ac1),
                 _ci(f.gwet_ac1_ci), words(f.gwet_ac1)] for item_id, f in agreement.items.items()]
        out.append(self.table(["Item", "Pairs", "Agreement", "Kappa", "AC1", f"AC1 {level} interval", "AC1 in words"],
                              rows, [40, 40, 60, 50, 50, 100, 90], right=(1, 2, 3, 4, 5)))
        if agreement.disagreements:
            out.append(Paragraph("Disagreements and how they were moderated", s.h2))
            rows = [[str(d.position), d.item, d.first, d.second, d.moderated or "awaiting moderation"]
                    for d in agreement.disagreements]
            out.append(self.table(["File", "Item", "Primary", "Second", "Agreed"], rows, [40, 50, 50, 50, 110]))
        return out

    # -- files

    def files(self) -> list[Flowable]:
        s, d = self.s, self.data
        out: list[Flowable] = [Heading("Files reviewed", s.h1, _key("files"))]
        out.append(Paragraph(text(f"Every file in the sample ({d.sampled:,}), in sample order (by stratum, then rank), "
                                  + ("by position, with its reference" if d.references_shown else "by position, without its reference")
                                  + ". Caps are numbered as in the method appendix (Checklist, scoring and grading)."),
                             s.small))
        rows: list[list[str]] = []
        spans = []
        for f in d.files:
            rows.append([f.file, f.stratum, f.grade, f.caps, f.reviewer, f.second, f.sign_off])
            if f.ref:
                spans.append(len(rows))
                rows.append([f"Reference: {f.ref}", "", "", "", "", "", ""])
        widths = [34, 70, 80, 30, 80, 80, 70]
        widths[1] += BODY_WIDTH - sum(widths)
        out.append(self.table(["File", "Stratum", "Grade", "Caps", "Reviewer", "Second review", "Signed off"], rows,
                              widths, spans=spans))
        return out

    # -- method appendix

    def method(self) -> list[Flowable]:
        s = self.s
        out: list[Flowable] = [Heading("Method appendix", s.h1, _key("method"), closed=False)]
        out.append(Paragraph(text("Enough to reproduce the sample and every figure in this report."), s.small))
        for index, part in enumerate(self.data.method):
            out += self.method_part(part, _key("method", str(index)))
        return out

    def method_part(self, part: MethodPart, key: str) -> list[Flowable]:
        s = self.s
        out: list[Flowable] = [Heading(part.title, s.h2, key, level=1)]
        out += pairs_table([(p.label, p.value) for p in part.pairs], s, label_width=48 * mm)
        out += self.paragraphs(part.sentences)
        return out


def _header_widths(header: Sequence[str], widths: Sequence[float], font: str, padding: float) -> list[float]:
    """Widen each column to its header's longest word (a header word is never broken), taking the
    room from the widest column, so the table keeps its total width."""
    needed = [max((stringWidth(word, font, CELL) for word in h.split()), default=0) + padding + 1 for h in header]
    out = [max(w, n) for w, n in zip(widths, needed)]
    excess = sum(out) - sum(widths)
    if excess > 0:
        widest = max(range(len(out)), key=lambda c: out[c] - needed[c])
        out[widest] = max(needed[widest], out[widest] - excess)
    return out


def _ci(pair: tuple[float, float] | None) -> str:
    return "—" if pair is None else f"{pair[0]:.2f} to {pair[1]:.2f}"


def _fit(value: str, width: float) -> str:
    return fit(value, FAMILY, CELL, width)
