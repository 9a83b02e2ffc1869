"""The PDF foundation (audit_app/reports/document.py): safe text, wrapping, navigation, atomic writing."""

from __future__ import annotations

from pathlib import Path

import pdf_tools
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import PageBreak, Paragraph

from audit_app.reports.document import (CHUNK, FAMILY, Contents, ContentsEntry, DocumentInfo, Heading, Segment, TextBlock,
                                        chunks, make_styles, pairs_table, register_fonts, text, typed, wrap_plain,
                                        write_pdf)


INFO = DocumentInfo("Foundation test", "Tester (T1)", "The report foundation", marking="OFFICIAL-SENSITIVE")


def test_text_escapes_markup_and_keeps_line_breaks() -> None:
    assert text("<b>x</b> & y\nz") == "&lt;b&gt;x&lt;/b&gt; &amp; y<br/>z"
    assert text("a\x00b\tc") == "a\ufffdb    c"


def test_chunks_cover_the_text_exactly_and_are_never_longer_than_a_piece() -> None:
    value = ("word " * 5000) + "x" * 9000
    pieces = chunks(value)
    assert "".join(pieces) == value
    assert all(len(p) <= CHUNK for p in pieces)
    assert all(p.endswith(" ") for p in pieces[:-4])  # cut at spaces where there are spaces


def test_wrap_plain_keeps_every_character_within_the_width() -> None:
    register_fonts()
    value = "Aeth y swyddog i'r tŷ; ŵyr " * 50 + "W" * 3000 + "\nsecond line"
    lines = wrap_plain(value, FAMILY, 9, 200, first_width=150)
    assert "".join(lines).replace(" ", "") == value.replace(" ", "").replace("\n", "")
    assert pdfmetrics.stringWidth(lines[0], FAMILY, 9) <= 150
    assert all(pdfmetrics.stringWidth(line, FAMILY, 9) <= 200 for line in lines)
    assert lines[-1] == "second line"


def test_headings_make_an_outline_and_a_contents_with_their_pages(tmp_path: Path) -> None:
    styles = make_styles()
    entries = [ContentsEntry(0, f"Part {n} & <i>", f"part-{n}") for n in range(1, 4)]
    story = [Paragraph("Contents", styles.h1), Contents(entries)]
    for n in range(1, 4):
        story += [PageBreak(), Heading(f"Part {n} & <i>", styles.h1, f"part-{n}")]
        story += [Paragraph(text("filler " * 400), styles.body)] * n
    pdf = write_pdf(tmp_path / "nav.pdf", INFO, story)
    outline = pdf_tools.outline(pdf)
    assert [e["title"] for e in outline] == ["Part 1 & <i>", "Part 2 & <i>", "Part 3 & <i>"]
    first_page = pdf_tools.text(pdf, 1)
    for entry in outline:
        assert pdf_tools.text(pdf, entry["page"]).count("Part") >= 1
        assert f"{entry['title']}" in first_page
    numbers = [line.split()[-1] for line in first_page.splitlines() if line.startswith("Part")]
    assert numbers == [str(e["page"]) for e in outline] or all(str(e["page"]) in first_page for e in outline)
    assert pdf_tools.qpdf_check(pdf).returncode == 0


def test_any_length_of_typed_text_breaks_across_pages(tmp_path: Path) -> None:
    styles = make_styles()
    unbroken = "<&>" * 35_000  # 105,000 characters without a space
    story = [TextBlock([Segment("A question", f"{FAMILY}-Bold"), Segment(unbroken, indent=10, label="Note: ")])]
    story += typed(unbroken, styles.typed, prefix="<b>Note:</b> ")
    story += pairs_table([("Label", unbroken), ("Short", "value")], styles)
    pdf = write_pdf(tmp_path / "long.pdf", INFO, story)
    pages = pdf_tools.page_texts(pdf)
    assert len(pages) > 20
    assert all(page.count("OFFICIAL-SENSITIVE") == 2 for page in pages)
    whole = "".join("".join(pages).split())
    assert whole.count("<&>") >= 3 * 35_000 - 300  # pdftotext may lose a triplet at a page's edge, never the text


def test_write_pdf_leaves_nothing_behind_when_rendering_fails(tmp_path: Path) -> None:
    class Boom(Paragraph):
        def draw(self) -> None:
            raise RuntimeError("boom")

    styles = make_styles()
    with pytest.raises(RuntimeError):
        write_pdf(tmp_path / "x.pdf", INFO, [Boom("x", styles.body)])
    assert list(tmp_path.iterdir()) == []
