"""The audit's estimates: finished reviews in, :class:`~audit_app.core.results.model.AuditResults` out.

Every definition is the one in ``shared/domain/statistics.md``: compliance and its Wilson interval
(§3), the Clopper–Pearson upper deviation limit against the tolerable rate (§1.1), the weighted
ratio estimate with its Taylor-linearised variance for a disproportionate design (§3.1), and
the shares of files by grade and flag (§3.2). The method statement (``AuditResults.method``) says
in plain sentences what was counted and how; the GUI, the CLI and the reports print it and the
figures without recomputing anything.

Speed: the answers are held as one files × items matrix of answer codes, and every count (force,
stratum, reviewer) is one matrix product with a one-hot encoding of it. scipy is called a fixed
number of times, on arrays, whatever the number of items: 2,000 files × 47 items take tens of
milliseconds.

Bad input (a confidence outside (0, 1), a file in a stratum the design does not list, an answer
meaning the model does not know, ...) raises ``ValueError`` with one clear sentence.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audit_app.core.checklist import Checklist
from audit_app.core.results.model import (
    ASSURED,
    DISPROPORTIONATE,
    EQUAL_PROBABILITY,
    MEANINGS,
    NO_APPLICABLE_FILES,
    NO_TOLERABLE_RATE,
    NOT_ASSURED,
    TOO_FEW,
    Assurance,
    AuditResults,
    Design,
    FileInput,
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
from audit_app.core.statistics import (
    _beta,
    _check_open_unit,
    _stats,
    _z,
    attribute_sample_size,
    benjamini_hochberg,
    exact_decimal,
    fisher_exact_two_sided,
    upper_deviation_limits,
    wilson_interval,
    wilson_interval_real,
)

if TYPE_CHECKING:
    import numpy as np

# Columns of the one-hot answer encoding: the meanings in model order, then two states of no answer.
_MET, _PARTLY, _NOT_MET, _NOT_RECORDED, _NA = range(5)
_EXCLUDED = 5  # the checklist's rules exclude the item for the file
_UNANSWERED = 6  # no answer and no rule: counted nowhere
_STATES = 7
_CODE = {meaning: code for code, meaning in enumerate(MEANINGS)}

NO_REASON = "(no reason given)"
UNGRADABLE = "ungradable"
NOT_GRADED = "not_graded"
NOT_GRADED_LABEL = "Not graded"

# The reviewer N/A flag: Fisher's exact test (two-sided) of the reviewer's N/A answers against the
# other reviewers' on the item, with at least this many answered files (applicable or N/A) on each
# side; significant by Benjamini–Hochberg over every test of the audit at a false discovery rate of
# 1 − confidence. Plain p < 1 − confidence would flag about one comparison in twenty with no real
# difference: 47 items × 10 reviewers would raise some twenty flags on pure noise.
FLAG_MIN_FILES = 3
# ...and only when the reviewer's rate is at least this far from the typical other reviewer's (the median of
# the other reviewers' rates on the item): one outlying reviewer inflates the pooled rate of everyone else's
# comparison, so a significant difference from the pool alone would flag every ordinary reviewer too.
FLAG_MIN_DIFFERENCE = 0.10


def compute(checklist: Checklist, design: Design, files: Sequence[FileInput]) -> AuditResults:
    """Every result of the audit except agreement (``AuditResults.agreement`` is ``None``).

    :param checklist: the audit's checklist: items in order, sections, sub-scores, grade bands.
    :param design: the sample design: confidence, tolerable rate, strata sizes, weighting.
    :param files: the finished files (complete or signed off), with the moderated answers
        where moderation agreed them.
    :raises ValueError: for inconsistent input, with one sentence saying what is wrong.
    """
    _check_design(design)
    sample = _Sample.build(checklist, design, files)
    confidence = design.confidence
    files_needed = attribute_sample_size(confidence, design.tolerable).n if design.tolerable is not None else None

    items = _items(checklist, design, sample, files_needed)
    return AuditResults(
        files_reviewed=len(files),
        provisional=tuple(f.ref for f in sorted(files, key=lambda f: f.position) if f.provisional),
        training=sum(1 for f in files if f.training),
        design=DISPROPORTIONATE if design.disproportionate else EQUAL_PROBABILITY,
        confidence=confidence,
        tolerable=design.tolerable,
        items=items,
        sections=_sections(checklist, design, sample, items),
        subscores=_subscores(checklist, design, sample),
        strata=_strata(checklist, design, sample),
        reviewers=_reviewers(sample, design),
        files=_file_shares(checklist, design, sample),
        method=_method(checklist, design, sample, files_needed),
    )


# -- input -------------------------------------------------------------------------------------


def _check_design(design: Design) -> None:
    _check_open_unit("confidence", design.confidence)
    if design.tolerable is not None:
        _check_open_unit("tolerable rate", design.tolerable)
    for key, size in design.strata_sizes.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"The frame size of stratum {key!r} must be a whole number of at least 0; got {size!r}.")
    for key, drawn in design.strata_sample.items():
        if key not in design.strata_sizes:
            raise ValueError(f"The design draws files from stratum {key!r}, which its strata sizes do not list.")
        if isinstance(drawn, bool) or not isinstance(drawn, int) or drawn < 0:
            raise ValueError(f"The files drawn from stratum {key!r} must be a whole number of at least 0; got {drawn!r}.")


@dataclass(frozen=True)
class _Sample:
    """The finished files as arrays: answer states, one-hot counts by stratum and by reviewer."""

    files: tuple[FileInput, ...]
    item_ids: tuple[str, ...]
    states: np.ndarray  # files × items, the answer state (_MET .. _UNANSWERED)
    onehot: np.ndarray  # files × (items·states), 0.0/1.0
    strata: tuple[str, ...]  # sorted keys of design.strata_sizes
    stratum_index: np.ndarray  # per file, index into strata
    sizes: np.ndarray  # N_h, float
    finished: np.ndarray  # m_h, int
    grades: tuple[str, ...]  # share ids: bands best first, "ungradable", "not_graded" when some file has none
    by_stratum: np.ndarray  # strata × items × states: answer-state counts
    na_notes: Mapping[str, list[str]]  # item → the notes of its N/A answers

    @staticmethod
    def build(checklist: Checklist, design: Design, files: Sequence[FileInput]) -> _Sample:
        import numpy as np

        item_ids = tuple(checklist.items)
        column = {item: j for j, item in enumerate(item_ids)}
        strata = tuple(sorted(design.strata_sizes))
        stratum_column = {key: h for h, key in enumerate(strata)}
        band_ids = {band.id for band in checklist.spec.grading.bands}
        seen: set[str] = set()
        rows: list[list[int]] = []
        stratum_index: list[int] = []
        na_notes: dict[str, list[str]] = {}
        for file in files:
            if file.ref in seen:
                raise ValueError(f"File {file.ref} is given twice; each finished file counts once.")
            seen.add(file.ref)
            if file.stratum not in stratum_column:
                raise ValueError(
                    f"File {file.ref} is in stratum {file.stratum!r}, which the design's strata sizes do not list."
                )
            stratum_index.append(stratum_column[file.stratum])
            if file.grade is not None and file.grade != UNGRADABLE and file.grade not in band_ids:
                raise ValueError(f"File {file.ref} has grade {file.grade!r}, which is not a grade of the checklist.")
            for score_id, score in file.subscores.items():
                if score is not None and not math.isfinite(score):
                    raise ValueError(f"File {file.ref} has sub-score {score_id} = {score!r}, which is not a number.")
            row = [_UNANSWERED] * len(item_ids)
            excluded = file.excluded_by_rule
            try:
                for item, answer in file.answers.items():
                    code = row[column[item]] = _CODE[answer.meaning]
                    if code == _NA and item not in excluded:
                        na_notes.setdefault(item, []).append(answer.note)
                for item in excluded:  # the rules win over a stale answer
                    row[column[item]] = _EXCLUDED
            except KeyError:
                _explain_bad_answer(file, column)
                raise
            rows.append(row)

        states = np.array(rows, dtype=np.int8).reshape(len(files), len(item_ids))
        onehot = (states[:, :, None] == np.arange(_STATES, dtype=np.int8)).reshape(len(files), len(item_ids) * _STATES).astype(np.float64)
        index = np.array(stratum_index, dtype=np.int64)
        sizes = np.array([design.strata_sizes[key] for key in strata], dtype=np.float64)
        finished = np.bincount(index, minlength=len(strata)).astype(np.int64)
        for key, size, m in zip(strata, sizes, finished):
            if m > size:
                raise ValueError(
                    f"Stratum {key!r} has {m} finished reviews but only {int(size)} units in the frame."
                )
        bands = sorted(checklist.spec.grading.bands, key=lambda band: -band.min)
        grades = (*(band.id for band in bands), UNGRADABLE)
        if any(file.grade is None for file in files):
            grades = (*grades, NOT_GRADED)
        by_stratum = _counts_by(onehot, index, len(strata), len(item_ids))
        return _Sample(
            tuple(files), item_ids, states, onehot, strata, index, sizes, finished, grades, by_stratum, na_notes
        )

    def counts_by(self, group: np.ndarray, groups: int) -> np.ndarray:
        """Answer-state counts per group of files: groups × items × states (integers)."""
        return _counts_by(self.onehot, group, groups, len(self.item_ids))

    def stratum_sums(self, values: np.ndarray) -> np.ndarray:
        """Per-stratum sums of per-file values (files × columns) → strata × columns."""
        import numpy as np

        indicator = np.zeros((len(self.strata), len(self.files)))
        indicator[self.stratum_index, np.arange(len(self.files))] = 1.0
        result: np.ndarray = indicator @ values
        return result

    @property
    def weights(self) -> np.ndarray:
        """``w_h = N_h/m_h`` per stratum (0 for a stratum with no finished review: it contributes nothing)."""
        import numpy as np

        m = self.finished.astype(np.float64)
        weights: np.ndarray = np.where(m > 0, self.sizes / np.where(m > 0, m, 1.0), 0.0)
        return weights

    @property
    def empty_strata(self) -> tuple[str, ...]:
        return tuple(key for key, m in zip(self.strata, self.finished) if m == 0)

    @property
    def single_strata(self) -> tuple[str, ...]:
        return tuple(key for key, m in zip(self.strata, self.finished) if m == 1)


def _explain_bad_answer(file: FileInput, column: Mapping[str, int]) -> None:
    """Raise the ValueError that says which answer of ``file`` the checklist or the model does not know."""
    for item, answer in file.answers.items():
        if item not in column:
            raise ValueError(f"File {file.ref} answers item {item}, which is not in the checklist.")
        if answer.meaning not in _CODE:
            raise ValueError(
                f"File {file.ref} answers item {item} with meaning {answer.meaning!r}, "
                f"which is not one of {', '.join(MEANINGS)}."
            )
    for item in file.excluded_by_rule:
        if item not in column:
            raise ValueError(f"File {file.ref} lists item {item} as excluded, which is not in the checklist.")


def _counts_by(onehot: np.ndarray, group: np.ndarray, groups: int, items: int) -> np.ndarray:
    """Answer-state counts per group of files (one matrix product): groups × items × states."""
    import numpy as np

    files = onehot.shape[0]
    indicator = np.zeros((groups, files))
    indicator[group, np.arange(files)] = 1.0
    counts: np.ndarray = np.rint(indicator @ onehot).astype(np.int64).reshape(groups, items, _STATES)
    return counts


# -- the weighted ratio estimate (statistics.md §3.1) ------------------------------------------


@dataclass(frozen=True)
class _Moments:
    """Per-stratum sums (strata × columns) over the files: Σy, Σa, Σy², Σy·a, Σa²."""

    y: np.ndarray
    a: np.ndarray
    yy: np.ndarray
    ya: np.ndarray
    aa: np.ndarray

    @staticmethod
    def binary(met: np.ndarray, applicable: np.ndarray) -> _Moments:
        """For 0/1 ``y ≤ a`` (Met within applicable, a property of every file): y² = y·a = y, a² = a."""
        return _Moments(met, applicable, met, met, applicable)


def _ratio(sample: _Sample, moments: _Moments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``R = Σw·y / Σw·a``, its Taylor-linearised variance ``v(R)`` and ``Σw·a``, per column.

    ``d_i = (y_i − R·a_i)/Σw·a``; the sample variance of ``d`` over stratum h's ``m_h`` files is
    ``(S_yy − 2R·S_ya + R²·S_aa)/((m_h − 1)·(Σw·a)²)`` with ``S_uv = Σu·v − Σu·Σv/m_h``: the same
    number as the definition, from sums of integers for answers, so that a stratum whose ``d`` are
    all equal gives exactly 0 (a float residue there would make ``n_eff`` astronomically large).
    ``v = Σ_h N_h²·(1 − m_h/N_h)·s²_h/m_h`` over strata with ``m_h ≥ 2``. Columns with ``Σw·a = 0``
    give NaN, which callers turn into ``None``.
    """
    import numpy as np

    m = sample.finished[:, None].astype(np.float64)
    sizes = sample.sizes[:, None]
    weight = sample.weights[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        total_y = (weight * moments.y).sum(axis=0)
        total_a = (weight * moments.a).sum(axis=0)
        ratio = total_y / total_a
        variance = np.zeros_like(ratio)
        for h in np.flatnonzero(sample.finished >= 2):
            mh = m[h, 0]
            s_yy = moments.yy[h] - moments.y[h] ** 2 / mh
            s_ya = moments.ya[h] - moments.y[h] * moments.a[h] / mh
            s_aa = moments.aa[h] - moments.a[h] ** 2 / mh
            spread = np.maximum(0.0, s_yy - 2 * ratio * s_ya + ratio**2 * s_aa)
            s2 = spread / (mh - 1) / total_a**2
            variance = variance + sizes[h, 0] ** 2 * (1 - mh / sizes[h, 0]) * s2 / mh
    variance = np.where(total_a > 0, variance, np.nan)
    return ratio, variance, total_a


@dataclass(frozen=True)
class _Effective:
    estimate: float
    variance: float
    n_eff: float
    ci: tuple[float, float]


def _effective(ratio: float, variance: float, applicable: int, confidence: float) -> _Effective:
    """``n_eff = R(1 − R)/v`` when ``0 < R < 1`` and ``v > 0``, else the number of applicable files;
    the Wilson interval with ``p̂ = R`` and ``n = n_eff``."""
    n_eff = ratio * (1 - ratio) / variance if 0 < ratio < 1 and variance > 0 else float(applicable)
    return _Effective(ratio, variance, n_eff, wilson_interval_real(ratio, n_eff, confidence))


def _no_weighted(sample: _Sample) -> Weighted:
    return Weighted(None, None, None, None, None, None, sample.empty_strata, sample.single_strata)


def _weighted(figures: _Effective | None, sample: _Sample, limit: float | None) -> Weighted:
    if figures is None:
        return _no_weighted(sample)
    return Weighted(
        estimate=figures.estimate,
        ci_low=figures.ci[0],
        ci_high=figures.ci[1],
        n_eff=figures.n_eff,
        variance=figures.variance,
        upper_deviation_limit=limit,
        empty_strata=sample.empty_strata,
        single_strata=sample.single_strata,
    )


def _binary_estimates(
    sample: _Sample, met: np.ndarray, applicable: np.ndarray, counts: Sequence[int], confidence: float
) -> list[_Effective | None]:
    """The §3.1 estimate per column from per-stratum counts of ``y = 1`` and ``a = 1``."""
    ratio, variance, _ = _ratio(sample, _Moments.binary(met, applicable))
    return [
        _effective(float(r), float(v), n, confidence) if n > 0 else None
        for r, v, n in zip(ratio.tolist(), variance.tolist(), counts)
    ]


# -- items ---------------------------------------------------------------------------------------


def _proportion(successes: int, n: int, confidence: float) -> Proportion:
    if n == 0:
        return Proportion(successes, 0, None, None, None)
    low, high = wilson_interval(successes, n, confidence)
    return Proportion(successes, n, successes / n, low, high)


def _na_reasons(sample: _Sample, item: str) -> tuple[tuple[str, int], ...]:
    reasons = Counter((note.strip() or NO_REASON) for note in sample.na_notes.get(item, ()))
    return tuple(sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0])))


def _items(checklist: Checklist, design: Design, sample: _Sample, files_needed: int | None) -> dict[str, ItemResult]:
    import numpy as np

    confidence = design.confidence
    by_stratum = sample.by_stratum
    counts = by_stratum.sum(axis=0)  # items × states
    met = counts[:, _MET].tolist()
    applicable = counts[:, : _NA].sum(axis=1).tolist()

    weighted: list[_Effective | None] = [None] * len(sample.item_ids)
    if design.disproportionate:
        weighted = _binary_estimates(
            sample,
            by_stratum[:, :, _MET].astype(np.float64),
            by_stratum[:, :, : _NA].sum(axis=2).astype(np.float64),
            applicable,
            confidence,
        )

    # Every upper limit in one scipy call: per item with applicable files, the unweighted limit,
    # the limit that assurance uses (weighted for a disproportionate design) and the same with no
    # failure (could this many files ever give assurance?).
    failures: list[float] = []
    sizes: list[float] = []
    for j, n in enumerate(applicable):
        if n == 0:
            continue
        failures.append(n - met[j])
        sizes.append(n)
        figures = weighted[j]
        if figures is not None:
            failures += [(1 - figures.estimate) * figures.n_eff, 0.0]
            sizes += [figures.n_eff, figures.n_eff]
        else:
            failures.append(0.0)
            sizes.append(n)
    limits = iter(upper_deviation_limits(failures, sizes, confidence))

    results: dict[str, ItemResult] = {}
    for j, item_id in enumerate(sample.item_ids):
        item = checklist.items[item_id]
        row = counts[j].tolist()
        n = applicable[j]
        unweighted_limit = weighted_limit = zero_failure_limit = None
        if n > 0:
            unweighted_limit = next(limits)
            if weighted[j] is not None:
                weighted_limit = next(limits)
            zero_failure_limit = next(limits)
        used_limit = weighted_limit if design.disproportionate else unweighted_limit
        results[item_id] = ItemResult(
            item=item_id,
            section=checklist.section_of[item_id].id,
            subscore=item.subscore,
            question=item.question,
            critical=item.critical != "never",
            applicable=n,
            met=row[_MET],
            partly=row[_PARTLY],
            not_met=row[_NOT_MET],
            not_recorded=row[_NOT_RECORDED],
            na=row[_NA],
            excluded_by_rule=row[_EXCLUDED],
            na_reasons=_na_reasons(sample, item_id) if row[_NA] else (),
            compliance=_proportion(row[_MET], n, confidence),
            met_or_partly=_proportion(row[_MET] + row[_PARTLY], n, confidence),
            not_recorded_rate=_proportion(row[_NOT_RECORDED], n, confidence),
            na_rate=_proportion(row[_NA], n + row[_NA], confidence),
            unweighted_upper_deviation_limit=unweighted_limit,
            assurance=_assurance(n, used_limit, zero_failure_limit, design.tolerable, files_needed),
            weighted=_weighted(weighted[j], sample, weighted_limit) if design.disproportionate else None,
        )
    return results


def _assurance(
    applicable: int, limit: float | None, zero_failure_limit: float | None, tolerable: float | None, files_needed: int | None
) -> Assurance:
    """§1.1: assured when the upper limit is at most ``t``; too few when even no failure could not be."""
    if applicable == 0 or limit is None or zero_failure_limit is None:
        return Assurance(None, None, NO_APPLICABLE_FILES, files_needed)
    if tolerable is None:
        return Assurance(limit, None, NO_TOLERABLE_RATE, None)
    if limit <= tolerable:
        return Assurance(limit, True, ASSURED, files_needed)
    if zero_failure_limit > tolerable:
        return Assurance(limit, False, TOO_FEW, files_needed)
    return Assurance(limit, False, NOT_ASSURED, files_needed)


# -- sections ------------------------------------------------------------------------------------


def _sections(checklist: Checklist, design: Design, sample: _Sample, items: Mapping[str, ItemResult]) -> tuple[GroupResult, ...]:
    weighted_totals: dict[str, tuple[float, float]] = {}
    if design.disproportionate and sample.files:
        by_stratum = sample.by_stratum
        total_y = sample.weights @ by_stratum[:, :, _MET]
        total_a = sample.weights @ by_stratum[:, :, : _NA].sum(axis=2)
        weighted_totals = {item: (float(y), float(a)) for item, y, a in zip(sample.item_ids, total_y, total_a)}

    results = []
    for section in checklist.spec.sections:
        ids = tuple(item.id for item in section.items)
        applicable = sum(items[i].applicable for i in ids)
        met = sum(items[i].met for i in ids)
        weighted_compliance = None
        if design.disproportionate:
            total_y = sum(weighted_totals.get(i, (0.0, 0.0))[0] for i in ids)
            total_a = sum(weighted_totals.get(i, (0.0, 0.0))[1] for i in ids)
            weighted_compliance = total_y / total_a if total_a > 0 else None
        # Not assured: tested against the tolerable rate and failed (no tolerable rate: none are).
        weak = [i for i in ids if items[i].assurance.assured is False]
        weak.sort(key=lambda i: -(items[i].assurance.upper_deviation_limit or 0.0))
        results.append(
            GroupResult(
                id=section.id,
                label=section.title,
                items=ids,
                applicable=applicable,
                met=met,
                compliance=met / applicable if applicable else None,
                weighted_compliance=weighted_compliance,
                not_assured=tuple(weak),
            )
        )
    return tuple(results)


# -- sub-scores -----------------------------------------------------------------------------------


def _subscores(checklist: Checklist, design: Design, sample: _Sample) -> tuple[MeanScore, ...]:
    import numpy as np

    subscores = checklist.spec.subscores
    if not subscores:
        return ()
    values = np.array(
        [[_score(file, s.id) for s in subscores] for file in sample.files], dtype=np.float64
    ).reshape(len(sample.files), len(subscores))
    present = ~np.isnan(values)
    y = np.where(present, values, 0.0)
    a = present.astype(np.float64)
    counts = present.sum(axis=0).tolist()
    alpha = 1 - exact_decimal(design.confidence)
    upper = float(1 - alpha / 2)

    if design.disproportionate:
        ratio, variance, _ = _ratio(
            sample,
            _Moments(
                sample.stratum_sums(y), sample.stratum_sums(a), sample.stratum_sums(y * y),
                sample.stratum_sums(y * a), sample.stratum_sums(a * a),
            ),
        )
        z = _z(design.confidence)
        estimable = bool((sample.finished >= 2).any())  # with no stratum of two, v cannot be estimated
        results = []
        for s, n, r, v in zip(subscores, counts, ratio.tolist(), variance.tolist()):
            if n == 0:
                results.append(MeanScore(s.id, s.label, 0, None, None, None, True))
            elif n < 2 or not estimable:
                results.append(MeanScore(s.id, s.label, n, r, None, None, True))
            else:
                half = z * math.sqrt(v)
                results.append(MeanScore(s.id, s.label, n, r, r - half, r + half, True))
        return tuple(results)

    multipliers = _stats().t.ppf(upper, np.maximum(np.array(counts) - 1, 1)).tolist()
    results = []
    for k, (s, n) in enumerate(zip(subscores, counts)):
        scores = values[present[:, k], k]
        if n == 0:
            results.append(MeanScore(s.id, s.label, 0, None, None, None, False))
            continue
        mean = float(scores.mean())
        if n < 2:
            results.append(MeanScore(s.id, s.label, n, mean, None, None, False))
            continue
        half = float(multipliers[k]) * float(scores.std(ddof=1)) / math.sqrt(n)
        results.append(MeanScore(s.id, s.label, n, mean, mean - half, mean + half, False))
    return tuple(results)


def _score(file: FileInput, subscore: str) -> float:
    value = file.subscores.get(subscore)
    return math.nan if value is None else float(value)


# -- strata ----------------------------------------------------------------------------------------


def _strata(checklist: Checklist, design: Design, sample: _Sample) -> tuple[StratumResult, ...]:
    by_stratum = sample.by_stratum
    grades: list[Counter[str]] = [Counter() for _ in sample.strata]
    for file, h in zip(sample.files, sample.stratum_index.tolist()):
        grades[h][file.grade if file.grade is not None else NOT_GRADED] += 1
    results = []
    for h, key in enumerate(sample.strata):
        counts = by_stratum[h]
        met = counts[:, _MET].tolist()
        applicable = counts[:, : _NA].sum(axis=1).tolist()
        results.append(
            StratumResult(
                stratum=key,
                population=design.strata_sizes[key],
                drawn=design.strata_sample.get(key, 0),
                finished=int(sample.finished[h]),
                grades={grade: grades[h][grade] for grade in sample.grades},
                items={
                    item: _proportion(met[j], applicable[j], design.confidence)
                    for j, item in enumerate(sample.item_ids)
                },
            )
        )
    return tuple(results)


# -- reviewers ------------------------------------------------------------------------------------


def _reviewers(sample: _Sample, design: Design) -> tuple[ReviewerResult, ...]:
    import numpy as np

    names = sorted({file.reviewer for file in sample.files})
    if not names:
        return ()
    index = {name: r for r, name in enumerate(names)}
    group = np.array([index[file.reviewer] for file in sample.files], dtype=np.int64)
    counts = sample.counts_by(group, len(names))  # reviewers × items × states
    applicable = counts[:, :, : _NA].sum(axis=2)
    met = counts[:, :, _MET]
    na = counts[:, :, _NA]
    others_applicable = applicable.sum(axis=0) - applicable
    others_na = na.sum(axis=0) - na
    files = np.bincount(group, minlength=len(names)).tolist()

    # Fisher's exact test where both sides answered enough files, all tables in one call.
    eligible = (
        (applicable + na >= FLAG_MIN_FILES) & (others_applicable + others_na >= FLAG_MIN_FILES)
        if len(names) > 1
        else np.zeros_like(applicable, dtype=bool)
    )
    cells = np.argwhere(eligible)
    tables = [
        (int(na[r, j]), int(applicable[r, j]), int(others_na[r, j]), int(others_applicable[r, j]))
        for r, j in cells.tolist()
    ]
    p_list = fisher_exact_two_sided(tables)
    significant = benjamini_hochberg(p_list, _beta(design.confidence)) if p_list else []
    p_values = {(r, j): p for (r, j), p in zip(cells.tolist(), p_list)}
    rate = np.divide(na, applicable + na, out=np.full(na.shape, np.nan), where=(applicable + na) > 0)
    enough = (applicable + na) >= FLAG_MIN_FILES

    def typical(r: int, j: int) -> float | None:
        """The median N/A rate on item j of the other reviewers with enough files on it."""
        others = [float(rate[o, j]) for o in range(len(names)) if o != r and enough[o, j]]
        return float(np.median(others)) if others else None

    typical_rates = {(r, j): typical(r, j) for r, j in cells.tolist()}
    flagged = {(r, j) for (r, j), flag in zip(cells.tolist(), significant)
               if flag and (t := typical_rates[(r, j)]) is not None and abs(float(rate[r, j]) - t) >= FLAG_MIN_DIFFERENCE - 1e-12}

    results = []
    for r, name in enumerate(names):
        figures = {}
        for j, item in enumerate(sample.item_ids):
            n, x, k = int(applicable[r, j]), int(met[r, j]), int(na[r, j])
            others_total = int(others_applicable[r, j] + others_na[r, j])
            p = p_values.get((r, j))
            figures[item] = ReviewerItem(
                applicable=n,
                met=x,
                na=k,
                compliance=_proportion(x, n, design.confidence),
                na_rate=_proportion(k, n + k, design.confidence),
                others_na_rate=int(others_na[r, j]) / others_total if others_total else None,
                na_flag=(r, j) in flagged,
                typical_na_rate=typical_rates.get((r, j)),
                na_p_value=p,
            )
        results.append(ReviewerResult(name, files[r], figures))
    return tuple(results)


# -- file shares (statistics.md §3.2) --------------------------------------------------------------


def _file_shares(checklist: Checklist, design: Design, sample: _Sample) -> FileShares:
    import numpy as np

    labels = {band.id: band.label for band in checklist.spec.grading.bands}
    labels[UNGRADABLE] = checklist.spec.grading.gradability.label
    labels[NOT_GRADED] = NOT_GRADED_LABEL
    columns: list[tuple[str, str, list[bool]]] = [
        (grade, labels[grade], [(file.grade or NOT_GRADED) == grade for file in sample.files])
        for grade in sample.grades
    ]
    columns += [
        ("critical_failure", "Critical failure", [file.critical_failure for file in sample.files]),
        ("mmo", "Material missed opportunity", [file.mmo for file in sample.files]),
        (UNGRADABLE, labels[UNGRADABLE], [file.ungradable for file in sample.files]),
        ("notable_practice", "Notable practice", [file.notable_practice for file in sample.files]),
    ]
    total = len(sample.files)
    has = [sum(flags) for _, _, flags in columns]
    weighted: list[_Effective | None] = [None] * len(columns)
    if design.disproportionate:
        y = np.array([flags for _, _, flags in columns], dtype=np.float64).T.reshape(total, len(columns))
        per_stratum = sample.stratum_sums(y)
        everyone = np.repeat(sample.finished.astype(np.float64)[:, None], len(columns), axis=1)
        weighted = _binary_estimates(sample, per_stratum, everyone, [total] * len(columns), design.confidence)
    shares = [
        Share(
            id=share_id,
            label=label,
            proportion=_proportion(count, total, design.confidence),
            weighted=_weighted(figures, sample, None) if design.disproportionate else None,
        )
        for (share_id, label, _), count, figures in zip(columns, has, weighted)
    ]
    grades = len(sample.grades)
    return FileShares(tuple(shares[:grades]), *shares[grades:])


# -- method statement -------------------------------------------------------------------------------


def _percent(rate: float) -> str:
    return f"{float(exact_decimal(rate) * 100):g}%"


def _names(keys: Sequence[str]) -> str:
    quoted = [f"'{key}'" for key in keys]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _method(checklist: Checklist, design: Design, sample: _Sample, files_needed: int | None) -> tuple[str, ...]:
    files = sample.files
    total = len(files)
    confidence = _percent(design.confidence)
    sentences = [
        f"The results count the {total} finished review{'s' if total != 1 else ''} (complete or signed off), "
        "using the moderated answer where moderation agreed one and otherwise the primary review's."
    ]
    provisional = sum(1 for file in files if file.provisional)
    if provisional:
        sentences.append(
            f"{provisional} of these file{'s are' if provisional != 1 else ' is'} provisional: a second review "
            "exists and moderation is not finished, so the primary review's answers are used for now."
        )
    training = sum(1 for file in files if file.training)
    sentences.append(
        f"Files marked as training examples are included in every figure ({training} of the {total})."
        if training
        else "No file is marked as a training example."
    )
    sentences.append(
        "An item's compliance is the files answered Met divided by the files it applied to "
        "(Met, Partly met, Not met or Not recorded); Not applicable answers, and items the checklist's "
        "own rules exclude for a file, are left out. The Met-or-Partly-met and Not-recorded rates share "
        "that denominator; the Not-applicable rate is over the applicable and Not applicable answers."
    )
    sentences.append(
        f"Intervals are {confidence} Wilson score intervals, without continuity correction."
    )
    ul = f"BetaInv({design.confidence:g}; x + 1, n − x)"
    if design.tolerable is not None:
        tolerable = _percent(design.tolerable)
        sentences.append(
            f"Each item is tested against the tolerable failure rate of {tolerable}: the one-sided {confidence} "
            f"upper limit of its failure rate (files not Met among those it applied to) is the Clopper–Pearson "
            f"limit {ul} for x failures in n applicable files (AICPA Audit Sampling, Appendix A), and the item "
            f"is assured when this limit is at most {tolerable}. Even with no failure this needs at least "
            f"{files_needed} applicable files; an item with fewer is reported as too few to conclude."
        )
    else:
        sentences.append(
            "The plan sets no tolerable failure rate, so no item is assessed as assured or not assured; "
            f"the one-sided {confidence} Clopper–Pearson upper limit of each item's failure rate, {ul} for "
            "x failures in n applicable files, is given for information."
        )
    if design.disproportionate:
        sentences.append(
            "The strata were sampled at different rates, so force-wide figures are weighted: each finished "
            "review in stratum h stands for w_h = N_h/m_h files, where N_h is the stratum's files in the frame "
            "and m_h its finished reviews. An item's weighted compliance is the ratio R = Σw·Met / Σw·applicable; "
            "its variance is the Taylor-linearised variance of the ratio with finite population correction; the "
            "interval is Wilson's with the effective sample size n_eff = R(1 − R)/v (the number of applicable "
            "files when R is 0 or 1 or the variance is 0), and the upper limit of the failure rate is the "
            "Clopper–Pearson form with x = (1 − R)·n_eff failures in n_eff files"
            + (", which is what assurance uses." if design.tolerable is not None else ".")
            + " Counts are unweighted and shown beside the weighted percentages; the unweighted limits are "
            "shown for reference only."
        )
        empty, single = sample.empty_strata, sample.single_strata
        if empty:
            sentences.append(
                f"Stratum {_names(empty)} had no finished review and contributes nothing to the weighted figures."
                if len(empty) == 1
                else f"Strata {_names(empty)} had no finished review and contribute nothing to the weighted figures."
            )
        if single:
            sentences.append(
                f"Stratum {_names(single)} had one finished review, which adds nothing to the variance."
                if len(single) == 1
                else f"Strata {_names(single)} had one finished review each, which adds nothing to the variance."
            )
        sentences.append(
            "Sub-score means are weighted the same way (the ratio of weighted scores to weighted files with "
            f"a score), with a {confidence} normal interval from the linearised variance."
        )
    else:
        sentences.append(
            "Every file had the same chance of selection, so force-wide figures are unweighted."
        )
        sentences.append(
            f"Sub-score means are over the files with a sub-score, with a {confidence} t interval "
            "(n − 1 degrees of freedom)."
        )
    sentences.append(
        "Figures within a stratum are unweighted: within a stratum the sample is a simple random sample."
    )
    sentences.append(
        "Section figures pool the answers to the section's items; one file's answers are not independent, "
        "so the pooled compliance is descriptive and has no interval"
        + ("; its weighted form pools Σw·Met over Σw·applicable the same way." if design.disproportionate else ".")
    )
    sentences.append(
        f"Shares of files by grade, with a critical failure, with a material missed opportunity, ungradable "
        f"({checklist.spec.grading.gradability.label}) and with notable practice are over all {total} finished "
        "files, with Wilson intervals"
        + (", and weighted as above with every file counted." if design.disproportionate else ".")
    )
    reviewers = len({file.reviewer for file in files})
    if reviewers > 1:
        sentences.append(
            "A reviewer's Not applicable rate on an item is compared with the other reviewers' pooled rate on the "
            f"item by Fisher's exact test (two-sided), where each side answered at least {FLAG_MIN_FILES} files on "
            "the item; since many items and reviewers are compared, a difference is flagged only when it is "
            "significant after the Benjamini–Hochberg adjustment over all these comparisons, at a false "
            f"discovery rate of {_percent(float(_beta(design.confidence)))}, and when the reviewer's rate is also at "
            f"least {round(100 * FLAG_MIN_DIFFERENCE)} percentage points from the typical other reviewer's (the median "
            "of the other reviewers' rates on the item, so that one outlying reviewer does not make everyone else "
            "look unusual). A flag is a prompt for calibration, "
            "not a finding. Reviewer figures are over the files each reviewer reviewed first, as counted above, "
            "unweighted."
        )
    else:
        sentences.append(
            "Reviewer figures are unweighted; with a single reviewer there is no one to compare Not applicable "
            "rates with, so nothing is flagged."
        )
    return tuple(sentences)
