"""The audit's results in words and numbers for the screen: percentages, intervals, conclusions,
the summary line, the figure an item is shown by. Formatting only: every figure comes computed in
the frozen records of :mod:`audit_app.core.results.model`; nothing here estimates anything.

For a disproportionate design the figure shown for an item (or a share of files) is the weighted
one, and the unweighted sample-wide percentage is never offered (statistics.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass

from audit_app.core.results.model import (
    ASSURED,
    NO_APPLICABLE_FILES,
    NO_TOLERABLE_RATE,
    NOT_ASSURED,
    TOO_FEW,
    AuditResults,
    ItemResult,
    Share,
)

DASH = "—"
MINUS = "\u2212"

# An item's state on the chart and in the table (one per conclusion of the model).
STATE_ASSURED = "assured"
STATE_NOT_ASSURED = "not_assured"
STATE_TOO_FEW = "too_few"
STATE_NO_CONCLUSION = "no_conclusion"  # no tolerable rate set: a margin-of-error or fixed-size plan
STATE_EMPTY = "empty"  # no applicable file
STATE_OF_CONCLUSION = {ASSURED: STATE_ASSURED, NOT_ASSURED: STATE_NOT_ASSURED, TOO_FEW: STATE_TOO_FEW,
                       NO_TOLERABLE_RATE: STATE_NO_CONCLUSION, NO_APPLICABLE_FILES: STATE_EMPTY}
CONCLUSION_WORDS = {STATE_ASSURED: "Assured", STATE_NOT_ASSURED: "Not assured",
                    STATE_TOO_FEW: "Not assured — too few applicable files",
                    STATE_NO_CONCLUSION: "No conclusion (no tolerable rate set)",
                    STATE_EMPTY: "No applicable files"}


def pct(value: float | None, digits: int = 0) -> str:
    """``0.834`` → ``"83%"``; ``None`` → a dash."""
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def rate(value: float) -> str:
    """A rate set by the plan, as it was typed: ``0.05`` → ``"5%"``, ``0.025`` → ``"2.5%"``."""
    return f"{value * 100:g}%"


def interval(low: float | None, high: float | None) -> str:
    """``"71–91%"``, or a dash when the interval is undefined."""
    if low is None or high is None:
        return DASH
    return f"{low * 100:.0f}–{high * 100:.0f}%"


def decimal(value: float | None, digits: int = 2) -> str:
    """A coefficient (κ, AC1, α) with a real minus sign; a dash when undefined."""
    return DASH if value is None else f"{value:.{digits}f}".replace("-", MINUS)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "file")`` → ``"1 file"``; ``count(3, "file")`` → ``"3 files"``."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


@dataclass(frozen=True)
class Figure:
    """The figure an item or a share is shown by: the weighted one for a disproportionate design,
    else the unweighted one (never both, never the unweighted one for a weighted design)."""

    estimate: float | None
    low: float | None
    high: float | None
    weighted: bool


def item_figure(item: ItemResult, weighted: bool) -> Figure:
    if weighted:
        w = item.weighted
        return Figure(w.estimate, w.ci_low, w.ci_high, True) if w else Figure(None, None, None, True)
    c = item.compliance
    return Figure(c.estimate, c.ci_low, c.ci_high, False)


def share_figure(share: Share, weighted: bool) -> Figure:
    if weighted:
        w = share.weighted
        return Figure(w.estimate, w.ci_low, w.ci_high, True) if w else Figure(None, None, None, True)
    p = share.proportion
    return Figure(p.estimate, p.ci_low, p.ci_high, False)


def state_of(item: ItemResult) -> str:
    return STATE_OF_CONCLUSION.get(item.assurance.conclusion, STATE_NO_CONCLUSION)


def conclusion_words(item: ItemResult) -> str:
    return CONCLUSION_WORDS[state_of(item)]


def item_tooltip(item: ItemResult, results: AuditResults, section: str = "") -> str:
    """One item's figures in plain lines (the chart row's tooltip)."""
    figure = item_figure(item, results.weighted)
    kind = "Weighted compliance" if figure.weighted else "Compliance"
    lines = [f"{item.item}: {item.question}"]
    if section:
        lines.append(f"Section: {section}")
    lines.append(f"{kind}: {pct(figure.estimate)} ({confidence(results)} interval {interval(figure.low, figure.high)})")
    lines.append(f"Applicable files: {item.applicable} (Met {item.met}, Partly {item.partly}, Not met {item.not_met}, "
                 f"Not recorded {item.not_recorded}); N/A {item.na}")
    if item.assurance.upper_deviation_limit is not None:
        limit = "weighted upper limit" if figure.weighted else "upper limit"
        lines.append(f"Failure rate {limit}: {pct(item.assurance.upper_deviation_limit, 1)}"
                     + (f" (tolerable {rate(results.tolerable)})" if results.tolerable is not None else ""))
    lines.append(conclusion_words(item) + ("; a critical item" if item.critical else ""))
    return "\n".join(lines)


def confidence(results: AuditResults) -> str:
    return f"{results.confidence * 100:g}%"


def summary(results: AuditResults) -> str:
    """The dashboard's summary line: what was reviewed, the design, the confidence and tolerable
    rate, and how many items are assured."""
    files = count(results.files_reviewed, "file") + " reviewed"
    notes = []
    if results.training:
        notes.append(f"{results.training} of them training examples")
    if results.provisional:
        notes.append(count(len(results.provisional), "provisional file") + " awaiting moderation, "
                     "counted with the primary review's answers for now")
    if notes:
        files += " (" + "; ".join(notes) + ")"
    if results.weighted:
        design = ("Disproportionate design: strata were sampled at different rates, so sample-wide figures are "
                  "weighted estimates (counts are the files reviewed)")
    else:
        design = "Equal-probability design: every file had the same chance of selection"
    conf = f"Confidence {confidence(results)}"
    if results.tolerable is None:
        return (f"{files}. {design}. {conf}; no tolerable failure rate is set, so no item is assured or "
                f"not assured.")
    return f"{files}. {design}. {conf}; tolerable failure rate {rate(results.tolerable)}. {assurance_tally(results)}"


def assurance_tally(results: AuditResults) -> str:
    """``"Of 30 items: 18 assured, 9 not assured, 3 too few files to conclude."``"""
    states = [state_of(item) for item in results.items.values()]
    parts = [f"{states.count(STATE_ASSURED)} assured", f"{states.count(STATE_NOT_ASSURED)} not assured",
             f"{states.count(STATE_TOO_FEW)} with too few applicable files to conclude"]
    if empty := states.count(STATE_EMPTY):
        parts.append(f"{empty} with no applicable file")
    return f"Of {count(len(states), 'item')}: " + ", ".join(parts) + "."

