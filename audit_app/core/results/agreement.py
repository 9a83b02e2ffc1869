"""Agreement between the primary and the second review of the double-reviewed files
(statistics.md §4): percent agreement, Cohen's κ, Gwet's AC1 and Krippendorff's α, per item and
pooled over items, with Gwet's standard errors and t intervals for κ and AC1.

Pure functions, no Qt, no SQL: the services gather :class:`~audit_app.core.results.model.RatedPair`
records, :func:`compute` returns the frozen :class:`~audit_app.core.results.model.Agreement` that
the CLI, the GUI and the reports show without recomputing anything.

Two reviews and complete pairs only, so every statistic is a function of one contingency table
per item: ``n_kl`` = pairs the primary review answered ``k`` and the second review ``l``. Notation
used in the docstrings below, for a table over ``n`` pairs:

- ``p_o = Σ_k n_kk / n``, the percent agreement;
- ``a_k = n_k+ / n`` and ``b_k = n_+k / n``, the primary and the second review's shares of code ``k``;
- ``π_k = (a_k + b_k) / 2``, the mean share of code ``k`` over both reviews;
- ``q`` = the number of codes either review gave (the categories seen).

Every undefined figure is ``None``, never NaN, and nothing divides by zero: κ when ``p_e = 1``,
AC1 when ``q = 1``, α when every answer is the same code, standard errors and intervals when
``n = 1``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from audit_app.core.results.model import Agreement, AgreementFigures, Disagreement, RatedPair

# The answer codes of statistics.md §4, in the order the figures list them; any other code a
# checklist defines follows these, alphabetically. The order is for display only: no statistic
# depends on it.
CODE_ORDER = ("M", "P", "N", "NR", "NA")

# Landis & Koch (1977): (upper limit, band); each band includes its upper limit.
LANDIS_KOCH = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"))
# Binary rounding slack when comparing with a band's limit, so 0.2 computed as
# 0.20000000000000004 is still "slight", as it reads.
BAND_TOLERANCE = 1e-9

Table = Mapping[tuple[str, str], int]


def landis_koch(value: float | None) -> str:
    """The Landis & Koch (1977) band of an agreement coefficient, in words.

    Below 0 "poor"; 0 to 0.20 "slight"; 0.21 to 0.40 "fair"; 0.41 to 0.60 "moderate"; 0.61 to
    0.80 "substantial"; 0.81 to 1 "almost perfect". The published bands are given to two
    decimals and leave gaps (0.20 to 0.21); here each band includes its upper limit and
    everything above it up to the next limit, so 0.20 is "slight", 0.205 "fair", 0.80
    "substantial" and 0.8001 "almost perfect" (a slack of 1e-9 absorbs binary rounding at a
    limit). 0 is "slight"; ``None`` (an undefined coefficient) gives ``""``.
    """
    if value is None:
        return ""
    if math.isnan(value):
        raise ValueError("An agreement coefficient to band must be a number, not NaN.")
    if value < 0:
        return "poor"
    for limit, band in LANDIS_KOCH:
        if value <= limit + BAND_TOLERANCE:
            return band
    return "almost perfect"


def compute(
    pairs: Sequence[RatedPair], item_order: Sequence[str], files: int, confidence: float
) -> Agreement:
    """Agreement between the two reviews, per item and pooled (statistics.md §4).

    :param pairs: one per item of a double-reviewed file answered in both reviews. A pair whose
        ``first`` or ``second`` code is empty (no answer) is left out, as §4 requires.
    :param item_order: the checklist's item ids in order: ``items`` follow it (items with no
        pair are left out), and so do the disagreements within a file.
    :param files: the number of double-reviewed files (reported as given).
    :param confidence: the audit's confidence level, strictly between 0 and 1.
    :raises ValueError: confidence outside (0, 1), a negative file count, or a pair for an item
        that ``item_order`` does not name.
    """
    _check_confidence(confidence)
    if files < 0:
        raise ValueError(f"The number of double-reviewed files cannot be negative (got {files}).")
    order: dict[str, int] = {}
    for index, item in enumerate(item_order):
        order.setdefault(item, index)

    tables: dict[str, Counter[tuple[str, str]]] = {}
    differing: list[RatedPair] = []
    left_out = 0
    for pair in pairs:
        if pair.item not in order:
            raise ValueError(f"A rated pair names item {pair.item!r}, which is not in the checklist's item order.")
        if not pair.first or not pair.second:
            left_out += 1
            continue
        tables.setdefault(pair.item, Counter())[(pair.first, pair.second)] += 1
        if pair.first != pair.second:
            differing.append(pair)

    quantile = _t_quantile(confidence)
    items = {item: _figures(tables[item], quantile) for item in order if item in tables}
    pooled_table: Counter[tuple[str, str]] = Counter()
    for table in tables.values():
        pooled_table.update(table)
    pooled = _figures(pooled_table, quantile)

    differing.sort(key=lambda pair: (pair.position, order[pair.item], pair.ref))
    disagreements = tuple(
        Disagreement(pair.ref, pair.position, pair.item, pair.first, pair.second, pair.moderated)
        for pair in differing
    )
    return Agreement(
        files=files,
        confidence=confidence,
        items=items,
        pooled=pooled,
        disagreements=disagreements,
        method=method(files, confidence, pooled, len(items), left_out),
    )


def method(files: int, confidence: float, pooled: AgreementFigures, items: int, left_out: int = 0) -> tuple[str, ...]:
    """The method statement: what was computed and how, in sentences an outsider can follow."""
    seen = ", ".join(pooled.categories) if pooled.categories else "none"
    omitted = (
        f" {left_out} pair{'s' if left_out != 1 else ''} with a missing answer {'were' if left_out != 1 else 'was'} left out."
        if left_out
        else ""
    )
    return (
        f"Agreement between reviewers is measured on the {files} file{'s' if files != 1 else ''} reviewed "
        "independently by a primary and a second reviewer. For each checklist item, every such file "
        "for which both reviews recorded an answer gives one rated pair; a pair where either review "
        f"has no answer is left out of that item's figures. There were {pooled.n} rated "
        f"pair{'s' if pooled.n != 1 else ''} on {items} item{'s' if items != 1 else ''}.{omitted}",
        "The categories are the answer codes as recorded (Met M, Partly met P, Not met N, Not recorded "
        "NR, Not applicable NA), each a category of its own with no partial credit between "
        f"them (nominal). Codes given: {seen}.",
        "Percent agreement p_o is the share of pairs in which both reviews gave the same code.",
        "Cohen's kappa (Cohen 1960) is (p_o − p_e)/(1 − p_e) with p_e = Σ_k a_k·b_k, where a_k and "
        "b_k are the shares of the primary and of the second review's answers that are code k. It "
        "is not reported when p_e = 1 (both reviews gave one and the same code throughout).",
        "Gwet's AC1 (Gwet 2008) is (p_o − p_e)/(1 − p_e) with p_e = Σ_k π_k(1 − π_k)/(q − 1), where "
        "π_k = (a_k + b_k)/2 is the mean share of code k over both reviews and q is the number of "
        "different codes either review gave for the item (for the pooled figure, over all items). "
        "Unlike kappa it stays meaningful when almost every answer is the same code. It is not "
        "reported when q = 1.",
        "Krippendorff's alpha (Krippendorff 2004, 2011), for nominal data with two answers per pair, "
        "is 1 − D_o/D_e, where D_o, the observed disagreement, is the share of pairs whose two "
        "answers differ, and D_e, the disagreement expected by chance, is the chance that two of "
        "the 2n answers pooled, drawn without replacement, differ; with n_c answers of code c, "
        "α = 1 − (2n − 1)·2·(n − agreeing pairs)/((2n)² − Σ_c n_c²). It is not reported when "
        "every answer is the same code.",
        "The standard errors of kappa and AC1 are Gwet's (2008) large-sample linearisation "
        "estimates for pairs drawn from an unlimited population (no finite population "
        "correction), in the subject-level form of Gwet's Handbook of Inter-Rater Reliability "
        "(2014) as the irrCAC package computes it: each pair i gets c_i = (d_i − p_e)/(1 − p_e) − "
        "2(1 − c)(p_e,i − p_e)/(1 − p_e), where c is the coefficient, d_i is 1 when the pair "
        "agrees and 0 otherwise, and p_e,i is the pair's own chance agreement (for kappa "
        "(b_k + a_l)/2, for AC1 ((1 − π_k) + (1 − π_l))/(2(q − 1)), for a pair answered k by the "
        "primary and l by the second review); the variance is Σ_i (c_i − c)²/(n(n − 1)), which is "
        "n/(n − 1) times the contingency-table form printed in Gwet (2008).",
        "Each interval is the estimate ± t·SE, where t is the quantile of Student's t distribution "
        f"with n − 1 degrees of freedom for a two-sided {_percent(confidence)} interval (the "
        f"{(1 + confidence) / 2:.6g} quantile), clipped to [−1, 1]. With a single pair there is no "
        "standard error and no interval.",
        "The pooled figures treat every (file, item) pair as one subject, over all items together. "
        "Pairs from the same file are not independent, so the pooled intervals, which treat "
        "them as independent, are likely somewhat too narrow.",
        "The coefficients may be read against the Landis and Koch (1977) bands: below 0 poor, 0 to "
        "0.20 slight, 0.21 to 0.40 fair, 0.41 to 0.60 moderate, 0.61 to 0.80 substantial, 0.81 to "
        "1 almost perfect (each band includes its upper limit), always together with the interval.",
        "Disagreements list every pair in which the two reviews' codes differ, by file position "
        "and checklist order, with the code agreed at moderation where one was recorded.",
        "References: Cohen J (1960) A coefficient of agreement for nominal scales, Educational and "
        "Psychological Measurement 20(1):37–46. Gwet KL (2008) Computing inter-rater reliability "
        "and its variance in the presence of high agreement, British Journal of Mathematical and "
        "Statistical Psychology 61(1):29–48. Gwet KL (2014) Handbook of Inter-Rater Reliability, "
        "4th ed., Advanced Analytics. Krippendorff K (2004) Content Analysis: An Introduction to Its "
        "Methodology, 2nd ed., Sage. Krippendorff K (2011) Computing Krippendorff's Alpha-Reliability, "
        "Annenberg School for Communication, University of Pennsylvania. Landis JR, Koch GG (1977) "
        "The measurement of observer agreement for categorical data, Biometrics 33(1):159–174.",
    )


# -- the statistics of one table ----------------------------------------------------------------


def _figures(table: Table, quantile: Callable[[int], float]) -> AgreementFigures:
    """All figures of one contingency table ``n_kl`` (primary code, second code) → pairs."""
    cells = {cell: count for cell, count in table.items() if count > 0}
    n = sum(cells.values())
    categories = _categories(cells)
    if n == 0:
        return AgreementFigures(0, None, None, None, None, None, None, None, None, categories)
    agreeing = sum(count for (k, l), count in cells.items() if k == l)
    kappa, kappa_se = _cohen_kappa(cells, n, agreeing)
    ac1, ac1_se = _gwet_ac1(cells, n, agreeing, len(categories))
    return AgreementFigures(
        n=n,
        percent_agreement=agreeing / n,
        cohen_kappa=kappa,
        cohen_kappa_se=kappa_se,
        cohen_kappa_ci=_interval(kappa, kappa_se, n, quantile),
        gwet_ac1=ac1,
        gwet_ac1_se=ac1_se,
        gwet_ac1_ci=_interval(ac1, ac1_se, n, quantile),
        krippendorff_alpha=_krippendorff_alpha(cells, n, agreeing),
        categories=categories,
    )


def _categories(cells: Table) -> tuple[str, ...]:
    codes = {code for cell in cells for code in cell}
    known = [code for code in CODE_ORDER if code in codes]
    return (*known, *sorted(codes - set(CODE_ORDER)))


def _margins(cells: Table, n: int) -> tuple[dict[str, float], dict[str, float]]:
    """``a_k`` and ``b_k``: the primary and the second review's shares of each code."""
    first: Counter[str] = Counter()
    second: Counter[str] = Counter()
    for (k, l), count in cells.items():
        first[k] += count
        second[l] += count
    return {k: c / n for k, c in first.items()}, {k: c / n for k, c in second.items()}


def _cohen_kappa(cells: Table, n: int, agreeing: int) -> tuple[float | None, float | None]:
    """Cohen's κ (Cohen 1960) and its standard error (Gwet 2008; Gwet 2014, raw ratings).

    ``κ = (p_o − p_e)/(1 − p_e)``, ``p_e = Σ_k a_k·b_k``; ``None`` when ``p_e = 1``, which with
    shares summing to 1 happens exactly when both reviews used one and the same code throughout.

    Variance by linearisation, pairs as subjects from an unlimited population (no finite
    population correction)::

        κ_i = (d_i − p_e)/(1 − p_e) − 2(1 − κ)(p_e,i − p_e)/(1 − p_e)
        v(κ) = Σ_i (κ_i − κ)² / (n(n − 1))

    with ``d_i`` = 1 when pair i agrees, else 0, and ``p_e,i = (b_k + a_l)/2`` for a pair answered
    ``k`` by the primary and ``l`` by the second review (the mean of ``p_e,i`` is ``p_e``). This
    is irrCAC's ``raw.CAC.conger()`` for two raters, where Conger's κ is Cohen's κ; irrCAC's
    ``table.CAC.cohen()`` gives the same variance times ``(n − 1)/n`` (Gwet 2008's table form).
    ``None`` when ``n = 1``.
    """
    a, b = _margins(cells, n)
    if len(a) == 1 and a.keys() == b.keys():  # p_e = 1 exactly
        return None, None
    p_o = agreeing / n
    p_e = sum(share * b.get(code, 0.0) for code, share in a.items())
    kappa = (p_o - p_e) / (1 - p_e)
    if n < 2:
        return kappa, None
    total = 0.0
    for (k, l), count in cells.items():
        p_e_i = (b.get(k, 0.0) + a.get(l, 0.0)) / 2
        kappa_i = ((k == l) - p_e) / (1 - p_e) - 2 * (1 - kappa) * (p_e_i - p_e) / (1 - p_e)
        total += count * (kappa_i - kappa) ** 2
    return kappa, math.sqrt(total / (n * (n - 1)))


def _gwet_ac1(cells: Table, n: int, agreeing: int, q: int) -> tuple[float | None, float | None]:
    """Gwet's AC1 (Gwet 2008) and its standard error (Gwet 2008; Gwet 2014, raw ratings).

    ``AC1 = (p_o − p_e)/(1 − p_e)``, ``p_e = Σ_k π_k(1 − π_k)/(q − 1)``, ``q`` the codes either
    review gave (irrCAC's default categories); ``None`` when ``q = 1``. For ``q ≥ 2``,
    ``p_e ≤ 1/q < 1``, so the division is safe.

    Variance by linearisation, pairs as subjects from an unlimited population::

        AC1_i = (d_i − p_e)/(1 − p_e) − 2(1 − AC1)(p_e,i − p_e)/(1 − p_e)
        v(AC1) = Σ_i (AC1_i − AC1)² / (n(n − 1))

    with ``p_e,i = ((1 − π_k) + (1 − π_l)) / (2(q − 1))`` for a pair answered ``k`` and ``l``
    (the mean of ``p_e,i`` is ``p_e``). This is irrCAC's ``raw.CAC.gwet()`` for two raters with
    identity weights; its ``table.CAC.gwet()`` (the formula printed in Gwet 2008) gives the same
    variance times ``(n − 1)/n``. ``None`` when ``n = 1``.
    """
    if q < 2:
        return None, None
    a, b = _margins(cells, n)
    pi = {code: (a.get(code, 0.0) + b.get(code, 0.0)) / 2 for code in a.keys() | b.keys()}
    p_o = agreeing / n
    p_e = sum(share * (1 - share) for share in pi.values()) / (q - 1)
    ac1 = (p_o - p_e) / (1 - p_e)
    if n < 2:
        return ac1, None
    total = 0.0
    for (k, l), count in cells.items():
        p_e_i = ((1 - pi[k]) + (1 - pi[l])) / (2 * (q - 1))
        ac1_i = ((k == l) - p_e) / (1 - p_e) - 2 * (1 - ac1) * (p_e_i - p_e) / (1 - p_e)
        total += count * (ac1_i - ac1) ** 2
    return ac1, math.sqrt(total / (n * (n - 1)))


def _krippendorff_alpha(cells: Table, n: int, agreeing: int) -> float | None:
    """Krippendorff's α for nominal data, two answers per pair (Krippendorff 2004, 2011).

    From the coincidence matrix ``o_ck`` (each pair (k, l) adds 1 to ``o_kl`` and 1 to ``o_lk``),
    ``n_c = Σ_k o_ck`` (answers of code c, both reviews) and ``n.. = 2n``::

        D_o = Σ_{c≠k} o_ck / n..
        D_e = Σ_{c≠k} n_c·n_k / (n..(n.. − 1))
        α = 1 − D_o/D_e = 1 − (n.. − 1)·2(n − agreeing) / (n..² − Σ_c n_c²)

    in integers up to the last division. ``None`` when ``D_e = 0``: every answer is one code.
    """
    answers: Counter[str] = Counter()
    for (k, l), count in cells.items():
        answers[k] += count
        answers[l] += count
    total = 2 * n
    expected = total * total - sum(c * c for c in answers.values())
    if expected == 0:
        return None
    return 1 - (total - 1) * 2 * (n - agreeing) / expected


def _interval(
    estimate: float | None, se: float | None, n: int, quantile: Callable[[int], float]
) -> tuple[float, float] | None:
    """``estimate ± t_{n−1}·SE`` clipped to [−1, 1]; ``None`` without a standard error."""
    if estimate is None or se is None or n < 2:
        return None
    half = quantile(n - 1) * se
    return max(-1.0, estimate - half), min(1.0, estimate + half)


def _t_quantile(confidence: float) -> Callable[[int], float]:
    """The two-sided t quantile ``t_{(1+confidence)/2, df}``, cached by degrees of freedom.

    ``scipy.special.stdtrit`` is the function ``scipy.stats.t.ppf`` evaluates; it is imported
    on first use and instead of ``scipy.stats``, which costs another ~0.15 s to import.
    """
    cache: dict[int, float] = {}
    probability = (1 + confidence) / 2

    def quantile(df: int) -> float:
        if df not in cache:
            cache[df] = float(_special().stdtrit(df, probability))
        return cache[df]

    return quantile


def _special() -> Any:
    from scipy import special

    return special


def _check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ValueError(f"The confidence level must be a number between 0 and 1, exclusive (got {confidence!r}).")


def _percent(confidence: float) -> str:
    return f"{confidence * 100:.6g} %"
