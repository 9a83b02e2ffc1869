"""The results as readable tables for a terminal (``audit-app stats`` and ``agreement`` without
``--json``): formatting only, every figure as the core computed it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from audit_app.services.results import Agreement, AgreementFigures, AuditResults, ItemResult, landis_koch


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _interval(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None else f"{100 * low:.1f}–{100 * high:.1f}%"


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> Iterator[str]:
    """Columns padded to their widest cell; the columns in ``right`` aligned right."""
    widths = [max(len(str(r[c])) for r in [header, *rows]) for c in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).rjust(w) if c in right else str(cell).ljust(w)
                         for c, (cell, w) in enumerate(zip(cells, widths))).rstrip()

    yield line(header)
    yield "  ".join("-" * w for w in widths)
    for row in rows:
        yield line(row)


def _conclusion(item: ItemResult) -> str:
    return item.assurance.conclusion


def stats_lines(results: AuditResults, by: str | None = None) -> Iterator[str]:
    """The stats report: a summary, the items, the file shares, and the breakdown asked for."""
    weighted = results.weighted
    tolerable = "no tolerable rate in the plan" if results.tolerable is None else f"tolerable failure rate {_pct(results.tolerable)}"
    yield (f"{results.files_reviewed} finished file(s)"
           + (f", {len(results.provisional)} provisional (awaiting moderation)" if results.provisional else "")
           + (f", {results.training} training example(s)" if results.training else "")
           + f"; {int(round(100 * results.confidence))}% confidence; {tolerable}.")
    yield ("Design: disproportionate — population figures are WEIGHTED estimates (counts unweighted)." if weighted
           else "Design: equal probability — the sample figures are the estimates.")
    yield ""
    header = ["item", "applic.", "met", "partly", "not met", "NR", "N/A"]
    if weighted:
        header += ["weighted", "interval", "n_eff", "upper limit", "conclusion"]
    else:
        header += ["compliance", "interval", "upper limit", "conclusion"]
    rows = []
    for item_id, item in results.items.items():
        counts = [item_id, str(item.applicable), str(item.met), str(item.partly), str(item.not_met),
                  str(item.not_recorded), str(item.na)]
        if weighted and item.weighted is not None:
            w = item.weighted
            rows.append(counts + [_pct(w.estimate), _interval(w.ci_low, w.ci_high), _number(w.n_eff, 1),
                                  _pct(w.upper_deviation_limit), _conclusion(item)])
        else:
            c = item.compliance
            rows.append(counts + [_pct(c.estimate), _interval(c.ci_low, c.ci_high),
                                  _pct(item.unweighted_upper_deviation_limit), _conclusion(item)])
    yield from table(header, rows, right=range(1, len(header) - 1))
    yield ""
    yield "Files" + (" (weighted estimates beside the counts)" if weighted else "") + ":"
    shares = [*results.files.grades, results.files.critical_failure, results.files.mmo, results.files.notable_practice]
    share_rows = []
    for share in shares:
        p = share.proportion
        row = [share.label, str(p.successes), _pct(p.estimate) if not weighted else "", _interval(p.ci_low, p.ci_high) if not weighted else ""]
        if weighted:
            share_weighted = share.weighted
            row[2] = _pct(share_weighted.estimate) if share_weighted else "—"
            row[3] = _interval(share_weighted.ci_low, share_weighted.ci_high) if share_weighted else "—"
        share_rows.append(row)
    yield from table(["", "files", "weighted" if weighted else "share", "interval"], share_rows, right=(1, 2, 3))
    if by == "section":
        yield ""
        yield "By section (answers pooled across the section's items; descriptive, no interval):"
        yield from table(["section", "applicable", "met", "compliance" if not weighted else "weighted", "not assured"],
                         [[g.label, str(g.applicable), str(g.met), _pct(g.weighted_compliance if weighted else g.compliance),
                           ", ".join(g.not_assured) or "—"] for g in results.sections], right=(1, 2, 3))
    elif by == "stratum":
        yield ""
        yield "By stratum (unweighted within each stratum):"
        item_ids = list(results.items)
        rows = []
        for stratum in results.strata:
            for item_id in item_ids:
                within = stratum.items.get(item_id)
                if within is None or not within.n:
                    continue
                rows.append([stratum.stratum, f"{stratum.finished}/{stratum.population}", item_id,
                             f"{within.successes}/{within.n}", _pct(within.estimate),
                             _interval(within.ci_low, within.ci_high)])
        yield from table(["stratum", "finished/N", "item", "met/applic.", "compliance", "interval"], rows, right=(1, 3, 4, 5))
    elif by == "reviewer":
        yield ""
        yield "By reviewer (primary reviews; N/A flagged where far from the other reviewers'):"
        rows = []
        for reviewer in results.reviewers:
            for item_id, figures in reviewer.items.items():
                if not figures.applicable and not figures.na:
                    continue
                rows.append([reviewer.reviewer, item_id, f"{figures.met}/{figures.applicable}", _pct(figures.compliance.estimate),
                             _pct(figures.na_rate.estimate), _pct(figures.others_na_rate), "FLAG: N/A rate" if figures.na_flag else ""])
        yield from table(["reviewer", "item", "met/applic.", "compliance", "N/A rate", "others' N/A", ""], rows,
                         right=(2, 3, 4, 5))
    yield ""
    yield "Method:"
    yield from (f"  {sentence}" for sentence in results.method)


def _figures_row(name: str, f: AgreementFigures) -> list[str]:
    ci = f"[{f.gwet_ac1_ci[0]:.2f}, {f.gwet_ac1_ci[1]:.2f}]" if f.gwet_ac1_ci else "—"
    return [name, str(f.n), _pct(f.percent_agreement), _number(f.cohen_kappa), _number(f.gwet_ac1), ci,
            _number(f.krippendorff_alpha), landis_koch(f.gwet_ac1) or "—"]


def agreement_lines(agreed: Agreement) -> Iterator[str]:
    """The agreement report: per item and pooled, then the disagreements."""
    yield f"{agreed.files} double-reviewed file(s); intervals at {int(round(100 * agreed.confidence))}% confidence."
    if not agreed.files:
        yield "No file has both a finished primary and a finished second review yet."
        return
    header = ["item", "n", "agree", "kappa", "AC1", "AC1 interval", "alpha", "AC1 in words"]
    rows = [_figures_row(item_id, f) for item_id, f in agreed.items.items()]
    rows.append(_figures_row("pooled", agreed.pooled))
    yield from table(header, rows, right=(1, 2, 3, 4, 6))
    yield ""
    yield f"Disagreements ({len(agreed.disagreements)}):"
    if agreed.disagreements:
        yield from table(["file", "item", "primary", "second", "moderated"],
                         [[d.ref, d.item, d.first, d.second, d.moderated or "—"] for d in agreed.disagreements])
    yield ""
    yield "Method:"
    yield from (f"  {sentence}" for sentence in agreed.method)
