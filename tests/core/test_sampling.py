"""Allocation, hash-rank selection, reserves, frame hash and the method statement.

Allocations are worked out by hand in the comments. Hash values were computed outside Python
with coreutils, e.g. ``printf '%s\\x1f%s' SEED REF | sha256sum``, and pasted in as literals.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_app.core.sampling import (
    Allocation,
    Selection,
    SizeBasis,
    allocate,
    frame_sha256,
    generate_seed,
    largest_remainder,
    method_statement,
    select,
    stratum_key,
    unit_key,
)
from audit_app.core.statistics import attribute_sample_size, margin_sample_size

# ---------------------------------------------------------------------------------------------
# Allocation


def test_proportional_hand_example():
    # Quotas 10 × 50/100 = 5, 10 × 30/100 = 3, 10 × 20/100 = 2: whole already.
    allocation = allocate({"A": 50, "B": 30, "C": 20}, 10)
    assert allocation == Allocation({"A": 5, "B": 3, "C": 2}, {"A": 50, "B": 30, "C": 20}, "proportional", None, False)
    assert allocation.inclusion_probability("A") == 0.1
    assert allocation.n == 10 and allocation.population == 100


def test_largest_remainders_get_the_leftovers():
    # Quotas 0.7, 1.4, 4.9 → floors 0, 1, 4 (5 units); 2 left go to C (.9) then A (.7).
    assert allocate({"A": 10, "B": 20, "C": 70}, 7).sizes == {"A": 1, "B": 1, "C": 5}


def test_equal_remainders_go_to_the_first_key():
    # Quotas 1.5, 1.5, 3 → floors 1, 1, 3; one unit left and A and B tie on .5: A sorts first.
    # The mapping's own order does not matter: strata are taken in key order.
    assert allocate({"B": 25, "A": 25, "C": 50}, 6).sizes == {"A": 2, "B": 1, "C": 3}
    assert list(allocate({"B": 25, "A": 25, "C": 50}, 6).sizes) == ["A", "B", "C"]


def test_largest_remainder_is_exact_not_float():
    # Thirds: 1/3 + 1/3 + 1/3 of 10 → 3.333… each; the one leftover goes to the first key.
    thirds = {"x": Fraction(10, 3), "y": Fraction(10, 3), "z": Fraction(10, 3)}
    assert largest_remainder(thirds) == {"x": 4, "y": 3, "z": 3}


def test_minimum_raises_a_small_stratum_and_takes_from_the_largest():
    # Quotas 40 × 1000/1505 = 26.58, 13.29, 0.13 → floors 26, 13, 0; leftover to A (.58) → 27, 13, 0.
    # Minimum 10, but C has only 5 files: C → 5, and the 5 units come from A, the largest.
    allocation = allocate({"A": 1000, "B": 500, "C": 5}, 40, min_per_stratum=10)
    assert allocation.sizes == {"A": 22, "B": 13, "C": 5}
    assert allocation.disproportionate
    assert allocation.min_per_stratum == 10


def test_minimum_takes_one_unit_at_a_time_from_the_current_largest():
    # Quotas 30 × 500/1000 = 15, 14.4, 0.6 → floors 15, 14, 0; leftover to C (.6) → 15, 14, 1.
    # Minimum 8: C needs 7 more. Taking one at a time from the largest (ties: key order):
    # A 15→14; A,B tie at 14 → A 13; B 14→13; tie → A 12; B 12; A 11; B 12 is largest → B 11.
    assert allocate({"A": 500, "B": 480, "C": 20}, 30, min_per_stratum=8).sizes == {"A": 11, "B": 11, "C": 8}


def test_minimum_that_changes_nothing_is_not_disproportionate():
    allocation = allocate({"A": 500, "B": 500}, 40, min_per_stratum=10)
    assert allocation.sizes == {"A": 20, "B": 20}
    assert not allocation.disproportionate


def test_minimum_the_sample_cannot_provide():
    with pytest.raises(ValueError, match="cannot give each of the 3 strata at least 10 files"):
        allocate({"A": 100, "B": 100, "C": 100}, 25, min_per_stratum=10)


def test_equal_allocation_with_a_capped_stratum():
    # Equal share 30/3 = 10; C has 3 files, so it is taken in full and 27 are shared by A and B:
    # 13.5 each → 13, 13 and the leftover to A (key order).
    allocation = allocate({"A": 100, "B": 100, "C": 3}, 30, "equal")
    assert allocation.sizes == {"A": 14, "B": 13, "C": 3}
    assert allocation.disproportionate


def test_equal_allocation_cascades():
    # Share 33/3 = 11: C (3) is taken whole; then 30/2 = 15 exceeds B (12): B whole; A gets 18.
    assert allocate({"A": 100, "B": 12, "C": 3}, 33, "equal").sizes == {"A": 18, "B": 12, "C": 3}


def test_equal_allocation_over_equal_strata_is_proportional():
    allocation = allocate({"A": 10, "B": 10, "C": 10}, 6, "equal")
    assert allocation.sizes == {"A": 2, "B": 2, "C": 2}
    assert not allocation.disproportionate


def test_empty_strata_are_dropped_and_a_census_is_allowed():
    allocation = allocate({"A": 4, "B": 0, "C": 2}, 6)
    assert allocation.sizes == {"A": 4, "C": 2}
    assert allocation.populations == {"A": 4, "C": 2}


@pytest.mark.parametrize(
    ("populations", "n", "method", "minimum", "message"),
    [
        ({"A": 5, "B": 5}, 11, "proportional", None, "cannot be drawn from 10 files"),
        ({"A": 5}, 0, "proportional", None, "at least 1"),
        ({"A": 5}, 2.0, "proportional", None, "whole number"),
        ({"A": 5}, 2, "random", None, "'proportional' or 'equal'"),
        ({"A": -1, "B": 5}, 2, "proportional", None, "stratum 'A'"),
        ({"A": 0}, 1, "proportional", None, "empty"),
        ({}, 1, "proportional", None, "empty"),
        ({"A": 5}, 2, "proportional", -1, "minimum per stratum"),
    ],
)
def test_allocation_bad_input(populations, n, method, minimum, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        allocate(populations, n, method, minimum)


strata_sizes = st.dictionaries(
    st.sampled_from(["burglary", "robbery", "vehicle", "theft", "other", "(blank)"]),
    st.integers(min_value=0, max_value=400),
    min_size=1,
)


@settings(max_examples=200, deadline=None)
@given(populations=strata_sizes, data=st.data())
def test_allocation_invariants(populations, data):
    total = sum(populations.values())
    if total == 0:
        return
    n = data.draw(st.integers(min_value=1, max_value=total))
    method = data.draw(st.sampled_from(["proportional", "equal"]))
    minimum = data.draw(st.none() | st.integers(min_value=0, max_value=15))
    try:
        allocation = allocate(populations, n, method, minimum)
    except ValueError:
        # Only legitimate refusal here: the minimums do not fit in n.
        assert minimum and sum(min(minimum, size) for size in populations.values() if size) > n
        return
    assert sum(allocation.sizes.values()) == n
    assert list(allocation.sizes) == sorted(size for size in allocation.sizes)
    for stratum, n_h in allocation.sizes.items():
        assert 0 <= n_h <= allocation.populations[stratum]
        if minimum:
            assert n_h >= min(minimum, allocation.populations[stratum])
    if method == "proportional" and not allocation.disproportionate:
        for stratum, n_h in allocation.sizes.items():
            assert abs(n_h - n * allocation.populations[stratum] / total) < 1


# ---------------------------------------------------------------------------------------------
# Keys and hashes, against coreutils sha256sum.


def test_unit_key_matches_sha256sum():
    # printf '%s\x1f%s' 'ab12cd34' 'MPS/2024/000123' | sha256sum
    assert unit_key("ab12cd34", "MPS/2024/000123") == "c4860dfeae55bb4b1430ae255e394bbe1f48edfb5e2f2348c411ee3fcc9d889f"
    # printf '%s\x1f%s' 'seed' 'ref' | sha256sum
    assert unit_key("seed", "ref") == "0b064ff9fed9112afa8a040ae0100e1fb9defbc7455b77823c9c664f47ebae98"
    # printf '%s\x1f%s' 'café' 'Crime–ID 7' | sha256sum   (UTF-8 bytes, en dash)
    assert unit_key("café", "Crime–ID 7") == "eb6cd2abce14292e37a69e0873d548719cd4dfd9a1b3455a2bd6cef7021a0cb5"


def test_frame_sha256_matches_sha256sum():
    # printf 'a\nb\nc' | sha256sum
    assert frame_sha256(iter(["a", "b", "c"])) == "ea7fb08b7a2dc4619ffb7c7bb38d95a2047935fa165d71b12efd3852a2e6d0cc"
    # printf 'a' | sha256sum   (one ref: no newline at all)
    assert frame_sha256(["a"]) == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
    # printf '' | sha256sum
    assert frame_sha256([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_frame_sha256_refuses_unsorted_refs():
    with pytest.raises(ValueError, match="must be sorted"):
        frame_sha256(["b", "a"])


def test_stratum_key():
    assert stratum_key(["burglary", "North"]) == "burglary / North"
    assert stratum_key(["burglary", ""]) == "burglary / (blank)"
    assert stratum_key(["  ", "North"]) == "(blank) / North"
    assert stratum_key(["vehicle"]) == "vehicle"
    assert stratum_key([]) == "all"


def test_generate_seed():
    seeds = {generate_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(re.fullmatch(r"[0-9a-f]{16}", seed) for seed in seeds)


# ---------------------------------------------------------------------------------------------
# Selection

# for r in F-001 … F-006: printf '%s\x1f%s' 'audit-2025' "$r" | sha256sum, sorted by hash:
RANKED = [
    ("F-006", "1ae1d490fade2c549ac7a5c313b94807ac83f25a10504f870e381f942d1892c7"),
    ("F-002", "29043012e266ade95b90b662ac38b819f5ba472ada84b4e36545d25bf9597f2d"),
    ("F-003", "534d9b81c2ff9e16ac7858c2c788bc6a9cbf45f0f9e40dd47a4e8772e91719ea"),
    ("F-004", "948f03fa1132b12e647cc781a3e3c3c34c33746de05ae07e4a5c101c3aefc303"),
    ("F-001", "d981490ca6b3299baf71218647181029e332a63e11e90a3de0d7ef427ab0bd38"),
    ("F-005", "e03f632daf050400e602cf4e105b8b23d89d40f2806c92b7de3e0dc633834c38"),
]


def test_selection_ranks_by_hash_as_sha256sum_does():
    units = [(f"F-00{i}", "all") for i in range(1, 7)]
    allocation = allocate({"all": 6}, 2)
    selection = select(units, allocation, "audit-2025", reserve=3)
    assert selection == Selection(selected={"all": RANKED[:2]}, reserve={"all": RANKED[2:5]})
    assert selection.selected_refs() == ["F-006", "F-002"]
    assert selection.reserve_refs() == ["F-003", "F-004", "F-001"]


def test_reserve_stops_at_the_end_of_the_stratum():
    units = [(f"F-00{i}", "all") for i in range(1, 7)]
    selection = select(units, allocate({"all": 6}, 4), "audit-2025", reserve=10)
    assert [ref for ref, _ in selection.selected["all"]] == ["F-006", "F-002", "F-003", "F-004"]
    assert [ref for ref, _ in selection.reserve["all"]] == ["F-001", "F-005"]


def test_stratum_with_nothing_allocated():
    units = [("a1", "A"), ("a2", "A"), ("a3", "A"), ("b1", "B")]
    allocation = allocate({"A": 3, "B": 1}, 1)  # quotas .75 and .25 → A 1, B 0
    selection = select(units, allocation, "s", reserve=0)
    assert len(selection.selected["A"]) == 1 and selection.selected["B"] == []
    assert selection.reserve == {"A": [], "B": []}
    assert select(units, allocation, "s", reserve=1).reserve["B"] == [("b1", unit_key("s", "b1"))]


def _frame(sizes: dict[str, int]) -> list[tuple[str, str]]:
    return [(f"{stratum}-{i:05d}", stratum) for stratum, size in sizes.items() for i in range(size)]


def test_bounded_selection_equals_a_full_sort():
    sizes = {"burglary": 6000, "robbery": 900, "vehicle": 4000, "theft": 31, "other": 2}
    units = _frame(sizes)
    allocation = allocate(sizes, 60, min_per_stratum=5)
    selection = select(units, allocation, "ab12", reserve=7)
    for stratum, n_h in allocation.sizes.items():
        everything = sorted((unit_key("ab12", ref), ref) for ref, h in units if h == stratum)
        ranked = [(ref, key) for key, ref in everything]
        assert selection.selected[stratum] == ranked[:n_h]
        assert selection.reserve[stratum] == ranked[n_h : n_h + 7]


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.integers(min_value=1, max_value=60), min_size=1),
    seed=st.text(min_size=1, max_size=12),
    reserve=st.integers(min_value=0, max_value=8),
    shuffle_seed=st.integers(),
    data=st.data(),
)
def test_selection_ignores_row_order(sizes, seed, reserve, shuffle_seed, data):
    units = _frame(sizes)
    n = data.draw(st.integers(min_value=1, max_value=sum(sizes.values())))
    allocation = allocate(sizes, n)
    first = select(units, allocation, seed, reserve)
    shuffled = list(units)
    random.Random(shuffle_seed).shuffle(shuffled)
    assert select(iter(shuffled), allocation, seed, reserve) == first
    for stratum, n_h in allocation.sizes.items():
        chosen = [ref for ref, _ in first.selected[stratum]]
        spare = [ref for ref, _ in first.reserve[stratum]]
        assert len(chosen) == n_h
        assert len(spare) == min(reserve, sizes[stratum] - n_h)
        assert len(set(chosen + spare)) == len(chosen) + len(spare) <= sizes[stratum]
        keys = [key for _, key in first.selected[stratum] + first.reserve[stratum]]
        assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("units", "seed", "reserve", "message"),
    [
        ([("x", "C")], "s", 0, "stratum 'C', which the allocation does not have"),
        ([("x", "A")], "s", 0, "has 1 files in the frame but the allocation was made for 2"),
        ([("x", "A"), ("y", "A")], "", 0, "seed"),
        ([("x", "A"), ("y", "A")], "s", -1, "reserves"),
    ],
)
def test_selection_bad_input(units, seed, reserve, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        select(units, allocate({"A": 2}, 1), seed, reserve)


# ---------------------------------------------------------------------------------------------
# Method statement


def test_method_statement_stratified():
    populations = {"burglary": 2000, "robbery": 300, "vehicle": 1500, "theft_from_person": 512}
    allocation = allocate(populations, 120, min_per_stratum=10)
    text = method_statement(
        allocation,
        seed="ab12cd34ef56ab78",
        frame_sha256="3f" * 32,
        strata_fields=["offence_group"],
        reserve=5,
    )
    assert text.startswith(
        "A stratified random sample of 120 files was drawn from 4,312 in-scope files in 4 strata by offence group, "
        "allocated in proportion to stratum size (largest-remainder rounding) with at least 10 files per stratum."
    )
    assert "weighted back to the strata sizes" in text  # robbery was raised from 8 to 10
    assert "The sample size, 120, was set by the auditor." in text
    assert "ranked within each stratum by the SHA-256 hash" in text
    assert "'ab12cd34ef56ab78'" in text and "unit-separator character (character code 31)" in text
    assert "U+001F" not in text and "n_h" not in text and "N_h" not in text  # in words for the reader
    assert "the next 5 kept as reserves" in text
    assert "3f" * 32 in text
    assert text.endswith("anyone can re-derive the sample from the seed, the frame and this rule.")


def test_method_statement_attribute_size_simple_sample():
    size = attribute_sample_size(0.95, 0.05, 0.01, 4312)
    text = method_statement(
        allocate({"all": 4312}, size.n),
        seed="s1",
        frame_sha256="ab" * 32,
        basis=SizeBasis.attribute(0.95, 0.05, 0.01, size, population=4312),
    )
    assert text.startswith("A simple random sample of 93 files was drawn from 4,312 in-scope files.")
    assert "hypergeometric, for a population of 4,312 files" in text
    assert "95% confidence, a tolerable failure rate of 5% and an expected rate of 1%" in text
    assert "finding no more than 1 failure" in text
    assert "no reserve list was kept" in text
    assert "weighted" not in text


def test_method_statement_margin_and_equal_allocation():
    size = margin_sample_size(0.95, 0.075, population=1000)
    text = method_statement(
        allocate({"North": 600, "South": 400}, size.n, "equal"),
        seed="s2",
        frame_sha256="cd" * 32,
        strata_fields=["area", "outcome_family"],
        reserve=2,
        basis=SizeBasis.margin_of_error(0.95, 0.075, size, population=1000),
    )
    assert "146 files was drawn from 1,000 in-scope files in 2 strata by area and outcome family" in text
    assert "allocated equally between strata" in text
    assert "±7.5 percentage points at 95% confidence" in text
    assert "finite population correction for 1,000 files" in text
    assert "weighted back" in text  # equal allocation over unequal strata


def test_a_stratum_key_in_words():
    from audit_app.core.sampling import stratum_label

    assert stratum_label("all") == "All files (no strata)"
    assert stratum_label("theft_from_person / North") == "Theft from the person / North"
