"""Sample sizes and intervals: how many files to review, and how sure the results are.

Pure functions, no I/O; every definition is the one in ``shared/domain/statistics.md`` and is
named in the report's method appendix, so an outsider can check it with a calculator or any
statistics package. Distribution functions come from ``scipy.stats``; nothing is hand-rolled.

- :func:`attribute_sample_size`: attribute (acceptance) sampling, AICPA *Audit Sampling*
  Appendix A: the smallest ``n`` with ``BinomCDF(k; n, t) ≤ β``, ``k = ceil(n·e)``; with a
  population size, the hypergeometric version (R ``PracTools::nAuditAttr`` convention).
- :func:`margin_sample_size`: Cochran's formula with the finite population correction.
- :func:`upper_deviation_limit`: one-sided Clopper–Pearson upper limit, to evaluate a sample;
  :func:`upper_deviation_limits` the same for many (real-valued) arguments in one scipy call.
- :func:`wilson_interval`: Wilson score interval without continuity correction;
  :func:`wilson_interval_real` the same formula for a real-valued estimate and sample size
  (the weighted estimate of §3.1 with its effective sample size).
- :func:`fisher_exact_two_sided` and :func:`benjamini_hochberg`: the test and the multiple-testing
  step behind the results' reviewer N/A flags.

Rates arrive as floats but stand for the decimals the auditor typed (5 % is ``0.05``). Products
such as ``n·e`` and ``t·N`` feed ``ceil`` and ``floor``, where binary rounding error changes the
answer (``100 × 0.07`` is ``7.000000000000001``, so its ceiling would be 8). Rates are therefore
read as exact decimals, by the shortest text that round-trips the float (``repr``), and those
products are computed with :class:`fractions.Fraction`.

Bad input raises ``ValueError`` with one clear sentence; the service layer turns it into a
message for the user.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def _stats() -> Any:
    """scipy.stats, imported on first use: with numpy it costs ~100 MB and a fraction of a second,
    which opening or importing an audit never needs."""
    from scipy import stats

    return stats


def _array(values: Any) -> np.ndarray:
    import numpy

    return numpy.array(values)

# Float slack allowed below an integer before rounding a computed sample size up: Cochran's
# formula for 95 %, ±5 %, N = 1,000 could come out as 278.0000000001 from binary rounding and
# must not then become 279. Relative, because the rounding error of a float grows with its size.
CEILING_TOLERANCE = 1e-9

# Attribute sample sizes grow without bound as the expected rate approaches the tolerable rate.
# Past this size (the largest population the app is built for) the request is not a sampling
# plan any more, and the search stops.
MAX_SAMPLE_SIZE = 10_000_000

# How many acceptance numbers are tried per vectorised scipy call in the first round; the batch
# doubles each round, so even a sample of millions takes a handful of calls.
_FIRST_BATCH = 64


@dataclass(frozen=True)
class SampleSize:
    """A sample size and how it was reached.

    :param n: number of files to review.
    :param acceptance_number: for attribute sampling, the largest number of failures in the
        sample that still supports "the failure rate is below the tolerable rate" (``k``);
        ``None`` for margin-of-error or fixed sizes.
    :param method: plain-language name of the method, for the report and the CLI.
    """

    n: int
    acceptance_number: int | None
    method: str


def attribute_sample_size(
    confidence: float, tolerable: float, expected: float = 0.0, population: int | None = None
) -> SampleSize:
    """Attribute (acceptance) sample size: enough files to be assured the failure rate is below ``tolerable``.

    Binomial (no population given): the smallest ``n`` with ``BinomCDF(k; n, t) ≤ β`` where
    ``β = 1 − confidence`` and ``k = ceil(n·e)``. This reproduces the AICPA tables; with
    ``expected = 0`` it equals ``ceil(ln β / ln(1 − t))`` (95 %, 5 % ⇒ 59).

    Hypergeometric (``population`` given): the smallest ``n ≤ N`` with
    ``HypergeomCDF(k; N, D, n) ≤ β``, ``D = floor(t·N)``. When no sample smaller than the
    population gives the assurance, the answer is the whole population and ``method`` says so.

    :param confidence: ``1 − β``, e.g. ``0.95``.
    :param tolerable: tolerable failure rate ``t``, e.g. ``0.05``.
    :param expected: expected failure rate ``e``, ``0 ≤ e < t``.
    :param population: population size ``N``, or ``None`` for a large population.
    :raises ValueError: if an input is out of range, or the plan would exceed
        :data:`MAX_SAMPLE_SIZE` files.
    """
    _check_open_unit("confidence", confidence)
    _check_open_unit("tolerable rate", tolerable)
    if not 0 <= expected < tolerable:
        raise ValueError(
            f"The expected rate must be at least 0 and below the tolerable rate ({tolerable}); got {expected}."
        )
    if population is not None:
        _check_population(population)
    beta = _beta(confidence)
    t, e = exact_decimal(tolerable), exact_decimal(expected)
    if population is None:
        return _binomial_size(beta, t, e)
    return _hypergeometric_size(beta, t, e, population)


def _binomial_size(beta: float, t: Fraction, e: Fraction) -> SampleSize:
    t_float = float(t)

    def cdf(k: np.ndarray, n: np.ndarray) -> np.ndarray:
        return _stats().binom.cdf(k, n, t_float)

    too_large = ValueError(
        f"The expected rate is too close to the tolerable rate: the sample would exceed {MAX_SAMPLE_SIZE:,} files."
    )
    # Refuse hopeless requests before searching: the normal approximation to the answer,
    # (z_β·sqrt(t(1 − t))/(t − e))², is good to a few per cent at these sizes; the factor 2 leaves
    # every borderline case to the exact search.
    if e > 0 and (_stats().norm.ppf(beta) ** 2 * t_float * (1 - t_float) / float(t - e) ** 2) > 2 * MAX_SAMPLE_SIZE:
        raise too_large
    # No k can beat k = 0, and BinomCDF(0; n, t) = (1 − t)^n, so the e = 0 closed form is both
    # the answer for e = 0 and a lower bound for every e: the search starts there.
    floor_n = max(1, math.ceil(math.log(beta) / math.log1p(-t_float)) - 1)
    n = _smallest_n(cdf, beta, e, start=floor_n, limit=MAX_SAMPLE_SIZE)
    if n is None:
        raise too_large
    return SampleSize(n, _acceptance(n, e), "attribute (binomial)")


def _hypergeometric_size(beta: float, t: Fraction, e: Fraction, population: int) -> SampleSize:
    failing = math.floor(t * population)  # D = floor(t·N), exactly

    def cdf(k: np.ndarray, n: np.ndarray) -> np.ndarray:
        return _stats().hypergeom.cdf(k, population, failing, n)

    method = f"attribute (hypergeometric, N={population})"
    n = _smallest_n(cdf, beta, e, start=1, limit=population)
    if n is None:
        n = population
        method += ": no sample smaller than the population gives this assurance, so every file is reviewed"
    return SampleSize(n, _acceptance(n, e), method)


def _acceptance(n: int, e: Fraction) -> int:
    return math.ceil(n * e)


def _smallest_n(
    cdf: Callable[[np.ndarray, np.ndarray], np.ndarray], beta: float, e: Fraction, start: int, limit: int
) -> int | None:
    """The smallest ``n`` in ``[start, limit]`` with ``cdf(ceil(n·e), n) ≤ β``, or ``None``.

    ``cdf(k, n)`` must be non-increasing in ``n`` for fixed ``k`` (true for the binomial and the
    hypergeometric: more draws, stochastically more failures). ``n ↦ cdf(ceil(n·e), n)`` itself
    is a sawtooth, so it cannot be bisected directly. But the ``n`` sharing one acceptance
    number ``k`` form a run ``(k−1)/e < n ≤ k/e``; within a run the CDF falls, so a run holds an
    answer exactly when its last ``n`` does. The search finds the first such run (one vectorised
    call checks many runs at once), then bisects inside it.
    """
    if e == 0:
        return _bisect(lambda n: bool(cdf(_array(0), _array(n)) <= beta), start, limit)
    k = max(1, math.ceil(start * e))
    num, den = e.numerator, e.denominator  # floor(j / e) == j·den // num, in plain integers
    batch = _FIRST_BATCH
    while True:
        ks = list(range(k, k + batch))
        lows = [max(start, (j - 1) * den // num + 1) for j in ks]
        highs = [min(limit, j * den // num) for j in ks]
        usable = [i for i, (lo, hi) in enumerate(zip(lows, highs)) if lo <= hi]
        if usable:
            passes = cdf(_array([ks[i] for i in usable]), _array([highs[i] for i in usable])) <= beta
            for i, ok in zip(usable, passes):
                if ok:
                    kk = ks[i]
                    return _bisect(lambda n: bool(cdf(_array(kk), _array(n)) <= beta), lows[i], highs[i])
        if lows[-1] > limit or highs[-1] >= limit:
            return None
        k += batch
        batch *= 2


def _bisect(passes: Callable[[int], bool], lo: int, hi: int) -> int | None:
    """The smallest ``n`` in ``[lo, hi]`` where ``passes`` holds, given it is monotone (False…True)."""
    if lo > hi or not passes(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if passes(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def margin_sample_size(confidence: float, margin: float, p: float = 0.5, population: int | None = None) -> SampleSize:
    """Sample size to estimate a proportion to within ``± margin`` (Cochran, finite population correction).

    ``n₀ = z²·p(1 − p)/e²`` with ``z = Φ⁻¹(1 − α/2)`` computed (not the rounded 1.96), then
    ``n = n₀ / (1 + (n₀ − 1)/N)``, rounded up and never more than ``N``. Values within
    :data:`CEILING_TOLERANCE` (relative) above an integer are taken as that integer, so float
    noise does not add a file. 95 %, ±5 %, no population ⇒ 385.

    :param confidence: ``1 − α``, e.g. ``0.95``.
    :param margin: half-width ``e`` of the interval, as a proportion (``0.05`` for ±5 points).
    :param p: anticipated proportion; 0.5 is the worst case.
    :param population: population size ``N``, or ``None`` for no correction.
    :raises ValueError: if an input is out of range.
    """
    _check_open_unit("confidence", confidence)
    _check_open_unit("margin of error", margin)
    _check_open_unit("anticipated proportion p", p)
    if population is not None:
        _check_population(population)
    z = _z(confidence)
    n0 = z * z * p * (1 - p) / (margin * margin)
    if population is None:
        return SampleSize(_ceiling(n0), None, "margin of error (Cochran)")
    n = n0 / (1 + (n0 - 1) / population)
    method = f"margin of error (Cochran, finite population correction, N={population})"
    return SampleSize(min(population, _ceiling(n)), None, method)


def _ceiling(value: float) -> int:
    return max(1, math.ceil(value - CEILING_TOLERANCE * max(1.0, abs(value))))


def upper_deviation_limit(failures: int, n: int, confidence: float) -> float:
    """One-sided Clopper–Pearson upper limit of the failure rate: ``BetaInv(1 − β; x + 1, n − x)``.

    The evaluation after review: the population failure rate is "assured below ``t``" when this
    limit is at most ``t``. It is 1 when every sampled file failed.

    :param failures: failures found, ``x``.
    :param n: files reviewed.
    :param confidence: ``1 − β``.
    :raises ValueError: if ``n < 1``, ``x`` is outside ``0..n`` or the confidence is out of range.
    """
    _check_count("failures", failures, n)
    _check_open_unit("confidence", confidence)
    return upper_deviation_limits([failures], [n], confidence)[0]


def upper_deviation_limits(failures: Sequence[float], n: Sequence[float], confidence: float) -> list[float]:
    """:func:`upper_deviation_limit` for many samples at once, with real-valued arguments allowed.

    ``UL = BetaInv(1 − β; x + 1, n − x)`` for each pair, in one vectorised scipy call; 1 where
    ``x = n``. Real values serve the weighted estimate of statistics.md §3.1, where
    ``x = (1 − R)·n_eff`` and ``n = n_eff``.

    :raises ValueError: if the lengths differ, an ``n`` is not positive, an ``x`` is outside
        ``[0, n]`` or the confidence is out of range.
    """
    _check_open_unit("confidence", confidence)
    if len(failures) != len(n):
        raise ValueError(f"Each sample needs a number of failures and a size; got {len(failures)} and {len(n)}.")
    for x, size in zip(failures, n):
        if not (math.isfinite(size) and size > 0):
            raise ValueError(f"The number of files must be positive; got {size!r}.")
        if not 0 <= x <= size:
            raise ValueError(f"The number of failures must be from 0 to {size}; got {x!r}.")
    # x = n would give BetaInv(·; n + 1, 0), which is undefined: every sampled file failed, UL = 1.
    open_ = [i for i, (x, size) in enumerate(zip(failures, n)) if x < size]
    limits = [1.0] * len(n)
    if open_:
        a = _array([failures[i] + 1 for i in open_])
        b = _array([n[i] - failures[i] for i in open_])
        for i, value in zip(open_, _stats().beta.ppf(confidence, a, b).tolist()):
            limits[i] = float(value)
    return limits


def wilson_interval(successes: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval for a proportion, without continuity correction.

    ``centre = (p̂ + z²/2n)/(1 + z²/n)``, ``half = z/(1 + z²/n)·sqrt(p̂(1 − p̂)/n + z²/4n²)``
    with ``z = Φ⁻¹(1 − α/2)``. The limits always lie in ``[0, 1]``; at ``x = 0`` and ``x = n``
    they are exactly 0 and 1.

    :param successes: ``x``, e.g. files where the item was met.
    :param n: applicable files.
    :param confidence: ``1 − α``, e.g. ``0.95``.
    :raises ValueError: if ``n < 1`` (no interval exists), ``x`` is outside ``0..n`` or the
        confidence is out of range.
    """
    _check_count("successes", successes, n)
    _check_open_unit("confidence", confidence)
    # successes / n is exactly 0.0 or 1.0 only at x = 0 or x = n (n is far below 2**53).
    return _wilson(successes / n, n, _z(confidence))


def wilson_interval_real(estimate: float, n: float, confidence: float) -> tuple[float, float]:
    """The Wilson interval of :func:`wilson_interval` for a real-valued estimate and sample size.

    For the weighted estimate of statistics.md §3.1: ``p̂ = R`` and ``n = n_eff``, not rounded.

    :param estimate: ``p̂``, from 0 to 1.
    :param n: the (effective) sample size, positive.
    :param confidence: ``1 − α``.
    :raises ValueError: if an input is out of range.
    """
    if not (isinstance(n, (int, float)) and math.isfinite(n) and n > 0):
        raise ValueError(f"The effective number of files must be a positive number; got {n!r}.")
    if not (isinstance(estimate, (int, float)) and 0 <= estimate <= 1):
        raise ValueError(f"The estimate must be a proportion from 0 to 1; got {estimate!r}.")
    _check_open_unit("confidence", confidence)
    return _wilson(float(estimate), float(n), _z(confidence))


def _wilson(p_hat: float, n: float, z: float) -> tuple[float, float]:
    """The Wilson formula of statistics.md §3, shared by the integer and the real-valued interval."""
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p_hat + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p_hat * (1 - p_hat) / n + z2 / (4 * n * n))
    # At p̂ = 0 and p̂ = 1 a limit is exactly 0 or 1; float rounding would leave 1e-17 or 0.9999999999999999.
    low = 0.0 if p_hat == 0 else max(0.0, centre - half)
    high = 1.0 if p_hat == 1 else min(1.0, centre + half)
    return low, high


def fisher_exact_two_sided(tables: Sequence[tuple[int, int, int, int]]) -> list[float]:
    """Two-sided p-values of Fisher's exact test for many 2×2 tables ``[[a, b], [c, d]]`` at once.

    With the margins fixed, ``a`` is hypergeometric: ``a + b + c + d`` units, ``a + c`` of them
    "successes", ``a + b`` drawn. The two-sided p-value is the probability of every table no more
    likely than the one observed (``pmf(k) ≤ pmf(a)·(1 + 10⁻⁷)``, the tolerance R's
    ``fisher.test`` uses against float noise), as :func:`scipy.stats.fisher_exact` defines it.
    The probabilities come from ``scipy.stats.hypergeom`` in one vectorised call: thousands of
    tables (reviewers × items) cost milliseconds instead of a scipy call each.

    :raises ValueError: if a cell is not a whole number of at least 0.
    """
    import numpy

    if not tables:
        return []
    for table in tables:
        if len(table) != 4 or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in table):
            raise ValueError(f"A 2×2 table needs four whole numbers of at least 0; got {table!r}.")
    cells = numpy.array(tables, dtype=numpy.int64)
    a, b, c, d = cells.T
    total, successes, drawn = a + b + c + d, a + c, a + b
    low = numpy.maximum(0, drawn - (total - successes))
    high = numpy.minimum(drawn, successes)
    # Every possible value of the top-left cell of every table, one flat array (no padding):
    # table t owns positions starts[t] .. starts[t] + widths[t] − 1.
    widths = high - low + 1
    starts = numpy.concatenate(([0], numpy.cumsum(widths)[:-1]))
    owner = numpy.repeat(numpy.arange(len(tables)), widths)
    k = low[owner] + numpy.arange(int(widths.sum())) - starts[owner]
    hypergeom = _stats().hypergeom
    log_pmf = hypergeom.logpmf(k, total[owner], successes[owner], drawn[owner])
    log_observed = hypergeom.logpmf(a, total, successes, drawn)
    counted = log_pmf <= log_observed[owner] + math.log1p(1e-7)
    p = numpy.add.reduceat(numpy.where(counted, numpy.exp(log_pmf), 0.0), starts)
    # One possible table (a margin of 0, or the empty table): nothing is more extreme, p = 1.
    p = numpy.where(widths == 1, 1.0, p)
    return [min(1.0, float(value)) for value in p]


def benjamini_hochberg(p_values: Sequence[float], rate: float) -> list[bool]:
    """Which of many tests to call significant, keeping the false discovery rate at ``rate``.

    Benjamini and Hochberg (1995): with the ``m`` p-values in ascending order ``p₍₁₎ ≤ … ≤ p₍ₘ₎``,
    find the largest ``k`` with ``p₍ₖ₎ ≤ k·rate/m`` and reject the ``k`` smallest. Among the tests
    rejected, the expected share of true "no difference" cases is at most ``rate``.

    :raises ValueError: if the rate is not strictly between 0 and 1 or a p-value is outside [0, 1].
    """
    _check_open_unit("false discovery rate", rate)
    if any(not 0 <= p <= 1 for p in p_values):
        raise ValueError("Every p-value must be from 0 to 1.")
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    cutoff = 0
    for rank, i in enumerate(order, start=1):
        if p_values[i] <= rank * rate / m:
            cutoff = rank
    rejected = [False] * m
    for i in order[:cutoff]:
        rejected[i] = True
    return rejected


def exact_decimal(value: float) -> Fraction:
    """The exact decimal a float stands for, e.g. ``0.07`` → ``7/100`` (not 0.0700000000000000066…)."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _beta(confidence: float) -> float:
    # 1 − 0.95 in floats is 0.050000000000000044; computed exactly it is the nearest float to 0.05.
    return float(1 - exact_decimal(confidence))


@functools.lru_cache(maxsize=64)  # results ask for thousands of intervals at one confidence
def _z(confidence: float) -> float:
    alpha = 1 - exact_decimal(confidence)
    return float(_stats().norm.ppf(float(1 - alpha / 2)))


def _check_open_unit(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"The {name} must be a number strictly between 0 and 1; got {value!r}.")


def _check_population(population: int) -> None:
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError(f"The population size must be a whole number of at least 1; got {population!r}.")


def _check_count(name: str, count: int, n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"The number of files must be a whole number of at least 1; got {n!r}.")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= n:
        raise ValueError(f"The number of {name} must be a whole number from 0 to {n}; got {count!r}.")
