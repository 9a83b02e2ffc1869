"""The audit's estimates (core.results.estimates) against values from outside the code.

References (statistics.md §5: never the code's own formula):

- Wilson intervals: ``statsmodels.stats.proportion.proportion_confint(x, n, alpha, method="wilson")``
  (it accepts a real-valued count and size, which is how the weighted interval is checked).
- Upper deviation limits: ``scipy.stats.beta.ppf`` called directly, and the AICPA *Audit
  Sampling* Appendix A Table A-3 (95 %, limits in percent rounded up to 0.1), as transcribed in
  tests/core/test_statistics.py.
- The weighted estimate of §3.1: a three-stratum example worked by hand below (every step a
  calculator can check), and two independent recomputations written differently from the code:
  the residuals ``d_i`` file by file with ``numpy.var``, and Cochran's (1977, §6.11) combined
  ratio variance ``(1/X̂²)·Σ_h N_h²(1 − f_h)/m_h·(s²_y + R²·s²_a − 2R·s_ya)`` with the standard
  library's ``statistics.variance`` and ``statistics.covariance``.
- t intervals for sub-scores: ``statsmodels.stats.weightstats.DescrStatsW.tconfint_mean``.
- Reviewer flags: ``scipy.stats.fisher_exact`` for the p-values and
  ``statsmodels.stats.multitest.multipletests(method="fdr_bh")`` for the Benjamini–Hochberg step.
"""

from __future__ import annotations

import dataclasses
import math
import statistics as stdstats
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pytest
from conftest import BUNDLED, TEST_CHECKLISTS
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from audit_app.core.checklist import load_checklist
from audit_app.core.results.estimates import compute
from audit_app.core.results.model import (
    ASSURED,
    DISPROPORTIONATE,
    EQUAL_PROBABILITY,
    MET,
    NO_APPLICABLE_FILES,
    NO_TOLERABLE_RATE,
    NOT_APPLICABLE,
    NOT_ASSURED,
    NOT_MET,
    NOT_RECORDED,
    PARTLY_MET,
    TOO_FEW,
    AuditResults,
    Design,
    FileInput,
    ItemAnswer,
)
from audit_app.core.statistics import (
    benjamini_hochberg,
    fisher_exact_two_sided,
    upper_deviation_limits,
    wilson_interval_real,
)

MEANING = {"M": MET, "P": PARTLY_MET, "N": NOT_MET, "NR": NOT_RECORDED, "NA": NOT_APPLICABLE}
ITEMS = ("A1", "A2", "B1")  # the minimal checklist: section A (A1, A2), section B (B1)


@pytest.fixture(scope="module")
def minimal():
    return load_checklist(TEST_CHECKLISTS / "minimal.yaml")


def file(ref: str, answers: Mapping[str, str], stratum: str = "all", reviewer: str = "ann", **extra) -> FileInput:
    """A finished file answering ``answers`` (item → code); the other items are excluded by rule."""
    position = extra.pop("position", int("".join(c for c in ref if c.isdigit()) or 0))
    notes = extra.pop("notes", {})
    return FileInput(
        ref=ref,
        position=position,
        stratum=stratum,
        reviewer=reviewer,
        answers={item: ItemAnswer(code, MEANING[code], notes.get(item, "")) for item, code in answers.items()},
        excluded_by_rule=frozenset(set(ITEMS) - set(answers)),
        **extra,
    )


def a1_files(codes: list[str], stratum: str = "all", start: int = 1, reviewer: str = "ann") -> list[FileInput]:
    """Files answering only A1, one per code."""
    return [file(f"F{start + i}", {"A1": code}, stratum, reviewer) for i, code in enumerate(codes)]


def equal(tolerable: float | None = 0.05, confidence: float = 0.95, size: int = 10_000) -> Design:
    return Design(confidence, tolerable, False, {"all": size}, {"all": 100})


def no_nan(value, path="results"):
    """Every float in the records is a number (figures that cannot be computed are None)."""
    if isinstance(value, float):
        assert not math.isnan(value) and not math.isinf(value), path
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            no_nan(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            no_nan(item, f"{path}[{key!r}]")
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            no_nan(item, f"{path}[{i}]")


# ---------------------------------------------------------------------------------------------
# Per item, unweighted (§3, §1.1)


@pytest.mark.parametrize("confidence", [0.90, 0.95, 0.99])
@pytest.mark.parametrize(("met", "partly", "not_met", "not_recorded", "na"), [
    (7, 2, 1, 0, 3), (0, 0, 5, 1, 0), (12, 0, 0, 0, 0), (1, 1, 1, 1, 1), (40, 3, 9, 6, 12),
])
def test_item_counts_and_wilson_intervals_match_statsmodels(minimal, confidence, met, partly, not_met, not_recorded, na):
    codes = ["M"] * met + ["P"] * partly + ["N"] * not_met + ["NR"] * not_recorded + ["NA"] * na
    results = compute(minimal, equal(confidence=confidence), a1_files(codes))
    item = results.items["A1"]
    applicable = met + partly + not_met + not_recorded
    assert (item.applicable, item.met, item.partly, item.not_met, item.not_recorded, item.na) == (
        applicable, met, partly, not_met, not_recorded, na
    )
    assert item.excluded_by_rule == 0
    assert results.items["A2"].excluded_by_rule == len(codes)
    alpha = 1 - confidence
    for proportion, (x, n) in [
        (item.compliance, (met, applicable)),
        (item.met_or_partly, (met + partly, applicable)),
        (item.not_recorded_rate, (not_recorded, applicable)),
        (item.na_rate, (na, applicable + na)),
    ]:
        low, high = proportion_confint(x, n, alpha, method="wilson")
        assert (proportion.successes, proportion.n) == (x, n)
        assert proportion.estimate == pytest.approx(x / n, abs=1e-15)
        assert proportion.ci_low == pytest.approx(low, abs=1e-12)
        assert proportion.ci_high == pytest.approx(high, abs=1e-12)
    # §1.1: the Clopper–Pearson upper limit of the failure rate, x = applicable − Met failures.
    failures = applicable - met
    want = 1.0 if failures == applicable else stats.beta.ppf(confidence, failures + 1, applicable - failures)
    assert item.unweighted_upper_deviation_limit == pytest.approx(want, abs=1e-12)
    assert item.weighted is None


@pytest.mark.parametrize(("n", "failures", "published"), [
    # AICPA Audit Sampling, Table A-3 (95 %): upper limit in percent, rounded up to 0.1.
    (20, 0, 14.0), (20, 3, 34.4), (50, 0, 5.9), (50, 2, 12.1), (100, 1, 4.7), (100, 4, 9.0), (200, 5, 5.2),
])
def test_upper_limit_reproduces_aicpa_table_a3(minimal, n, failures, published):
    results = compute(minimal, equal(), a1_files(["M"] * (n - failures) + ["N"] * failures))
    limit = results.items["A1"].unweighted_upper_deviation_limit
    assert math.ceil(limit * 1000 - 1e-9) / 10 == published


def test_59_files_without_failure_assure_5_percent_at_95_and_58_are_too_few(minimal):
    # §1.1: n = ceil(ln 0.05 / ln 0.95) = ceil(58.4) = 59; UL(0; 59) = 1 − 0.05^(1/59) = 0.049508.
    assured = compute(minimal, equal(), a1_files(["M"] * 59)).items["A1"]
    assert assured.assurance.conclusion == ASSURED
    assert assured.assurance.assured is True
    assert assured.assurance.files_needed == 59
    assert assured.assurance.upper_deviation_limit == pytest.approx(1 - 0.05 ** (1 / 59), abs=1e-12)
    assert assured.assurance.upper_deviation_limit == pytest.approx(0.049508, abs=1e-6)
    # UL(0; 58) = 1 − 0.05^(1/58) = 0.050339 > 5 %: even a perfect record of 58 files cannot assure.
    few = compute(minimal, equal(), a1_files(["M"] * 58)).items["A1"]
    assert few.assurance.conclusion == TOO_FEW
    assert few.assurance.assured is False
    assert few.assurance.upper_deviation_limit == pytest.approx(0.050339, abs=1e-6)
    # 59 files with one failure: enough files, but UL(1; 59) = 0.0778 > 5 %.
    failed = compute(minimal, equal(), a1_files(["M"] * 58 + ["P"])).items["A1"]
    assert failed.assurance.conclusion == NOT_ASSURED
    assert failed.assurance.upper_deviation_limit == pytest.approx(stats.beta.ppf(0.95, 2, 58), abs=1e-12)
    # 100 files with one failure: Table A-3 gives 4.7 %, assured.
    assert compute(minimal, equal(), a1_files(["M"] * 99 + ["N"])).items["A1"].assurance.conclusion == ASSURED


def test_files_needed_follows_the_tolerable_rate(minimal):
    # AICPA Table A-1, expected rate 0: 10 % ⇒ 29, 2 % ⇒ 149; at 90 % (Table A-2), 5 % ⇒ 45.
    assert compute(minimal, equal(0.10), a1_files(["M"] * 29)).items["A1"].assurance.conclusion == ASSURED
    assert compute(minimal, equal(0.10), a1_files(["M"] * 28)).items["A1"].assurance.conclusion == TOO_FEW
    assert compute(minimal, equal(0.02), a1_files(["M"])).items["A1"].assurance.files_needed == 149
    assert compute(minimal, equal(0.05, 0.90), a1_files(["M"])).items["A1"].assurance.files_needed == 45


def test_no_tolerable_rate_concludes_nothing(minimal):
    results = compute(minimal, equal(None), a1_files(["M"] * 80 + ["N"]))
    assurance = results.items["A1"].assurance
    assert assurance.conclusion == NO_TOLERABLE_RATE
    assert assurance.assured is None and assurance.files_needed is None
    assert assurance.upper_deviation_limit == pytest.approx(stats.beta.ppf(0.95, 2, 80), abs=1e-12)
    assert all(section.not_assured == () for section in results.sections)
    assert any("no tolerable failure rate" in sentence for sentence in results.method)


def test_an_item_with_no_applicable_file_has_none_not_nan(minimal):
    results = compute(minimal, equal(), a1_files(["NA", "NA", "M"]))
    item = results.items["A2"]  # excluded by rule in every file
    assert item.applicable == 0 and item.excluded_by_rule == 3
    for proportion in (item.compliance, item.met_or_partly, item.not_recorded_rate, item.na_rate):
        assert (proportion.n, proportion.estimate, proportion.ci_low, proportion.ci_high) == (0, None, None, None)
    assert item.unweighted_upper_deviation_limit is None
    assert item.assurance.conclusion == NO_APPLICABLE_FILES
    assert item.assurance.assured is None and item.assurance.upper_deviation_limit is None
    assert item.assurance.files_needed == 59
    # Only N/A answers: nothing applicable, but the N/A rate is 2 of 2.
    only_na = compute(minimal, equal(), a1_files(["NA", "NA"])).items["A1"]
    assert only_na.compliance.estimate is None
    assert only_na.na_rate.estimate == 1.0 and only_na.na_rate.ci_high == 1.0
    no_nan(results)


def test_no_files_at_all(minimal):
    for disproportionate in (False, True):
        design = Design(0.95, 0.05, disproportionate, {"a": 10, "b": 5})
        results = compute(minimal, design, [])
        assert results.files_reviewed == 0
        assert all(item.assurance.conclusion == NO_APPLICABLE_FILES for item in results.items.values())
        assert results.files.critical_failure.proportion.estimate is None
        assert all(score.mean is None for score in results.subscores)
        assert results.reviewers == ()
        if disproportionate:
            assert results.items["A1"].weighted.estimate is None
            assert results.items["A1"].weighted.empty_strata == ("a", "b")
        no_nan(results)


def test_na_reasons_counted_most_frequent_first(minimal):
    notes = ["no video", " no video ", "", "Not a burglary", "  ", "Not a burglary", "no video", "Alpha"]
    files = [
        file(f"F{i}", {"A1": "NA"}, notes={"A1": note}) for i, note in enumerate(notes, start=1)
    ] + [file("F20", {"A1": "M"}, notes={"A1": "ignored: not an N/A answer"})]
    item = compute(minimal, equal(), files).items["A1"]
    assert item.na_reasons == (("no video", 3), ("(no reason given)", 2), ("Not a burglary", 2), ("Alpha", 1))


def test_a_rule_exclusion_wins_over_a_stale_answer(minimal):
    stale = FileInput("F1", 1, "all", "ann", {"A1": ItemAnswer("NA", NOT_APPLICABLE, "old")}, frozenset({"A1"}))
    item = compute(minimal, equal(), [stale]).items["A1"]
    assert (item.applicable, item.na, item.excluded_by_rule, item.na_reasons) == (0, 0, 1, ())


# ---------------------------------------------------------------------------------------------
# The weighted estimate (§3.1), worked by hand.
#
# Item A1 over three strata with files and a fourth with none (D: N = 10, nothing finished):
#   A: N_A = 100, m_A = 4 files: Met, Met, Not met, N/A   ⇒ w_A = 100/4 = 25
#   B: N_B =  60, m_B = 2 files: Met, Not recorded         ⇒ w_B =  60/2 = 30
#   C: N_C =  20, m_C = 1 file:  Met                       ⇒ w_C =  20/1 = 20
# Σw·y = 25·2 + 30·1 + 20·1 = 100;  Σw·a = 25·3 + 30·2 + 20·1 = 155;  R = 100/155 = 20/31 = 0.6451613
# d_i = (y_i − R·a_i)/155, in units of 1/4805 (4805 = 155·31):
#   Met: (1 − 20/31)/155 = 11/4805;  Not met / Not recorded: −20/4805;  N/A: 0
#   A: d = 11, 11, −20, 0 (mean 0.5) ⇒ squared deviations 110.25 + 110.25 + 420.25 + 0.25 = 641
#      ⇒ s²_A = 641/3 /4805²
#   B: d = 11, −20 (mean −4.5)      ⇒ 15.5² + 15.5² = 480.5 ⇒ s²_B = 480.5/1 /4805²
#   C: m_C = 1, contributes 0 (named as a single stratum)
# v = [100²·(1 − 4/100)·(641/3)/4 + 60²·(1 − 2/60)·480.5/2] / 4805²
#   = [9600·641/12 + 3480·240.25] / 23,088,025 = (512,800 + 836,070) / 23,088,025
#   = 1,348,870 / 23,088,025 = 0.058422927
# R(1 − R) = (20/31)(11/31) = 220/961 = 0.228928200
# n_eff = 0.228928200 / 0.058422927 = 528,550/134,887 = 3.918465086
# Wilson with p̂ = 0.6451613, n = 3.918465, z = 1.959964: (0.2290741, 0.9175278)
# x = (1 − R)·n_eff = (11/31)·3.918465 = 1.390423; UL = BetaInv(0.95; 2.390423, 2.528042) = 0.8262678
# UL with no failure = BetaInv(0.95; 1, 3.918465) = 1 − 0.05^(1/3.918465) = 0.5344 > 5 % ⇒ too few.
# Unweighted: 4 Met of 6 applicable, Wilson (0.2999933, 0.9032286), UL = BetaInv(0.95; 3, 4) = 0.7286616.


def hand_example() -> tuple[Design, list[FileInput]]:
    design = Design(0.95, 0.05, True, {"A": 100, "B": 60, "C": 20, "D": 10}, {"A": 4, "B": 2, "C": 1, "D": 2})
    files = (
        a1_files(["M", "M", "N", "NA"], "A", start=1)
        + a1_files(["M", "NR"], "B", start=5)
        + a1_files(["M"], "C", start=7)
    )
    return design, files


def test_weighted_estimate_worked_by_hand(minimal):
    design, files = hand_example()
    results = compute(minimal, design, files)
    assert results.design == DISPROPORTIONATE and results.weighted
    item = results.items["A1"]
    weighted = item.weighted
    assert weighted.estimate == pytest.approx(0.6451613, abs=1e-7)
    assert weighted.variance == pytest.approx(1_348_870 / 23_088_025, rel=1e-12)
    assert weighted.variance == pytest.approx(0.058422927, abs=1e-9)
    assert weighted.n_eff == pytest.approx(528_550 / 134_887, rel=1e-12)
    assert weighted.n_eff == pytest.approx(3.918465086, abs=1e-9)
    assert weighted.ci_low == pytest.approx(0.2290741, abs=1e-7)
    assert weighted.ci_high == pytest.approx(0.9175278, abs=1e-7)
    # The same interval from statsmodels, with the real-valued count R·n_eff.
    low, high = proportion_confint(0.6451613 * 3.918465086, 3.918465086, 0.05, method="wilson")
    assert (weighted.ci_low, weighted.ci_high) == pytest.approx((low, high), abs=1e-7)
    x = 11 / 31 * 528_550 / 134_887
    assert x == pytest.approx(1.390423, abs=1e-6)
    assert weighted.upper_deviation_limit == pytest.approx(stats.beta.ppf(0.95, x + 1, 528_550 / 134_887 - x), abs=1e-12)
    assert weighted.upper_deviation_limit == pytest.approx(0.8262678, abs=1e-7)
    assert weighted.empty_strata == ("D",) and weighted.single_strata == ("C",)
    # Assurance uses the weighted limit; with n_eff = 3.9 no result could assure 5 %.
    assert item.assurance.upper_deviation_limit == weighted.upper_deviation_limit
    assert item.assurance.conclusion == TOO_FEW
    # Beside it, the unweighted figures.
    assert (item.applicable, item.met, item.na) == (6, 4, 1)
    assert (item.compliance.ci_low, item.compliance.ci_high) == pytest.approx((0.2999933, 0.9032286), abs=1e-7)
    assert item.unweighted_upper_deviation_limit == pytest.approx(0.7286616, abs=1e-7)
    # The method names the empty and the single stratum.
    assert "Stratum 'D' had no finished review and contributes nothing to the weighted figures." in results.method
    assert "Stratum 'C' had one finished review, which adds nothing to the variance." in results.method
    assert any("w_h = N_h/m_h" in sentence for sentence in results.method)
    # Section A pools A1 and A2 (A2 never applies): Σw·y/Σw·a = 100/155.
    section = results.sections[0]
    assert (section.id, section.applicable, section.met) == ("A", 6, 4)
    assert section.compliance == pytest.approx(4 / 6)
    assert section.weighted_compliance == pytest.approx(100 / 155)
    no_nan(results)


def test_weighted_file_shares_worked_by_hand(minimal):
    # Critical failure in files 3 (A) and 6 (B); y = 1 for them, a = 1 for every file.
    # Σw·y = 25 + 30 = 55; Σw·a = 25·4 + 30·2 + 20·1 = 180; R = 55/180 = 11/36 = 0.3055556.
    # d_i = (y_i − 11/36)/180: with y = 1, (25/36)/180; with y = 0, −(11/36)/180.
    #   A: y = 0, 0, 1, 0 ⇒ s²_A = variance of (0, 0, 1, 0) /180² = 0.25/180²
    #   B: y = 0, 1       ⇒ s²_B = 0.5/180²
    # v = [100²·0.96·0.25/4 + 60²·(58/60)·0.5/2] / 180² = (600 + 870)/32,400 = 0.0453704
    # n_eff = (11/36)(25/36) / 0.0453704 = 0.2121914/0.0453704 = 4.676871
    design, files = hand_example()
    files = [dataclasses.replace(f, critical_failure=f.ref in ("F3", "F6")) for f in files]
    share = compute(minimal, design, files).files.critical_failure
    assert (share.proportion.successes, share.proportion.n) == (2, 7)
    assert share.weighted.estimate == pytest.approx(0.3055556, abs=1e-7)
    assert share.weighted.variance == pytest.approx(1470 / 32_400, rel=1e-12)
    assert share.weighted.n_eff == pytest.approx(4.676871, abs=1e-6)
    low, high = proportion_confint(11 / 36 * 4.676871, 4.676871, 0.05, method="wilson")
    assert (share.weighted.ci_low, share.weighted.ci_high) == pytest.approx((low, high), abs=1e-6)
    assert share.weighted.upper_deviation_limit is None


# -- independent recomputations of the weighted variance ----------------------------------------


def cochran_ratio(strata: dict[str, tuple[int, list[tuple[float, float]]]]) -> tuple[float, float]:
    """R and v(R) by Cochran's combined ratio estimator (Sampling Techniques, 3rd ed., §6.11):
    R = Ŷ/X̂ with Ŷ = Σ N_h·ȳ_h, X̂ = Σ N_h·x̄_h, and
    v(R) = (1/X̂²)·Σ_h N_h²(1 − m_h/N_h)/m_h·(s²_yh + R²·s²_xh − 2R·s_yxh),
    from the standard library's variance and covariance (no residuals d_i)."""
    total_y = sum(Fraction(size) * Fraction(sum(y for y, _ in pairs)) / len(pairs) for size, pairs in strata.values() if pairs)
    total_x = sum(Fraction(size) * Fraction(sum(x for _, x in pairs)) / len(pairs) for size, pairs in strata.values() if pairs)
    ratio = float(total_y / total_x)
    v = 0.0
    for size, pairs in strata.values():
        if len(pairs) < 2:
            continue
        ys, xs = [y for y, _ in pairs], [x for _, x in pairs]
        term = stdstats.variance(ys) + ratio**2 * stdstats.variance(xs) - 2 * ratio * stdstats.covariance(ys, xs)
        v += size**2 * (1 - len(pairs) / size) / len(pairs) * term
    return ratio, v / float(total_x) ** 2


def residual_ratio(strata: dict[str, tuple[int, list[tuple[float, float]]]]) -> tuple[float, float]:
    """R and v(R) straight from §3.1's words, file by file: w_i, d_i, numpy's sample variance."""
    rows = [(size / len(pairs), key, y, a) for key, (size, pairs) in strata.items() for y, a in pairs]
    total_a = sum(w * a for w, _, _, a in rows)
    ratio = sum(w * y for w, _, y, _ in rows) / total_a
    v = 0.0
    for key, (size, pairs) in strata.items():
        d = np.array([(y - ratio * a) / total_a for w, k, y, a in rows if k == key])
        if len(d) >= 2:
            v += size**2 * (1 - len(d) / size) * d.var(ddof=1) / len(d)
    return ratio, v


CODES = ("M", "P", "N", "NR", "NA", "X")  # X: excluded by rule


@st.composite
def designs(draw):
    """A small disproportionate design with A1 answered at random (X: excluded by rule)."""
    strata = {}
    for h in range(draw(st.integers(1, 4))):
        codes = draw(st.lists(st.sampled_from(CODES), min_size=0, max_size=7))
        size = len(codes) + draw(st.integers(0 if codes else 1, 40))
        strata[f"s{h}"] = (size, codes)
    return strata


def build(strata) -> tuple[Design, list[FileInput]]:
    design = Design(0.95, 0.05, True, {key: size for key, (size, _) in strata.items()})
    files, n = [], 0
    for key, (_, codes) in strata.items():
        for code in codes:
            n += 1
            files.append(file(f"F{n}", {} if code == "X" else {"A1": code}, key))
    return design, files


@settings(max_examples=150, deadline=None)
@given(designs())
def test_weighted_variance_matches_two_independent_recomputations(minimal, strata):
    design, files = build(strata)
    weighted = compute(minimal, design, files).items["A1"].weighted
    pairs = {
        key: (size, [(1.0 if c == "M" else 0.0, 1.0 if c in ("M", "P", "N", "NR") else 0.0) for c in codes])
        for key, (size, codes) in strata.items()
        if codes
    }
    if not any(a for _, rows in pairs.values() for _, a in rows):
        assert weighted.estimate is None and weighted.variance is None and weighted.n_eff is None
        return
    ratio, variance = cochran_ratio(pairs)
    ratio2, variance2 = residual_ratio(pairs)
    assert weighted.estimate == pytest.approx(ratio, abs=1e-12) == ratio2
    assert weighted.variance == pytest.approx(variance, rel=1e-9, abs=1e-15)
    assert weighted.variance == pytest.approx(variance2, rel=1e-9, abs=1e-15)
    applicable = sum(a for _, rows in pairs.values() for _, a in rows)
    if 0 < ratio < 1 and variance > 1e-12:
        assert weighted.n_eff == pytest.approx(ratio * (1 - ratio) / variance, rel=1e-9)
    elif variance == 0 or ratio in (0.0, 1.0):
        assert weighted.n_eff == applicable
    assert weighted.ci_low <= weighted.estimate <= weighted.ci_high
    assert weighted.empty_strata == tuple(k for k, (_, codes) in strata.items() if not codes)
    assert weighted.single_strata == tuple(k for k, (_, codes) in strata.items() if len(codes) == 1)


@settings(max_examples=100, deadline=None)
@given(
    codes=st.lists(st.lists(st.sampled_from(CODES), min_size=1, max_size=8), min_size=1, max_size=4),
    fraction=st.sampled_from([1, 2, 5, 10]),
)
def test_equal_sampling_fractions_give_the_unweighted_compliance(minimal, codes, fraction):
    # Every stratum sampled at the same rate m_h/N_h = 1/fraction: every weight is equal and the
    # weighted ratio is the plain share Met/applicable.
    strata = {f"s{h}": (len(c) * fraction, c) for h, c in enumerate(codes)}
    design, files = build(strata)
    item = compute(minimal, design, files).items["A1"]
    if item.applicable == 0:
        assert item.weighted.estimate is None
        return
    assert item.weighted.estimate == pytest.approx(item.met / item.applicable, abs=1e-12)
    assert item.compliance.ci_low <= item.compliance.estimate <= item.compliance.ci_high
    assert item.weighted.ci_low <= item.weighted.estimate <= item.weighted.ci_high
    assert 0 <= item.weighted.upper_deviation_limit <= 1


def test_n_eff_falls_back_to_the_applicable_files(minimal):
    sizes = {"a": 50, "b": 30}
    # R = 1: every applicable file Met ⇒ n_eff = 5 applicable files, UL = BetaInv(0.95; 1, 5).
    files = a1_files(["M", "M", "NA"], "a") + a1_files(["M", "M", "M"], "b", start=4)
    weighted = compute(minimal, Design(0.95, 0.05, True, sizes), files).items["A1"].weighted
    assert (weighted.estimate, weighted.n_eff, weighted.variance) == (1.0, 5.0, 0.0)
    assert weighted.ci_high == 1.0
    assert weighted.ci_low == pytest.approx(proportion_confint(5, 5, 0.05, method="wilson")[0], abs=1e-12)
    assert weighted.upper_deviation_limit == pytest.approx(stats.beta.ppf(0.95, 1, 5), abs=1e-12)
    # R = 0: nothing Met ⇒ n_eff = 4, UL = 1.
    files = a1_files(["N", "NR"], "a") + a1_files(["P", "N"], "b", start=3)
    weighted = compute(minimal, Design(0.95, 0.05, True, sizes), files).items["A1"].weighted
    assert (weighted.estimate, weighted.n_eff, weighted.upper_deviation_limit, weighted.ci_low) == (0.0, 4.0, 1.0, 0.0)
    # One file per stratum: no variance term anywhere, v = 0 ⇒ n_eff = 2 applicable files.
    # R = (50·1)/(50·1 + 30·1) = 0.625.
    files = a1_files(["M"], "a") + a1_files(["N"], "b", start=2)
    weighted = compute(minimal, Design(0.95, 0.05, True, sizes), files).items["A1"].weighted
    assert weighted.estimate == 0.625 and weighted.variance == 0.0 and weighted.n_eff == 2.0
    assert weighted.single_strata == ("a", "b")
    low, high = proportion_confint(1.25, 2, 0.05, method="wilson")
    assert (weighted.ci_low, weighted.ci_high) == pytest.approx((low, high), abs=1e-12)
    x = 0.375 * 2
    assert weighted.upper_deviation_limit == pytest.approx(stats.beta.ppf(0.95, x + 1, 2 - x), abs=1e-12)


def test_homogeneous_strata_give_exactly_zero_variance(minimal):
    # Stratum a: 3 files all Met; stratum b: 3 files all Not met. Within each stratum every d_i is
    # the same, so v = 0 exactly and n_eff falls back to the 6 applicable files (a float residue
    # would make n_eff enormous and "assure" anything).
    files = a1_files(["M"] * 3, "a") + a1_files(["N"] * 3, "b", start=4)
    weighted = compute(minimal, Design(0.95, 0.05, True, {"a": 7, "b": 11}), files).items["A1"].weighted
    assert weighted.variance == 0.0
    assert weighted.n_eff == 6.0


def test_census_stratum_adds_no_variance(minimal):
    # m_h = N_h: the finite population correction is 0. Only stratum b (2 of 10) adds variance.
    # w_a = 1, w_b = 5; Σw·y = 2 + 5 = 7; Σw·a = 3 + 10 = 13; R = 7/13.
    # d in b: (1 − 7/13)/13 = 6/169 and −7/169; s²_b = (13/169)²/2 = 0.5·(1/13)²
    # v = 10²·(1 − 2/10)·s²_b/2 = 100·0.8·0.5/169/2 = 20/169
    files = a1_files(["M", "M", "N"], "a") + a1_files(["M", "N"], "b", start=4)
    weighted = compute(minimal, Design(0.95, 0.05, True, {"a": 3, "b": 10}), files).items["A1"].weighted
    assert weighted.estimate == pytest.approx(7 / 13)
    assert weighted.variance == pytest.approx(20 / 169, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# The real-valued helpers in core.statistics


@pytest.mark.parametrize(("estimate", "n"), [(0.3, 7.5), (0.0, 2.2), (1.0, 0.7), (0.91, 123.4), (0.5, 1.0)])
def test_real_wilson_matches_statsmodels(estimate, n):
    low, high = proportion_confint(estimate * n, n, 0.05, method="wilson")
    assert wilson_interval_real(estimate, n, 0.95) == pytest.approx((low, high), abs=1e-12)


def test_real_upper_limits_match_scipy():
    failures, sizes = [0, 1.5, 3, 2.25, 4.0], [5, 3.5, 3, 9.75, 40.0]
    want = [stats.beta.ppf(0.9, x + 1, n - x) if x < n else 1.0 for x, n in zip(failures, sizes)]
    assert upper_deviation_limits(failures, sizes, 0.9) == pytest.approx(want, abs=1e-12)
    with pytest.raises(ValueError, match="number of failures"):
        upper_deviation_limits([3], [2], 0.95)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 40)] * 4), min_size=1, max_size=20))
def test_fisher_p_values_match_scipy(tables):
    got = fisher_exact_two_sided(tables)
    for (a, b, c, d), p in zip(tables, got):
        assert p == pytest.approx(stats.fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-9, abs=1e-14)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=60), st.sampled_from([0.01, 0.05, 0.1]))
def test_benjamini_hochberg_matches_statsmodels(p_values, rate):
    want = multipletests(p_values, rate, method="fdr_bh")[0].tolist()
    assert benjamini_hochberg(p_values, rate) == want


# ---------------------------------------------------------------------------------------------
# Sections, sub-scores, strata


def test_sections_pool_items_and_list_the_weakest_first(minimal):
    # A1: 60 Met of 60 (UL 0.049, assured); A2: 55 of 60 (UL ≈ 0.167); B1: 58 of 60 (UL ≈ 0.101).
    files = []
    for i in range(60):
        answers = {"A1": "M", "A2": "M" if i < 55 else "N", "B1": "M" if i < 58 else "NR"}
        files.append(file(f"F{i + 1}", answers))
    results = compute(minimal, equal(), files)
    a, b = results.sections
    assert (a.id, a.label, a.items, a.applicable, a.met) == ("A", "First section", ("A1", "A2"), 120, 115)
    assert a.compliance == pytest.approx(115 / 120)
    assert a.weighted_compliance is None
    assert a.not_assured == ("A2",)
    assert (b.items, b.not_assured) == (("B1",), ("B1",))
    # Two not assured in one section, weakest (highest limit) first.
    files = [dataclasses.replace(f, answers={**f.answers, "A1": ItemAnswer("P", PARTLY_MET)}) if i < 2 else f
             for i, f in enumerate(files)]
    a = compute(minimal, equal(), files).sections[0]
    assert a.not_assured == ("A2", "A1")


def test_unweighted_subscores_use_a_t_interval(minimal):
    scores = [72.5, 80.0, 55.0, 91.0, None, 66.6]
    files = [file(f"F{i}", {"A1": "M"}, subscores={"INV": s, "VIC": 50.0 if i == 1 else None})
             for i, s in enumerate(scores, start=1)]
    inv, vic = compute(minimal, equal(), files).subscores
    present = [s for s in scores if s is not None]
    low, high = DescrStatsW(np.array(present)).tconfint_mean(alpha=0.05)
    assert (inv.id, inv.label, inv.files, inv.weighted) == ("INV", "Investigation", 5, False)
    assert inv.mean == pytest.approx(sum(present) / 5)
    assert (inv.ci_low, inv.ci_high) == pytest.approx((low, high), abs=1e-10)
    # One file: a mean but no interval.
    assert (vic.files, vic.mean, vic.ci_low, vic.ci_high) == (1, 50.0, None, None)


def test_weighted_subscores_match_cochran(minimal):
    design, files = hand_example()
    scores = {"F1": 80.0, "F2": 60.0, "F3": None, "F4": 40.0, "F5": 90.0, "F6": 70.0, "F7": 50.0}
    files = [dataclasses.replace(f, subscores={"INV": scores[f.ref]}) for f in files]
    inv = compute(minimal, design, files).subscores[0]
    by_stratum = {
        key: (size, [(scores[f.ref] or 0.0, 0.0 if scores[f.ref] is None else 1.0) for f in files if f.stratum == key])
        for key, size in design.strata_sizes.items()
    }
    ratio, variance = cochran_ratio({k: v for k, v in by_stratum.items() if v[1]})
    # By hand: Σw·y = 25·(80 + 60 + 40) + 30·(90 + 70) + 20·50 = 4500 + 4800 + 1000 = 10,300;
    # Σw·a = 25·3 + 30·2 + 20·1 = 155; R = 10,300/155 = 66.451613.
    assert inv.mean == pytest.approx(66.451613, abs=1e-6) == ratio
    z = stats.norm.ppf(0.975)
    assert (inv.ci_low, inv.ci_high) == pytest.approx((ratio - z * math.sqrt(variance), ratio + z * math.sqrt(variance)))
    assert inv.weighted and inv.files == 6


def test_strata_are_unweighted_and_sorted(minimal):
    design, files = hand_example()
    files = [dataclasses.replace(f, grade=g) for f, g in zip(files, ["good", "good", "inadequate", None, "ungradable", "adequate", "good"])]
    strata = compute(minimal, design, files).strata
    assert [s.stratum for s in strata] == ["A", "B", "C", "D"]
    a, b, c, d = strata
    assert (a.population, a.drawn, a.finished) == (100, 4, 4)
    assert dict(a.grades) == {"good": 2, "adequate": 0, "inadequate": 1, "ungradable": 0, "not_graded": 1}
    assert b.grades["ungradable"] == 1 and b.grades["adequate"] == 1
    assert (d.finished, d.drawn, d.items["A1"].n, d.items["A1"].estimate) == (0, 2, 0, None)
    low, high = proportion_confint(2, 3, 0.05, method="wilson")
    assert (a.items["A1"].successes, a.items["A1"].n) == (2, 3)
    assert (a.items["A1"].ci_low, a.items["A1"].ci_high) == pytest.approx((low, high), abs=1e-12)
    assert (c.items["A1"].successes, c.items["A1"].n) == (1, 1)


# ---------------------------------------------------------------------------------------------
# Grades and flags (§3.2)


def test_grade_and_flag_shares(minimal):
    grades = ["good"] * 5 + ["adequate"] * 3 + ["inadequate"] + ["ungradable"] * 2
    files = [
        file(f"F{i}", {"A1": "M"}, grade=g, critical_failure=i <= 3, mmo=i == 4, ungradable=g == "ungradable",
             notable_practice=i in (1, 2))
        for i, g in enumerate(grades, start=1)
    ]
    shares = compute(minimal, equal(), files).files
    assert [(s.id, s.label, s.proportion.successes) for s in shares.grades] == [
        ("good", "Good", 5), ("adequate", "Adequate", 3), ("inadequate", "Inadequate", 1), ("ungradable", "Ungradable", 2),
    ]  # best band first; no "not graded" row when every file has a grade
    for share, x in [(shares.critical_failure, 3), (shares.mmo, 1), (shares.ungradable, 2), (shares.notable_practice, 2)]:
        low, high = proportion_confint(x, 11, 0.05, method="wilson")
        assert (share.proportion.successes, share.proportion.n) == (x, 11)
        assert (share.proportion.ci_low, share.proportion.ci_high) == pytest.approx((low, high), abs=1e-12)
        assert share.weighted is None
    assert shares.ungradable.label == "Ungradable"
    # A file not graded adds the "not graded" row.
    files.append(file("F12", {"A1": "M"}))
    shares = compute(minimal, equal(), files).files
    assert shares.grades[-1].id == "not_graded" and shares.grades[-1].proportion.successes == 1
    assert shares.grades[-1].proportion.n == 12


# ---------------------------------------------------------------------------------------------
# Reviewers


def test_reviewer_na_flag_fires_for_an_outlier_only(minimal):
    # Five reviewers, 20 files each on A1. Four give N/A 1 or 2 times; "eve" gives it 12 times.
    na_counts = {"ann": 1, "bob": 2, "cat": 1, "dan": 2, "eve": 12}
    files, n = [], 0
    for reviewer, na in na_counts.items():
        for i in range(20):
            n += 1
            files.append(file(f"F{n}", {"A1": "NA" if i < na else "M", "B1": "M"}, reviewer=reviewer))
    reviewers = compute(minimal, equal(), files).reviewers
    assert [r.reviewer for r in reviewers] == list(na_counts)
    p_values = []
    for r in reviewers:
        mine = r.items["A1"]
        na = na_counts[r.reviewer]
        others = sum(na_counts.values()) - na
        assert (r.files, mine.applicable, mine.na, mine.met) == (20, 20 - na, na, 20 - na)
        assert mine.na_rate.estimate == pytest.approx(na / 20)
        assert mine.others_na_rate == pytest.approx(others / 80)
        want = stats.fisher_exact([[na, 20 - na], [others, 80 - others]]).pvalue
        assert mine.na_p_value == pytest.approx(want, rel=1e-9)
        p_values.append(mine.na_p_value)
    flags = {r.reviewer: r.flagged for r in reviewers}
    assert flags == {"ann": (), "bob": (), "cat": (), "dan": (), "eve": ("A1",)}
    # The flag is Benjamini–Hochberg over every test run (A1 and B1 for five reviewers).
    all_p = p_values + [r.items["B1"].na_p_value for r in reviewers]
    assert multipletests(all_p, 0.05, method="fdr_bh")[0].tolist() == [False] * 4 + [True] + [False] * 5
    # A2 was never answered: no test, no flag, no rate.
    assert reviewers[0].items["A2"].na_p_value is None
    assert reviewers[0].items["A2"].others_na_rate is None


def test_one_outlier_does_not_make_every_ordinary_reviewer_look_unusual(minimal):
    # Four reviewers give N/A on 12 of 400 files (3 %), "eve" on 100 of 400 (25 %). Against the pool of
    # everyone else each ordinary reviewer differs significantly (3 % vs 8.5 %: Fisher p < 1e-4), but the
    # typical other reviewer (the median of their rates) is at 3 %: only eve is 10 points or more away.
    na_counts = {"ann": 12, "bob": 12, "cat": 12, "dan": 12, "eve": 100}
    files, n = [], 0
    for reviewer, na in na_counts.items():
        for i in range(400):
            n += 1
            files.append(file(f"F{n}", {"A1": "NA" if i < na else "M"}, reviewer=reviewer))
    reviewers = {r.reviewer: r for r in compute(minimal, equal(size=100_000), files).reviewers}
    assert stats.fisher_exact([[12, 388], [136, 1464]]).pvalue < 1e-4  # significant against the pool
    assert {name: r.flagged for name, r in reviewers.items()} == {
        "ann": (), "bob": (), "cat": (), "dan": (), "eve": ("A1",)}
    assert reviewers["ann"].items["A1"].typical_na_rate == pytest.approx(0.03)  # median of 3 %, 3 %, 3 %, 25 %
    assert reviewers["eve"].items["A1"].typical_na_rate == pytest.approx(0.03)


def test_similar_reviewers_are_not_flagged_and_one_reviewer_never(minimal):
    files, n = [], 0
    for reviewer in ("ann", "bob", "cat"):
        for i in range(30):
            n += 1
            files.append(file(f"F{n}", {"A1": "NA" if i % 5 == 0 else "M"}, reviewer=reviewer))
    assert all(r.flagged == () for r in compute(minimal, equal(), files).reviewers)
    # One reviewer, however odd: nobody to compare with.
    alone = a1_files(["NA"] * 15 + ["M"] * 5)
    (only,) = compute(minimal, equal(), alone).reviewers
    assert only.flagged == () and only.items["A1"].na_p_value is None and only.items["A1"].others_na_rate is None
    # Fewer than 3 files on one side: no test.
    files = a1_files(["NA", "NA"], reviewer="ann") + a1_files(["M"] * 30, start=3, reviewer="bob")
    assert all(r.items["A1"].na_p_value is None for r in compute(minimal, equal(), files).reviewers)


# ---------------------------------------------------------------------------------------------
# Top level and the method statement


def test_top_level_counts_and_method(minimal):
    files = [
        file("REF-3", {"A1": "M"}, position=3, provisional=True),
        file("REF-1", {"A1": "M"}, position=1, provisional=True, training=True),
        file("REF-2", {"A1": "N"}, position=2),
    ]
    results = compute(minimal, equal(), files)
    assert isinstance(results, AuditResults)
    assert (results.files_reviewed, results.training, results.design) == (3, 1, EQUAL_PROBABILITY)
    assert results.provisional == ("REF-1", "REF-3")
    assert (results.confidence, results.tolerable, results.agreement) == (0.95, 0.05, None)
    method = " ".join(results.method)
    assert "3 finished reviews" in method
    assert "2 of these files are provisional" in method
    assert "training examples are included in every figure (1 of the 3)" in method
    assert "95% Wilson score intervals" in method
    assert "tolerable failure rate of 5%" in method and "at least 59 applicable files" in method
    assert "unweighted" in method and "w_h" not in method


def test_bad_input_raises_one_clear_sentence(minimal):
    good = a1_files(["M"])
    cases = [
        (Design(1.0, 0.05, False, {"all": 10}), good, "confidence"),
        (Design(0.0, 0.05, False, {"all": 10}), good, "confidence"),
        (Design(0.95, 1.5, False, {"all": 10}), good, "tolerable rate"),
        (equal(), a1_files(["M"], stratum="elsewhere"), "stratum 'elsewhere'"),
        (equal(), [FileInput("F1", 1, "all", "ann", {"A1": ItemAnswer("Q", "maybe")})], "meaning 'maybe'"),
        (equal(), [FileInput("F1", 1, "all", "ann", {"Z9": ItemAnswer("M", MET)})], "item Z9"),
        (equal(size=2), a1_files(["M"] * 3), "only 2 units"),
        (equal(), [file("F1", {"A1": "M"}, grade="splendid")], "grade 'splendid'"),
        (equal(), good + good, "given twice"),
        (equal(), [file("F1", {"A1": "M"}, subscores={"INV": math.nan})], "not a number"),
        (Design(0.95, 0.05, False, {"all": 10}, {"other": 3}), good, "stratum 'other'"),
    ]
    for design, files, words in cases:
        with pytest.raises(ValueError, match=words) as caught:
            compute(minimal, design, files)
        message = str(caught.value)
        assert message.endswith(".") and message.count(". ") == 0, message


# ---------------------------------------------------------------------------------------------
# Speed: the results step is benchmarked at 2,000 files × the bundled checklist's 47 items.


def synthetic(checklist, n_files: int = 2000) -> tuple[list[FileInput], dict[str, int]]:
    rng = np.random.default_rng(7)
    items = list(checklist.items)
    codes = ["M"] * 6 + ["P", "N", "NR", "NA"]
    strata = {"a": 20_000, "b": 3000, "c": 600, "d": 500}
    keys = list(strata)
    files = []
    for i in range(n_files):
        answers = {item: ItemAnswer(code, MEANING[code], "reason" if code == "NA" else "")
                   for item in items if (code := codes[rng.integers(10)]) and rng.random() > 0.1}
        files.append(FileInput(
            f"F{i}", i + 1, keys[i % 4], f"reviewer {i % 10}", answers,
            frozenset(items) - set(answers), grade=rng.choice(["good", "adequate", "inadequate", "ungradable"]),
            critical_failure=bool(rng.random() < 0.1), subscores={"INV": float(rng.uniform(0, 100)), "VIC": None},
        ))
    return files, strata


@pytest.mark.parametrize("disproportionate", [False, True])
def test_2000_files_by_47_items_compute_without_nan(disproportionate):
    # the speed target (< 0.5 s for all results) is checked by `make bench`, not by a timed test
    checklist = load_checklist(BUNDLED)
    assert len(checklist.items) == 47
    files, strata = synthetic(checklist)
    results = compute(checklist, Design(0.95, 0.05, disproportionate, strata), files)
    assert results.files_reviewed == 2000
    no_nan(results)
