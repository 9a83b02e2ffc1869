"""Agreement between reviewers (statistics.md §4) against values from outside the code.

Sources of the expected values (never recomputed with the code's own formulas):

- Hand calculations, written out below: the table [[20, 5], [10, 15]] of statistics.md §4
  (κ = 0.40), its AC1 and α, the prevalence-paradox table, and the undefined cases.
- scikit-learn ``cohen_kappa_score`` (κ).
- irrCAC 0.4, the R package irrCAC's Python port (Gwet's own formulas):
  ``raw.CAC(ratings).gwet()`` for AC1, its standard error and interval;
  ``raw.CAC(ratings).conger()`` for κ, its standard error and interval (with two raters Conger's
  κ is Cohen's κ: same p_e = Σ a_k·b_k); ``table.CAC(contingency).cohen()`` for κ, whose standard
  error is the contingency-table form of Gwet (2008): the raw-ratings variance times (n − 1)/n;
  ``raw.CAC(ratings).krippendorff()`` for α. irrCAC has no ``cohen()`` for raw ratings.
  irrCAC clips an interval at 1 but not at −1, and replaces a zero standard error by 1e-15.
- The ``krippendorff`` package, ``alpha(level_of_measurement="nominal")``.
- Gwet (2014) / irrCAC documentation: the 3×3 "abstractors" table, AC1 = 0.84933 with the
  table-form SE 0.04322.
- Landis & Koch (1977), Biometrics 33:159–174, p. 165: the bands of the kappa statistic.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from dataclasses import asdict

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irrCAC.raw import CAC as RawCAC
from irrCAC.table import CAC as TableCAC
from sklearn.metrics import cohen_kappa_score

from audit_app.core.results.agreement import compute, landis_koch
from audit_app.core.results.model import Agreement, AgreementFigures, Disagreement, RatedPair

CODES = ("M", "P", "N", "NR", "NA")
Pairs = list[tuple[str, str]]


def from_table(table: dict[tuple[str, str], int]) -> Pairs:
    """Pairs (primary, second) from a contingency table."""
    return [cell for cell, count in table.items() for _ in range(count)]


def rated(pairs: Pairs, item: str = "I1", start: int = 1) -> list[RatedPair]:
    return [RatedPair(f"F{start + i}", start + i, item, a, b) for i, (a, b) in enumerate(pairs)]


def figures(pairs: Pairs, confidence: float = 0.95) -> AgreementFigures:
    result = compute(rated(pairs), ["I1"], len(pairs), confidence)
    assert result.items["I1"] == result.pooled
    return result.pooled


def random_pairs(seed: int, n: int, codes: tuple[str, ...], agree: float) -> Pairs:
    rng = np.random.default_rng(seed)
    first = rng.choice(codes, n)
    other = rng.choice(codes, n)
    return [(str(a), str(a) if rng.random() < agree else str(b)) for a, b in zip(first, other)]


# -- the references -------------------------------------------------------------------------------


def irr(pairs: Pairs, confidence: float) -> RawCAC:
    frame = pd.DataFrame({"first": [a for a, _ in pairs], "second": [b for _, b in pairs]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RawCAC(frame, confidence_level=confidence, digits=14)


def irr_est(pairs: Pairs, confidence: float, method: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(irr(pairs, confidence), method)()["est"]


def irr_table_cohen(pairs: Pairs) -> dict:
    codes = sorted({code for pair in pairs for code in pair})
    counts = Counter(pairs)
    table = pd.DataFrame([[counts[(k, l)] for l in codes] for k in codes], index=codes, columns=codes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TableCAC(table, digits=14).cohen()["est"]


def kripp(pairs: Pairs) -> float:
    index = {code: i for i, code in enumerate(sorted({c for pair in pairs for c in pair}))}
    data = [[index[a] for a, _ in pairs], [index[b] for _, b in pairs]]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def sklearn_kappa(pairs: Pairs) -> float:
    return float(cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs]))


def clipped(interval: tuple[float, float]) -> tuple[float, float]:
    return max(-1.0, float(interval[0])), min(1.0, float(interval[1]))


# -- datasets -------------------------------------------------------------------------------------

# statistics.md §4: primary M/N by rows, second M/N by columns.
HAND = from_table({("M", "M"): 20, ("M", "N"): 5, ("N", "M"): 10, ("N", "N"): 15})
# Almost every answer Met: p_o = 0.91, yet κ collapses.
PARADOX = from_table({("M", "M"): 90, ("M", "N"): 4, ("N", "M"): 5, ("N", "N"): 1})
# NR and NA appear, and NR only in the second review.
ONE_SIDED = from_table(
    {("M", "M"): 30, ("M", "P"): 4, ("P", "P"): 8, ("P", "M"): 3, ("N", "N"): 5, ("N", "NR"): 2,
     ("M", "NR"): 1, ("NA", "NA"): 6, ("NA", "M"): 1}
)
DATASETS = {
    "hand": HAND,
    "balanced": random_pairs(1, 60, ("M", "P", "N"), 0.6),
    "paradox": PARADOX,
    "five categories": random_pairs(2, 80, CODES, 0.7),
    "category of one reviewer": ONE_SIDED,
    "tiny n = 2": [("M", "M"), ("M", "N")],
    "tiny n = 3": [("M", "P"), ("P", "P"), ("N", "N")],
    "no agreement": [("M", "N"), ("N", "P"), ("P", "M"), ("M", "P")],
}


def assert_matches_references(actual: AgreementFigures, pairs: Pairs, confidence: float) -> None:
    n = len(pairs)
    assert actual.n == n
    assert actual.percent_agreement == pytest.approx(sum(a == b for a, b in pairs) / n, abs=1e-12)
    assert set(actual.categories) == {code for pair in pairs for code in pair}

    kappa = irr_est(pairs, confidence, "conger")
    assert actual.cohen_kappa == pytest.approx(sklearn_kappa(pairs), abs=1e-12)
    assert actual.cohen_kappa == pytest.approx(kappa["coefficient_value"], abs=1e-12)
    assert actual.cohen_kappa_se == pytest.approx(kappa["se"], abs=1e-12)
    assert actual.cohen_kappa_ci == pytest.approx(clipped(kappa["confidence_interval"]), abs=1e-12)
    table = irr_table_cohen(pairs)
    assert actual.cohen_kappa == pytest.approx(table["coefficient_value"], abs=1e-12)
    assert actual.cohen_kappa_se * math.sqrt((n - 1) / n) == pytest.approx(table["se"], abs=1e-12)

    ac1 = irr_est(pairs, confidence, "gwet")
    assert actual.gwet_ac1 == pytest.approx(ac1["coefficient_value"], abs=1e-12)
    assert actual.gwet_ac1_se == pytest.approx(ac1["se"], abs=1e-12)
    assert actual.gwet_ac1_ci == pytest.approx(clipped(ac1["confidence_interval"]), abs=1e-12)

    assert actual.krippendorff_alpha == pytest.approx(kripp(pairs), abs=1e-12)
    assert actual.krippendorff_alpha == pytest.approx(
        irr_est(pairs, confidence, "krippendorff")["coefficient_value"], abs=1e-12
    )


# -- tests ----------------------------------------------------------------------------------------


def test_the_hand_example_of_the_spec():
    """p_o = 35/50 = 0.70. κ: p_e = 0.5·0.6 + 0.5·0.4 = 0.50, κ = 0.20/0.50 = 0.40.
    AC1: π_M = 55/100, π_N = 45/100, p_e = 2·0.55·0.45 = 0.495, AC1 = 0.205/0.505.
    α: n_M = 55, n_N = 45, 30 disagreeing pairings: 1 − 99·30/(100² − 55² − 45²) = 1 − 0.6."""
    result = figures(HAND)
    assert result.percent_agreement == pytest.approx(0.70)
    assert result.cohen_kappa == pytest.approx(0.40)
    assert result.gwet_ac1 == pytest.approx(0.205 / 0.505)
    assert result.krippendorff_alpha == pytest.approx(0.40)
    assert result.categories == ("M", "N")


def test_the_published_abstractors_example():
    """Gwet (2014), irrCAC's documentation: AC1 0.84933, table-form SE 0.04322 (n = 100)."""
    table = {("E", "E"): 13, ("A", "A"): 20, ("A", "N"): 7, ("N", "A"): 4, ("N", "N"): 56}
    result = figures(from_table(table))
    assert result.gwet_ac1 == pytest.approx(0.84933, abs=5e-6)
    assert result.gwet_ac1_se * math.sqrt(99 / 100) == pytest.approx(0.04322, abs=5e-6)


@pytest.mark.parametrize("confidence", [0.95, 0.90])
@pytest.mark.parametrize("name", list(DATASETS))
def test_each_statistic_matches_the_references(name, confidence):
    pairs = DATASETS[name]
    assert_matches_references(figures(pairs, confidence), pairs, confidence)


def test_the_prevalence_paradox_kappa_collapses_and_ac1_stays_high():
    """Hand: p_o = 0.91; κ: p_e = 0.94·0.95 + 0.06·0.05 = 0.896, κ = 0.014/0.104;
    AC1: π_M = 0.945, p_e = 2·0.945·0.055 = 0.10395, AC1 = 0.80605/0.89605."""
    result = figures(PARADOX)
    assert result.percent_agreement == pytest.approx(0.91)
    assert result.cohen_kappa == pytest.approx(0.014 / 0.104)
    assert result.gwet_ac1 == pytest.approx(0.80605 / 0.89605)
    assert result.cohen_kappa < 0.2 < 0.85 < result.gwet_ac1
    assert landis_koch(result.cohen_kappa) == "slight"
    assert landis_koch(result.gwet_ac1) == "almost perfect"


def test_a_category_used_by_one_reviewer_counts_in_q():
    """NR was given by the second review only: q = 5 (M, P, N, NR, NA), as irrCAC counts it."""
    result = figures(ONE_SIDED)
    assert result.categories == ("M", "P", "N", "NR", "NA")
    assert irr(ONE_SIDED, 0.95).q == 5


def test_pooled_treats_every_file_item_pair_as_one_subject():
    data = {
        "Q1": random_pairs(3, 40, ("M", "P", "N"), 0.8),
        "Q2": PARADOX[60:],
        "Q3": random_pairs(4, 25, CODES, 0.5),
        "Q4": [("NA", "NA")] * 10,  # no variation: undefined alone, counted in the pooled figures
    }
    pairs = [pair for item, codes in data.items() for pair in rated(codes, item)]
    result = compute(pairs, ["Q4", "Q2", "Q1", "Q3", "Q5"], 40, 0.95)
    assert list(result.items) == ["Q4", "Q2", "Q1", "Q3"]  # checklist order; Q5 had no pair
    for item, codes in data.items():
        if item != "Q4":
            assert_matches_references(result.items[item], codes, 0.95)
    everything = [pair for codes in data.values() for pair in codes]
    assert_matches_references(result.pooled, everything, 0.95)
    assert result.pooled.categories == ("M", "P", "N", "NR", "NA")


# -- undefined cases ------------------------------------------------------------------------------


def no_nan(result: Agreement) -> None:
    json.dumps(asdict(result), allow_nan=False)  # raises on NaN or infinity


def test_one_agreeing_pair_leaves_every_coefficient_undefined():
    result = compute(rated([("M", "M")]), ["I1"], 1, 0.95)
    assert result.pooled == AgreementFigures(1, 1.0, None, None, None, None, None, None, None, ("M",))
    no_nan(result)


def test_identical_answers_throughout_leave_kappa_ac1_and_alpha_undefined():
    pairs = [("M", "M")] * 30
    result = figures(pairs)
    assert result.percent_agreement == 1.0
    assert (result.cohen_kappa, result.gwet_ac1, result.krippendorff_alpha) == (None, None, None)
    assert (result.cohen_kappa_se, result.cohen_kappa_ci, result.gwet_ac1_se, result.gwet_ac1_ci) == (None,) * 4
    # The references agree that nothing is defined here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(sklearn_kappa(pairs))
    with pytest.raises(ValueError):
        kripp(pairs)


def test_one_disagreeing_pair_has_coefficients_but_no_standard_error():
    """Hand: p_o = 0; κ: p_e = 1·0 + 0·1 = 0, κ = 0; AC1: π = ½, ½, p_e = ½, AC1 = −1;
    α: 1 − 1·2/(4 − 1 − 1) = 0."""
    pairs = [("M", "N")]
    result = figures(pairs)
    assert result.percent_agreement == 0.0
    assert result.cohen_kappa == 0.0 == sklearn_kappa(pairs)
    assert result.gwet_ac1 == -1.0
    assert result.krippendorff_alpha == 0.0 == kripp(pairs)
    assert (result.cohen_kappa_se, result.cohen_kappa_ci, result.gwet_ac1_se, result.gwet_ac1_ci) == (None,) * 4


def test_reviewers_each_constant_but_different():
    """Primary always M, second always N: p_e = 0 so κ = 0; AC1 = (0 − ½)/(1 − ½) = −1."""
    pairs = [("M", "N")] * 6
    result = figures(pairs)
    assert result.cohen_kappa == 0.0 == sklearn_kappa(pairs)
    assert result.gwet_ac1 == pytest.approx(-1.0)
    assert result.gwet_ac1_ci is not None and result.gwet_ac1_ci[0] >= -1.0
    assert result.krippendorff_alpha == pytest.approx(kripp(pairs))
    no_nan(compute(rated(pairs), ["I1"], 6, 0.95))


def test_no_pairs_at_all():
    result = compute([], ["I1", "I2"], 0, 0.95)
    assert result.items == {}
    assert result.pooled == AgreementFigures(0, None, None, None, None, None, None, None, None)
    assert result.disagreements == ()
    no_nan(result)


def test_a_pair_missing_either_answer_is_left_out():
    pairs = [*rated(HAND), RatedPair("X", 99, "I1", "", "M"), RatedPair("Y", 100, "I1", "N", "")]
    result = compute(pairs, ["I1"], 52, 0.95)
    assert result.pooled == figures(HAND)
    assert all(d.ref not in ("X", "Y") for d in result.disagreements)
    assert "2 pairs with a missing answer were left out" in result.method[0]


def test_perfect_agreement_gives_a_zero_standard_error():
    pairs = [("M", "M")] * 8 + [("N", "N")] * 2
    result = figures(pairs)
    assert (result.cohen_kappa, result.gwet_ac1, result.krippendorff_alpha) == (1.0, 1.0, 1.0)
    assert result.cohen_kappa_se == 0.0 and result.gwet_ac1_se == 0.0
    assert result.cohen_kappa_ci == (1.0, 1.0) and result.gwet_ac1_ci == (1.0, 1.0)


# -- disagreements, order, bad input --------------------------------------------------------------


def test_disagreements_in_position_then_checklist_order_with_the_moderated_code():
    pairs = [
        RatedPair("C", 3, "a", "M", "N", moderated="N"),
        RatedPair("A", 1, "a", "M", "M"),
        RatedPair("A", 1, "a2", "P", "M"),
        RatedPair("A", 1, "b", "NR", "M", moderated="M"),
        RatedPair("B", 2, "a", "NA", "M"),
    ]
    result = compute(pairs, ["b", "a", "a2"], 3, 0.95)
    assert result.disagreements == (
        Disagreement("A", 1, "b", "NR", "M", "M"),
        Disagreement("A", 1, "a2", "P", "M", None),
        Disagreement("B", 2, "a", "NA", "M", None),
        Disagreement("C", 3, "a", "M", "N", "N"),
    )
    assert list(result.items) == ["b", "a", "a2"]
    assert result.files == 3 and result.confidence == 0.95


@pytest.mark.parametrize("confidence", [0, 1, -0.5, 1.5, 95, float("nan")])
def test_a_confidence_outside_zero_to_one_is_refused(confidence):
    with pytest.raises(ValueError, match="confidence level must be a number between 0 and 1"):
        compute(rated(HAND), ["I1"], 50, confidence)


def test_a_pair_for_an_item_not_in_the_checklist_is_refused():
    with pytest.raises(ValueError, match="not in the checklist's item order"):
        compute(rated(HAND, item="ghost"), ["I1"], 50, 0.95)


def test_the_method_names_what_was_computed_and_the_references():
    result = compute(rated(HAND), ["I1"], 50, 0.9)
    text = " ".join(result.method)
    assert "50 files" in result.method[0] and "50 rated pairs on 1 item" in result.method[0]
    assert "Codes given: M, N." in text
    for phrase in ("Cohen 1960", "Gwet 2008", "Krippendorff 2004, 2011", "n − 1 degrees of freedom",
                   "90 %", "clipped to [−1, 1]", "Landis and Koch (1977)", "no finite population correction"):
        assert phrase in text, phrase


# -- Landis & Koch --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, band",
    [
        (None, ""), (-1.0, "poor"), (-0.01, "poor"), (0.0, "slight"), (0.2, "slight"),
        (0.1 + 0.1 + 0.00000000000000003, "slight"), (0.205, "fair"), (0.21, "fair"), (0.4, "fair"),
        (0.41, "moderate"), (0.6, "moderate"), (0.61, "substantial"), (0.8, "substantial"),
        (0.8001, "almost perfect"), (0.81, "almost perfect"), (1.0, "almost perfect"),
    ],
)
def test_landis_koch_bands(value, band):
    assert landis_koch(value) == band


# -- properties -----------------------------------------------------------------------------------

codes = st.sampled_from(CODES)
pair_lists = st.lists(st.tuples(codes, codes), min_size=1, max_size=40)


def coefficients(result: AgreementFigures) -> list[float | None]:
    return [result.cohen_kappa, result.cohen_kappa_se, result.gwet_ac1, result.gwet_ac1_se, result.krippendorff_alpha]


@settings(max_examples=150, deadline=None)
@given(pair_lists)
def test_swapping_reviewers_changes_nothing_and_every_figure_is_in_range(pairs):
    result = figures(pairs)
    swapped = figures([(b, a) for a, b in pairs])
    assert swapped.percent_agreement == result.percent_agreement
    for mine, theirs in zip(coefficients(result), coefficients(swapped)):
        assert (mine is None) == (theirs is None)
        if mine is not None:
            assert theirs == pytest.approx(mine, abs=1e-12)
    no_nan(compute(rated(pairs), ["I1"], len(pairs), 0.95))
    assert 0 <= result.percent_agreement <= 1
    for estimate, interval in ((result.cohen_kappa, result.cohen_kappa_ci), (result.gwet_ac1, result.gwet_ac1_ci)):
        if estimate is not None:
            assert -1 - 1e-12 <= estimate <= 1 + 1e-12
        if interval is not None:
            assert -1 <= interval[0] <= estimate <= interval[1] <= 1


@settings(max_examples=100, deadline=None)
@given(st.lists(codes, min_size=1, max_size=40))
def test_perfect_agreement_gives_one_or_undefined(answers):
    result = figures([(code, code) for code in answers])
    assert result.percent_agreement == 1.0
    single = len(set(answers)) == 1
    for value in (result.cohen_kappa, result.gwet_ac1, result.krippendorff_alpha):
        assert value is None if single else value == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(pair_lists)
def test_kappa_and_alpha_agree_with_sklearn_and_krippendorff_on_any_data(pairs):
    result = figures(pairs)
    if len({code for pair in pairs for code in pair}) > 1:
        assert result.krippendorff_alpha == pytest.approx(kripp(pairs), abs=1e-9)
    if result.cohen_kappa is not None:
        assert result.cohen_kappa == pytest.approx(sklearn_kappa(pairs), abs=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(codes, codes), min_size=2, max_size=30))
def test_standard_errors_and_intervals_agree_with_irrcac_on_any_data(pairs):
    result = figures(pairs, 0.9)
    if result.gwet_ac1 is None:  # q = 1: irrCAC substitutes p_e = 1 − 1e-15 and returns noise
        return
    ac1 = irr_est(pairs, 0.9, "gwet")
    assert result.gwet_ac1 == pytest.approx(ac1["coefficient_value"], abs=1e-9)
    assert result.gwet_ac1_se == pytest.approx(ac1["se"], abs=1e-9)
    assert result.gwet_ac1_ci == pytest.approx(clipped(ac1["confidence_interval"]), abs=1e-9)
    if result.cohen_kappa is not None:
        kappa = irr_est(pairs, 0.9, "conger")
        assert result.cohen_kappa == pytest.approx(kappa["coefficient_value"], abs=1e-9)
        assert result.cohen_kappa_se == pytest.approx(kappa["se"], abs=1e-9)
        assert result.cohen_kappa_ci == pytest.approx(clipped(kappa["confidence_interval"]), abs=1e-9)


# -- size (the speed target is checked by `make bench`, not here) ---------------------------------


def test_four_hundred_files_of_forty_seven_items_count_every_pair():
    rng = np.random.default_rng(7)
    items = [f"Q{i}" for i in range(47)]
    weights = [0.7, 0.1, 0.08, 0.05, 0.07]
    pairs = []
    for position in range(1, 401):
        firsts = rng.choice(CODES, len(items), p=weights)
        seconds = np.where(rng.random(len(items)) < 0.85, firsts, rng.choice(CODES, len(items), p=weights))
        pairs += [RatedPair(f"F{position}", position, item, str(a), str(b)) for item, a, b in zip(items, firsts, seconds)]
    assert len(pairs) == 18_800
    result = compute(pairs, items, 400, 0.95)
    assert result.pooled.n == 18_800 and len(result.items) == 47
    assert sum(f.n for f in result.items.values()) == 18_800
