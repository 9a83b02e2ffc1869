"""Hand-built results records for the GUI tests (and the screenshots): an equal-probability audit, a
disproportionate one with weighted figures, agreement with and without disagreements.

The figures are plausible, not computed by the results engine: intervals come from the core's
Wilson and upper-limit functions so the chart has real shapes to draw, and the weighted figures are
the unweighted ones nudged (these tests check what the page shows, not the arithmetic).
"""

from __future__ import annotations

import math

from audit_app.core import statistics
from audit_app.core.results.model import (
    ASSURED,
    DISPROPORTIONATE,
    EQUAL_PROBABILITY,
    NO_APPLICABLE_FILES,
    NO_TOLERABLE_RATE,
    NOT_ASSURED,
    TOO_FEW,
    Agreement,
    AgreementFigures,
    Assurance,
    AuditResults,
    Disagreement,
    FileShares,
    GroupResult,
    ItemResult,
    MeanScore,
    Proportion,
    ReviewerItem,
    ReviewerResult,
    Share,
    StratumResult,
    Weighted,
)

CONFIDENCE = 0.95
STRATA = (("burglary", 400, 20), ("robbery", 60, 12), ("vehicle", 900, 14))  # key, N_h, n_h


def proportion(successes: int, n: int) -> Proportion:
    if n == 0:
        return Proportion(0, 0, None, None, None)
    low, high = statistics.wilson_interval(successes, n, CONFIDENCE)
    return Proportion(successes, n, successes / n, low, high)


def weighted_of(met: int, applicable: int, shift: float) -> Weighted:
    """A weighted figure near the unweighted one, with a smaller effective sample size."""
    if applicable == 0:
        return Weighted(None, None, None, None, None, None)
    estimate = min(1.0, max(0.0, met / applicable + shift))
    n_eff = applicable * 0.8
    z = 1.959963984540054
    centre = (estimate + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(estimate * (1 - estimate) / n_eff + z * z / (4 * n_eff * n_eff))
    failures = round((1 - estimate) * n_eff)
    limit = statistics.upper_deviation_limit(min(failures, int(n_eff)), max(1, int(n_eff)), CONFIDENCE)
    return Weighted(estimate, max(0.0, centre - half), min(1.0, centre + half), n_eff, 0.001, limit)


def item_result(item: str, section: str, question: str, applicable: int, met: int, *, na: int = 1,
                tolerable: float | None = 0.10, weighted: bool = False, shift: float = 0.0,
                subscore: str = "INV", critical: bool = False) -> ItemResult:
    not_met = max(0, applicable - met - 1) if applicable > met else 0
    partly = applicable - met - not_met
    w = weighted_of(met, applicable, shift) if weighted else None
    unweighted_limit = (statistics.upper_deviation_limit(applicable - met, applicable, CONFIDENCE)
                        if applicable else None)
    limit = w.upper_deviation_limit if w is not None else unweighted_limit
    needed = None if tolerable is None else math.ceil(math.log(1 - CONFIDENCE) / math.log(1 - tolerable))
    if applicable == 0:
        assurance = Assurance(None, None, NO_APPLICABLE_FILES, needed)
    elif tolerable is None:
        assurance = Assurance(limit, None, NO_TOLERABLE_RATE)
    elif limit is not None and limit <= tolerable:
        assurance = Assurance(limit, True, ASSURED, needed)
    elif needed is not None and applicable < needed and met == applicable:
        assurance = Assurance(limit, False, TOO_FEW, needed)
    else:
        assurance = Assurance(limit, False, NOT_ASSURED, needed)
    return ItemResult(item=item, section=section, subscore=subscore, question=question, critical=critical,
                      applicable=applicable, met=met, partly=partly, not_met=not_met, not_recorded=0, na=na,
                      excluded_by_rule=0, na_reasons=(("No suspect", na),) if na else (),
                      compliance=proportion(met, applicable), met_or_partly=proportion(met + partly, applicable),
                      not_recorded_rate=proportion(0, applicable), na_rate=proportion(na, applicable + na),
                      unweighted_upper_deviation_limit=unweighted_limit, assurance=assurance, weighted=w)


# (section, item, question, applicable, met): 9 % and 10 % side by side for the sorting test
ITEMS = (
    ("A", "A1", "Was the crime recorded correctly and promptly?", 46, 46),
    ("A", "A2", "Was the initial risk to the victim assessed and recorded?", 44, 30),
    ("A", "A3", "Was the caller's vulnerability identified at first contact?", 22, 2),
    ("B", "B1", "Was the victim offered a needs assessment under the Victims' Code?", 40, 4),
    ("B", "B2", "Was the victim told how to get support services?", 12, 12),
    ("B", "B3", "Was a victim personal statement offered?", 0, 0),
    ("C", "C1", "Was the crime allocated within the expected time?", 45, 41),
    ("C", "C2", "Was the allocation decision recorded with its reasons?", 30, 29),
)
SECTIONS = {"A": "First contact, risk and recording", "B": "Victim needs and the Victims' Code at reporting",
            "C": "Assessment and allocation"}


def make_results(*, weighted: bool = False, tolerable: float | None = 0.10, agreement: Agreement | None = None,
                 items: tuple[tuple[str, str, str, int, int], ...] = ITEMS, files: int = 46,
                 section_labels: dict[str, str] = SECTIONS) -> AuditResults:
    shifts = (0.0, -0.04, 0.03, 0.02, 0.0, 0.0, 0.01, -0.02)
    built = {item: item_result(item, section, question, applicable, met, tolerable=tolerable, weighted=weighted,
                               shift=shifts[n % len(shifts)], subscore="VIC" if section == "B" else "INV",
                               critical=item == "A2")
             for n, (section, item, question, applicable, met) in enumerate(items)}
    sections = tuple(
        GroupResult(sid, label, tuple(i for i, r in built.items() if r.section == sid),
                    sum(r.applicable for r in built.values() if r.section == sid),
                    sum(r.met for r in built.values() if r.section == sid),
                    _ratio(sum(r.met for r in built.values() if r.section == sid),
                           sum(r.applicable for r in built.values() if r.section == sid)),
                    0.81 if weighted else None,
                    tuple(i for i, r in built.items() if r.section == sid and r.assurance.conclusion == NOT_ASSURED))
        for sid, label in section_labels.items())
    subscores = (MeanScore("INV", "Investigation", files, 78.4, 74.1, 82.7, weighted),
                 MeanScore("VIC", "Victim service", files - 2, 61.9, 55.0, 68.8, weighted))
    strata = tuple(StratumResult(key, population, drawn, min(drawn, files // 3 + k),
                                 {"good": 5 + k, "adequate": 6, "requires_improvement": 2 + k, "inadequate": 1},
                                 {item: proportion(max(0, r.met // 3 - k), r.applicable // 3)
                                  for item, r in built.items()})
                   for k, (key, population, drawn) in enumerate(STRATA))
    reviewers = (
        ReviewerResult("Ann Reviewer (101)", 20, {item: _reviewer_item(r.applicable // 2, r.met // 2, 1, 0.05, False)
                                                  for item, r in built.items()}),
        ReviewerResult("Bob Second (102)", 18, {item: _reviewer_item(r.applicable // 2, r.met // 2, 6 if item == "A2" else 1,
                                                                     0.04, item == "A2")
                                                for item, r in built.items()}),
    )
    return AuditResults(files_reviewed=files, provisional=("CRM-7", "CRM-9"), training=2,
                        design=DISPROPORTIONATE if weighted else EQUAL_PROBABILITY, confidence=CONFIDENCE,
                        tolerable=tolerable, items=built, sections=sections, subscores=subscores, strata=strata,
                        reviewers=reviewers, files=_file_shares(files, weighted),
                        method=("Compliance is Met ÷ applicable answers (N/A excluded), with a 95% Wilson score "
                                "interval.",
                                "An item is assured when the one-sided 95% upper limit of its failure rate is at most "
                                "the tolerable rate of 10%.") + (
                                ("Strata were sampled at different rates: estimates are weighted by N_h ÷ m_h.",)
                                if weighted else ()),
                        agreement=agreement)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _reviewer_item(applicable: int, met: int, na: int, others: float, flag: bool) -> ReviewerItem:
    return ReviewerItem(applicable, met, na, proportion(met, applicable), proportion(na, applicable + na), others, flag)


def _file_shares(files: int, weighted: bool) -> FileShares:
    def share(sid: str, label: str, k: int) -> Share:
        p = proportion(k, files)
        w = weighted_of(k, files, 0.03) if weighted else None
        return Share(sid, label, p, w)

    grades = (share("outstanding", "Outstanding", 3), share("good", "Good", 17), share("adequate", "Adequate", 15),
              share("requires_improvement", "Requires improvement", 7), share("inadequate", "Inadequate", 3),
              share("ungradable", "Ungradable", 1))
    return FileShares(grades, share("critical", "Critical failure", 4), share("mmo", "Material missed opportunity", 2),
                      share("ungradable", "Ungradable", 1), share("notable", "Notable practice", 5))


def figures(n: int, agree: float, kappa: float | None, ac1: float | None, alpha: float | None) -> AgreementFigures:
    return AgreementFigures(n=n, percent_agreement=agree, cohen_kappa=kappa, cohen_kappa_se=0.1,
                            cohen_kappa_ci=None if kappa is None else (kappa - 0.2, min(1.0, kappa + 0.2)),
                            gwet_ac1=ac1, gwet_ac1_se=0.05,
                            gwet_ac1_ci=None if ac1 is None else (ac1 - 0.12, min(1.0, ac1 + 0.1)),
                            krippendorff_alpha=alpha, categories=("M", "N", "P"))


def make_agreement(disagreements: bool = True) -> Agreement:
    shown = (Disagreement("CRM-7", 3, "A2", "M", "N", None), Disagreement("CRM-9", 5, "B1", "P", "M", "M"),
             Disagreement("CRM-2", 1, "A1", "NR", "M", "NR")) if disagreements else ()
    items = {"A1": figures(6, 0.83, 0.57, 0.79, 0.58), "A2": figures(6, 0.67, -0.2, 0.45, -0.15),
             "B1": figures(5, 0.8, None, 0.86, None), "C1": figures(6, 1.0, None, 1.0, None)}
    return Agreement(files=6, confidence=CONFIDENCE, items=items, pooled=figures(23, 0.87, 0.61, 0.83, 0.61),
                     disagreements=shown,
                     method=("Agreement is computed on the 6 files reviewed twice, independently.",
                             "κ is Cohen's kappa; AC1 is Gwet's, with Gwet's (2008) standard error."))


def no_agreement() -> Agreement:
    return Agreement(files=0, confidence=CONFIDENCE, items={}, pooled=figures(0, None, None, None, None), disagreements=(),
                     method=())

