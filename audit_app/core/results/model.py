"""The records of the audit's results: what goes in (finished files, the design, rated pairs) and
what comes out (every figure with the counts it came from and its method).

Frozen data only; :mod:`audit_app.core.results.estimates` and
:mod:`audit_app.core.results.agreement` compute them, the services gather the inputs, the CLI,
the GUI and the reports show them without recomputing anything. Definitions: statistics.md §1.1,
§3, §3.1, §3.2 and §4.

A figure that cannot be computed (no applicable file, an undefined statistic) is ``None``, never NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# What a checklist answer means for statistics (ScaleAnswer.meaning).
MET = "met"
PARTLY_MET = "partly_met"
NOT_MET = "not_met"
NOT_RECORDED = "not_recorded"
NOT_APPLICABLE = "not_applicable"
MEANINGS = (MET, PARTLY_MET, NOT_MET, NOT_RECORDED, NOT_APPLICABLE)

EQUAL_PROBABILITY = "equal_probability"
DISPROPORTIONATE = "disproportionate"

# Conclusions against the tolerable rate (ItemResult.assurance.conclusion)
ASSURED = "assured"
NOT_ASSURED = "not assured"
TOO_FEW = "not assured: too few applicable files to conclude"
NO_TOLERABLE_RATE = "no tolerable rate set"
NO_APPLICABLE_FILES = "no applicable files"


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAnswer:
    """One finished file's answer to one item that applies to it (the moderated answer where agreed).

    :param meaning: one of :data:`MEANINGS`.
    :param note: the evidence note (for an N/A answer, the reason given).
    """

    code: str
    meaning: str
    note: str = ""
    notable: bool = False  # the reviewer marked notable practice on the item


@dataclass(frozen=True)
class FileInput:
    """One file whose review is finished (complete or signed off), as the results see it.

    :param position: the file's 1-based position in the sample (by stratum, then rank): reports
        name files by position when references may not be shown.
    :param answers: item id → answer, for the items that apply to the file and are answered.
    :param excluded_by_rule: items that the checklist's own rules (``applies_when``) exclude for
        this file; they are neither applicable nor answered N/A.
    :param grade: the grade band id, ``"ungradable"``, or ``None`` when not graded.
    :param provisional: a second review exists and moderation is not finished: the primary
        review's answers are used for now.
    """

    ref: str
    position: int
    stratum: str
    reviewer: str
    answers: Mapping[str, ItemAnswer]
    excluded_by_rule: frozenset[str] = frozenset()
    grade: str | None = None
    grade_label: str = ""
    critical_failure: bool = False
    mmo: bool = False
    notable_practice: bool = False
    ungradable: bool = False
    subscores: Mapping[str, float | None] = field(default_factory=dict)
    provisional: bool = False
    training: bool = False
    caps: tuple[str, ...] = ()  # the grade caps applied to the file, in words


@dataclass(frozen=True)
class Design:
    """What the sample design says about how to estimate.

    :param strata_sizes: ``N_h``, frame units per stratum key (one key, ``"all"``, when unstratified).
    :param strata_sample: ``n_h``, files drawn per stratum.
    :param tolerable: the tolerable failure rate ``t`` of the plan, or ``None`` (a margin-of-error or
        fixed-size plan): then no item is assured or not assured.
    :param disproportionate: strata were sampled at different rates (equal allocation, or a raised
        minimum): estimates are weighted as statistics.md §3.1.
    """

    confidence: float
    tolerable: float | None
    disproportionate: bool
    strata_sizes: Mapping[str, int]
    strata_sample: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RatedPair:
    """One item of one double-reviewed file, answered in both reviews (statistics.md §4)."""

    ref: str
    position: int
    item: str
    first: str  # the primary review's answer code
    second: str  # the second review's answer code
    moderated: str | None = None  # the agreed code, where moderation recorded one


# -- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proportion:
    """``successes`` of ``n`` with the Wilson interval at the audit's confidence (statistics.md §3).

    ``estimate``, ``ci_low`` and ``ci_high`` are ``None`` when ``n`` is 0.
    """

    successes: int
    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class Weighted:
    """The weighted (ratio) estimate of statistics.md §3.1 (or §3.2 for a file property).

    :param n_eff: the effective sample size the interval and the upper limit use.
    :param upper_deviation_limit: of the failure rate ``1 − R``, Clopper–Pearson with real-valued
        arguments (``None`` for file shares, where no tolerable rate applies).
    :param empty_strata: strata with no finished review (``m_h = 0``): they contribute nothing.
    :param single_strata: strata with one finished review (``m_h = 1``): no variance term.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n_eff: float | None
    variance: float | None
    upper_deviation_limit: float | None
    empty_strata: tuple[str, ...] = ()
    single_strata: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assurance:
    """The failure rate (``1 −`` compliance) against the tolerable rate (statistics.md §1.1).

    :param upper_deviation_limit: the one-sided upper limit used (the weighted one for a
        disproportionate design), ``None`` with no applicable file.
    :param assured: ``True`` when the limit is at most the tolerable rate; ``None`` with no
        tolerable rate or no applicable file.
    :param conclusion: one of :data:`ASSURED`, :data:`NOT_ASSURED`, :data:`TOO_FEW`,
        :data:`NO_TOLERABLE_RATE`, :data:`NO_APPLICABLE_FILES`.
    :param files_needed: the fewest applicable files that could give assurance with no failure
        (``ceil(ln β / ln(1 − t))``), ``None`` without a tolerable rate.
    """

    upper_deviation_limit: float | None
    assured: bool | None
    conclusion: str
    files_needed: int | None = None


@dataclass(frozen=True)
class ItemResult:
    """One checklist item over the finished files.

    Counts are unweighted. ``applicable`` = Met + Partly + Not met + Not recorded (N/A answers
    excluded); ``na`` counts N/A answers, ``excluded_by_rule`` the files the checklist's rules
    exclude. ``na_reasons`` are the notes given with N/A answers, most frequent first.
    ``compliance`` is Met / applicable; ``met_or_partly`` (Met + Partly) / applicable;
    ``not_recorded_rate`` Not recorded / applicable; ``na_rate`` N/A / (applicable + N/A).
    ``unweighted_upper_deviation_limit`` is §1.1 on the unweighted counts; ``assurance`` uses the
    weighted limit when ``weighted`` is given, else the unweighted one.
    """

    item: str
    section: str
    subscore: str
    question: str
    critical: bool
    applicable: int
    met: int
    partly: int
    not_met: int
    not_recorded: int
    na: int
    excluded_by_rule: int
    na_reasons: tuple[tuple[str, int], ...]
    compliance: Proportion
    met_or_partly: Proportion
    not_recorded_rate: Proportion
    na_rate: Proportion
    unweighted_upper_deviation_limit: float | None
    assurance: Assurance
    weighted: Weighted | None = None  # None for an equal-probability design


@dataclass(frozen=True)
class GroupResult:
    """A section (or a sub-score's items) over the finished files: answers pooled across its items.

    Pooled answers of one file are not independent, so the pooled compliance is descriptive and
    has no interval; ``weighted_compliance`` is ``Σ w·y / Σ w·a`` over the pooled answers.
    ``not_assured`` lists its items that are not assured, weakest (highest upper limit) first.
    """

    id: str
    label: str
    items: tuple[str, ...]
    applicable: int
    met: int
    compliance: float | None
    weighted_compliance: float | None
    not_assured: tuple[str, ...]


@dataclass(frozen=True)
class MeanScore:
    """The mean of the files' sub-scores (0–100): unweighted with a t interval, or, for a
    disproportionate design, the ratio estimate of §3.1 with ``y_i`` the score and a normal interval."""

    id: str
    label: str
    files: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    weighted: bool


@dataclass(frozen=True)
class StratumResult:
    """One stratum, unweighted (within a stratum the sample is a simple random sample)."""

    stratum: str
    population: int  # N_h
    drawn: int  # n_h
    finished: int  # m_h
    grades: Mapping[str, int]  # grade id → files
    items: Mapping[str, Proportion]  # item id → compliance (Met / applicable)


@dataclass(frozen=True)
class ReviewerItem:
    applicable: int
    met: int
    na: int
    compliance: Proportion
    na_rate: Proportion  # N/A / (applicable + N/A)
    others_na_rate: float | None  # the other reviewers' pooled N/A rate on the item
    na_flag: bool  # this reviewer's N/A rate is far from the others' (see the method)
    na_p_value: float | None = None
    typical_na_rate: float | None = None  # the median of the other reviewers' N/A rates on the item (None: not tested)  # the flag test's p-value; None where the test was not run (too few files)


@dataclass(frozen=True)
class ReviewerResult:
    """One reviewer's primary reviews, for calibration (unweighted)."""

    reviewer: str
    files: int
    items: Mapping[str, ReviewerItem]

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(item for item, figures in self.items.items() if figures.na_flag)


@dataclass(frozen=True)
class Share:
    """A share of files with a property (statistics.md §3.2): count, Wilson interval, and the
    weighted estimate for a disproportionate design."""

    id: str
    label: str
    proportion: Proportion
    weighted: Weighted | None = None


@dataclass(frozen=True)
class FileShares:
    grades: tuple[Share, ...]  # one per grade band (best first), then "ungradable" and "not graded" if any
    critical_failure: Share
    mmo: Share
    ungradable: Share
    notable_practice: Share


@dataclass(frozen=True)
class AgreementFigures:
    """Agreement over ``n`` rated pairs (statistics.md §4). Undefined statistics are ``None``."""

    n: int
    percent_agreement: float | None
    cohen_kappa: float | None
    cohen_kappa_se: float | None
    cohen_kappa_ci: tuple[float, float] | None
    gwet_ac1: float | None
    gwet_ac1_se: float | None
    gwet_ac1_ci: tuple[float, float] | None
    krippendorff_alpha: float | None
    categories: tuple[str, ...] = ()  # the answer codes either review gave


@dataclass(frozen=True)
class Disagreement:
    ref: str
    position: int
    item: str
    first: str
    second: str
    moderated: str | None


@dataclass(frozen=True)
class Agreement:
    """Agreement between primary and second reviews on the double-reviewed files."""

    files: int
    confidence: float
    items: Mapping[str, AgreementFigures]  # only items with at least one rated pair, checklist order
    pooled: AgreementFigures
    disagreements: tuple[Disagreement, ...]
    method: tuple[str, ...]


@dataclass(frozen=True)
class AuditResults:
    """Every result of the audit, with the method statement that says how each was computed.

    :param files_reviewed: finished files counted (training examples included, and counted in
        ``training``).
    :param provisional: references of counted files still awaiting moderation.
    :param design: :data:`EQUAL_PROBABILITY` or :data:`DISPROPORTIONATE`.
    :param method: sentences for a method statement, in order (what was computed and how,
        which strata had no or one finished review, what was left out).
    """

    files_reviewed: int
    provisional: tuple[str, ...]
    training: int
    design: str
    confidence: float
    tolerable: float | None
    items: Mapping[str, ItemResult]  # checklist order
    sections: tuple[GroupResult, ...]
    subscores: tuple[MeanScore, ...]
    strata: tuple[StratumResult, ...]
    reviewers: tuple[ReviewerResult, ...]
    files: FileShares
    method: tuple[str, ...]
    agreement: Agreement | None = None

    @property
    def weighted(self) -> bool:
        return self.design == DISPROPORTIONATE

    def weakest(self) -> list[ItemResult]:
        """Items that are not assured (or, with no tolerable rate, every item with applicable files),
        weakest first: the highest upper limit of the failure rate, then the lowest compliance."""
        if self.tolerable is not None:
            chosen = [item for item in self.items.values() if item.assurance.conclusion == NOT_ASSURED]
        else:
            chosen = [item for item in self.items.values() if item.applicable]

        def limit(item: ItemResult) -> float:
            return item.assurance.upper_deviation_limit if item.assurance.upper_deviation_limit is not None else -1.0

        return sorted(chosen, key=lambda item: (-limit(item), item.compliance.estimate or 0.0))
