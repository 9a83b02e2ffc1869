"""Drawing the sample: stratified allocation, hash-rank selection, reserves and the method statement.

Pure functions, no I/O; the definitions are those of ``shared/domain/statistics.md`` §1.3 and §2.

Selection must be reproducible by an outsider, years later, with any SHA-256 tool, so it uses no
random number generator (``random.sample`` is not stable across Python versions). Each unit's
key is the lowercase hex SHA-256 of ``UTF-8(seed + "\\x1f" + ref)``; within each stratum units
are ranked by key (ties, which never happen in practice, by ref); the first ``n_h`` are the
sample and the next ones the reserve list, in order. Nothing depends on row order or machine.

Allocation is done in exact integer and ``Fraction`` arithmetic, so a tie between remainders is
a real tie, decided by stratum key order, never by float noise.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import chain, islice, repeat
from operator import le
from typing import TYPE_CHECKING, Any, Literal, overload

from audit_app.core.population.fields import group_label

if TYPE_CHECKING:  # annotations only: drawing a sample does not need scipy loaded
    from audit_app.core.statistics import SampleSize

ALL = "all"  # the stratum key when the design has no strata fields
BLANK = "(blank)"  # how an empty strata field value is shown in a stratum key
STRATUM_JOINER = " / "
UNIT_SEPARATOR = "\x1f"  # between seed and ref: a control character that never occurs in real refs or seeds
METHODS = ("proportional", "equal")
_FRAME_SLICE = 65536  # refs hashed at a time by frame_sha256
# Sorts after every SHA-256 digest (it is longer, and no byte is greater): "accept anything"
# until a stratum's candidate list first fills up.
_ABOVE_ANY_DIGEST = b"\xff" * 33


@dataclass(frozen=True)
class Allocation:
    """How many files to draw from each stratum.

    :param sizes: stratum key → ``n_h``, in stratum key order.
    :param populations: stratum key → ``N_h`` (strata with no units are absent).
    :param method: ``"proportional"`` or ``"equal"``.
    :param min_per_stratum: the minimum asked for, or ``None``.
    :param disproportionate: inclusion probabilities differ between strata by design (a
        minimum raised a stratum, or equal allocation over strata of unequal size), so
        force-wide figures must be weighted by ``N_h / n_h``.
    """

    sizes: dict[str, int]
    populations: dict[str, int]
    method: str
    min_per_stratum: int | None
    disproportionate: bool

    @property
    def n(self) -> int:
        """Total sample size."""
        return sum(self.sizes.values())

    @property
    def population(self) -> int:
        """Total number of units in the frame."""
        return sum(self.populations.values())

    def inclusion_probability(self, stratum: str) -> float:
        """The chance ``n_h / N_h`` that a unit of ``stratum`` is in the sample (stored with each sampled file)."""
        return self.sizes[stratum] / self.populations[stratum]


def allocate(
    populations: Mapping[str, int], n: int, method: str = "proportional", min_per_stratum: int | None = None
) -> Allocation:
    """Share a total sample of ``n`` between strata.

    Proportional: quotas ``n·N_h/N`` by the largest-remainder (Hamilton) method — floors first,
    leftover units to the largest fractional parts, ties to the stratum that sorts first.

    Equal: ``n_h = min(N_h, n/H)`` by the same remainder rule. A stratum smaller than its share
    is taken in full and the shortfall is shared equally among the others (repeatedly, until no
    share exceeds its stratum), so the total is still ``n``.

    Minimum per stratum ``k``: every stratum below ``min(k, N_h)`` is raised to it; the units
    needed are taken one at a time from the stratum with the largest current allocation (ties
    by key order) that stays at or above its own minimum. The design is then disproportionate.

    :param populations: stratum key → ``N_h``; strata with ``N_h = 0`` are dropped.
    :param n: total sample size, ``1 ≤ n ≤ N``.
    :param method: ``"proportional"`` or ``"equal"``.
    :param min_per_stratum: optional minimum files per stratum.
    :raises ValueError: for an unknown method, a negative or non-integer size, ``n`` outside
        ``1..N``, or a minimum that ``n`` cannot provide.
    """
    present = _present_strata(populations)
    total = sum(present.values())
    if method not in METHODS:
        raise ValueError(f"The allocation must be 'proportional' or 'equal'; got {method!r}.")
    if not _is_whole(n) or n < 1:
        raise ValueError(f"The sample size must be a whole number of at least 1; got {n!r}.")
    if n > total:
        raise ValueError(f"A sample of {n:,} files cannot be drawn from {total:,} files in the frame.")
    if min_per_stratum is not None and (not _is_whole(min_per_stratum) or min_per_stratum < 0):
        raise ValueError(f"The minimum per stratum must be a whole number of at least 0; got {min_per_stratum!r}.")
    if method == "proportional":
        sizes = largest_remainder({h: Fraction(n * size, total) for h, size in present.items()})
    else:
        sizes = _equal_sizes(present, n)
    raised = False
    if min_per_stratum:
        sizes, raised = _apply_minimum(sizes, present, min_per_stratum, n)
    unequal_equal = method == "equal" and len(set(present.values())) > 1
    return Allocation(sizes, present, method, min_per_stratum, raised or unequal_equal)


def _present_strata(populations: Mapping[str, int]) -> dict[str, int]:
    for key, size in populations.items():
        if not _is_whole(size) or size < 0:
            raise ValueError(f"The size of stratum '{key}' must be a whole number of at least 0; got {size!r}.")
    present = {key: populations[key] for key in sorted(populations) if populations[key] > 0}
    if not present:
        raise ValueError("The sampling frame is empty: there are no in-scope files to sample.")
    return present


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def largest_remainder(quotas: Mapping[str, Fraction]) -> dict[str, int]:
    """Round quotas that sum to a whole number: floors, then one more to the largest remainders.

    Ties between equal remainders go to the key that sorts first. The result is in key order.

    :param quotas: key → exact quota; their sum must be a whole number.
    """
    keys = sorted(quotas)
    floors = {key: quotas[key].numerator // quotas[key].denominator for key in keys}
    leftover = sum(quotas.values()) - sum(floors.values())
    if leftover.denominator != 1:
        raise ValueError("The quotas must add up to a whole number.")
    # sorted() is stable and ``keys`` is in key order, so equal remainders keep key order.
    by_remainder = sorted(keys, key=lambda key: quotas[key] - floors[key], reverse=True)
    for key in by_remainder[: int(leftover)]:
        floors[key] += 1
    return floors


def _equal_sizes(populations: dict[str, int], n: int) -> dict[str, int]:
    taken_in_full: dict[str, int] = {}
    open_strata = dict(populations)
    remaining = n
    # Water-filling: a stratum no bigger than the equal share is taken whole, which raises the
    # share of the others; repeat until every remaining stratum can hold its share.
    while open_strata:
        share = Fraction(remaining, len(open_strata))
        small = {h: size for h, size in open_strata.items() if size <= share}
        if not small:
            break
        taken_in_full.update(small)
        remaining -= sum(small.values())
        open_strata = {h: size for h, size in open_strata.items() if h not in small}
    shared = largest_remainder({h: Fraction(remaining, len(open_strata)) for h in open_strata}) if open_strata else {}
    return {h: taken_in_full.get(h, shared.get(h, 0)) for h in populations}


def _apply_minimum(
    sizes: dict[str, int], populations: dict[str, int], minimum: int, n: int
) -> tuple[dict[str, int], bool]:
    floors = {h: min(minimum, populations[h]) for h in sizes}
    needed = sum(floors.values())
    if needed > n:
        raise ValueError(
            f"A sample of {n:,} files cannot give each of the {len(sizes)} strata at least {minimum:,} files "
            f"({needed:,} are needed)."
        )
    result = dict(sizes)
    excess = 0
    for h in result:
        if result[h] < floors[h]:
            excess += floors[h] - result[h]
            result[h] = floors[h]
    raised = excess > 0
    order = {h: i for i, h in enumerate(result)}
    # One unit at a time, so the largest allocations shrink evenly rather than one stratum
    # paying for all; ``needed <= n`` guarantees a donor always exists.
    for _ in range(excess):
        donors = [h for h in result if result[h] - 1 >= floors[h]]
        donor = min(donors, key=lambda h: (-result[h], order[h]))
        result[donor] -= 1
    return result, raised


def unit_key(seed: str, ref: str) -> str:
    """A unit's rank key: lowercase hex SHA-256 of ``UTF-8(seed + "\\x1f" + ref)``.

    Reproducible with any tool, e.g. ``printf '%s\\x1f%s' SEED REF | sha256sum``.
    """
    return hashlib.sha256((seed + UNIT_SEPARATOR + ref).encode("utf-8")).hexdigest()


def stratum_key(values: Sequence[str | None]) -> str:
    """The name of a unit's stratum from its strata field values, e.g. ``"burglary / North"``.

    Values are joined with ``" / "`` in the order of the strata fields; an empty (or blank)
    value is shown as ``"(blank)"``. With no strata fields every unit is in stratum ``"all"``.
    """
    if not values:
        return ALL
    return STRATUM_JOINER.join(value if value is not None and value.strip() else BLANK for value in values)


def stratum_label(key: str) -> str:
    """A stratum key in words for people: each offence-group code in it by its label
    (``"theft_from_person / North"`` → ``"Theft from the person / North"``)."""
    if key == ALL:
        return "All files (no strata)"
    return STRATUM_JOINER.join(group_label(part) for part in key.split(STRATUM_JOINER))


@dataclass(frozen=True)
class Selection:
    """The drawn sample and its reserve list.

    :param selected: stratum key → ``[(ref, key), …]`` in rank order (rank 1 first).
    :param reserve: stratum key → the next units after the sample, in rank order.
    """

    selected: dict[str, list[tuple[str, str]]]
    reserve: dict[str, list[tuple[str, str]]]

    def selected_refs(self) -> list[str]:
        """Sampled refs by stratum key, then by rank (the order of the CLI's ``selected``)."""
        return [ref for units in self.selected.values() for ref, _ in units]

    def reserve_refs(self) -> list[str]:
        """Reserve refs by stratum key, then by rank."""
        return [ref for units in self.reserve.values() for ref, _ in units]


class StratifiedUnits(Sequence[tuple[str, str]]):
    """A frame's units held as the refs of each stratum: what :func:`select` works on directly.

    It is also a sequence of ``(ref, stratum key)``, stratum by stratum, for anything that
    wants the units one by one.

    :param by_stratum: stratum key → the refs of its units.
    """

    def __init__(self, by_stratum: Mapping[str, list[str]]):
        self.by_stratum = dict(by_stratum)
        self._count = sum(map(len, self.by_stratum.values()))
        self._units: list[tuple[str, str]] | None = None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return chain.from_iterable(zip(refs, repeat(key)) for key, refs in self.by_stratum.items())

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, str]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, str] | list[tuple[str, str]]:
        if self._units is None:
            self._units = list(self)
        return self._units[index]


def select(units: Iterable[tuple[str, str]], allocation: Allocation, seed: str, reserve: int = 0) -> Selection:
    """Rank every unit by :func:`unit_key` within its stratum; take the first ``n_h`` and the next ``reserve``.

    Each stratum's units are hashed once, keeping only its best ``n_h + reserve`` candidates,
    so memory stays small and the cost is essentially one SHA-256 per unit. Keys are compared
    as raw digests, which order exactly as their lowercase hex does. Refs must be unique (the
    importer guarantees it).

    :param units: ``(ref, stratum key)`` for every unit in the frame, in any order, or a
        :class:`StratifiedUnits` (the same units, already grouped).
    :param allocation: from :func:`allocate` over the same frame.
    :param seed: the audit's seed text.
    :param reserve: how many reserve units to keep per stratum (fewer if the stratum runs out).
    :raises ValueError: for an empty seed, a negative reserve, a unit in a stratum the
        allocation does not have, or stratum counts that differ from the allocation's.
    """
    if not isinstance(seed, str) or not seed:
        raise ValueError("The seed must be a non-empty text.")
    if not _is_whole(reserve) or reserve < 0:
        raise ValueError(f"The number of reserves must be a whole number of at least 0; got {reserve!r}.")
    by_stratum = units.by_stratum if isinstance(units, StratifiedUnits) else _by_stratum(units)
    for stratum, refs in by_stratum.items():
        if stratum not in allocation.sizes:
            raise ValueError(f"File '{refs[0]}' is in stratum '{stratum}', which the allocation does not have.")
    for h in allocation.sizes:
        count = len(by_stratum.get(h, ()))
        if count != allocation.populations[h]:
            raise ValueError(
                f"Stratum '{h}' has {count:,} files in the frame but the allocation was made for "
                f"{allocation.populations[h]:,}."
            )
    prefix = hashlib.sha256((seed + UNIT_SEPARATOR).encode("utf-8"))
    selected: dict[str, list[tuple[str, str]]] = {}
    reserves: dict[str, list[tuple[str, str]]] = {}
    for h, n_h in allocation.sizes.items():
        ranked = [(ref, key.hex()) for key, ref in _lowest(by_stratum.get(h, []), prefix, n_h + reserve)]
        selected[h] = ranked[:n_h]
        reserves[h] = ranked[n_h : n_h + reserve]
    return Selection(selected, reserves)


def _lowest(refs: list[str], prefix: Any, wanted: int) -> list[tuple[bytes, str]]:
    """The ``wanted`` units of ``refs`` with the lowest keys, as (key digest, ref) in rank order.

    One pass keeping only the best candidates: a key above the current cut-off is dropped after
    one comparison, and the list is cut back to ``wanted`` whenever it reaches about twice that
    (so sorting stays cheap). Ties between keys, which never happen in practice, go by ref.
    This loop is the cost of a draw (a million units: half a second), so it is written out.
    """
    if not wanted:
        return []
    # The seed's hash state is copied for each unit (cheaper than hashing the seed again), and
    # the methods are taken once from the type: a lookup per unit would cost a tenth more.
    kind = type(prefix)
    copy, update, finish, encode = kind.copy, kind.update, kind.digest, str.encode  # encode: UTF-8
    candidates: list[tuple[bytes, str]] = []
    add = candidates.append
    bound = _ABOVE_ANY_DIGEST
    limit = 2 * wanted + 16
    for ref in refs:
        digest = copy(prefix)
        update(digest, encode(ref))
        key = finish(digest)
        if key <= bound:
            add((key, ref))
            if len(candidates) >= limit:
                candidates.sort()
                del candidates[wanted:]
                bound = candidates[-1][0]
    candidates.sort()
    return candidates[:wanted]


def _by_stratum(units: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for ref, stratum in units:
        refs = groups.get(stratum)
        if refs is None:
            refs = groups[stratum] = []
        refs.append(ref)
    return groups


def frame_sha256(sorted_refs: Iterable[str]) -> str:
    """SHA-256 of the in-frame refs, already sorted, joined by ``"\\n"`` (no trailing newline).

    Streamed a slice at a time, so a frame of millions of refs is never joined in memory whole.
    The order is Python's string order (by Unicode code point); ``sort`` gives the same order
    anywhere.

    :param sorted_refs: the refs in ascending order.
    :raises ValueError: if the refs are not in ascending order.
    """
    digest = hashlib.sha256()
    refs = iter(sorted_refs)
    previous: list[str] = []
    while part := list(islice(refs, _FRAME_SLICE)):
        run = previous + part
        if not all(map(le, run, islice(run, 1, None))):  # (a comparison per pair, in C)
            before, ref = next((a, b) for a, b in zip(run, islice(run, 1, None)) if b < a)
            raise ValueError(f"The frame refs must be sorted: '{ref}' comes after '{before}'.")
        digest.update((("\n" if previous else "") + "\n".join(part)).encode("utf-8"))
        previous = part[-1:]
    return digest.hexdigest()


def generate_seed() -> str:
    """A fresh seed: 16 lowercase hex characters (64 bits) from the operating system's secure source.

    64 bits is far more than enough: the seed only has to be unguessable before the draw and
    is recorded afterwards; ``secrets`` ensures nobody could have chosen it to favour a file.
    """
    return secrets.token_hex(8)


@dataclass(frozen=True)
class SizeBasis:
    """How the total sample size was chosen, for the method statement.

    Build one with :meth:`fixed`, :meth:`attribute` or :meth:`margin`.
    """

    kind: Literal["fixed", "attribute", "margin"]
    confidence: float | None = None
    tolerable: float | None = None
    expected: float = 0.0
    margin: float | None = None
    p: float = 0.5
    population: int | None = None
    size: SampleSize | None = None

    @classmethod
    def fixed(cls) -> SizeBasis:
        """The auditor chose the size."""
        return cls("fixed")

    @classmethod
    def attribute(
        cls, confidence: float, tolerable: float, expected: float, size: SampleSize, population: int | None = None
    ) -> SizeBasis:
        """The size came from :func:`~audit_app.core.statistics.attribute_sample_size`."""
        return cls(
            "attribute", confidence=confidence, tolerable=tolerable, expected=expected, population=population, size=size
        )

    @classmethod
    def margin_of_error(
        cls, confidence: float, margin: float, size: SampleSize, p: float = 0.5, population: int | None = None
    ) -> SizeBasis:
        """The size came from :func:`~audit_app.core.statistics.margin_sample_size`."""
        return cls("margin", confidence=confidence, margin=margin, p=p, population=population, size=size)


def method_statement(
    allocation: Allocation,
    *,
    seed: str,
    frame_sha256: str,
    strata_fields: Sequence[str] = (),
    reserve: int = 0,
    basis: SizeBasis | None = None,
) -> str:
    """The sampling paragraph of the report: design, size, selection rule, seed and frame hash.

    Written so that an outsider can re-derive the sample from the seed, the frame and the text.

    :param allocation: the allocation that was drawn.
    :param seed: the seed, quoted in full.
    :param frame_sha256: :func:`frame_sha256` of the frame.
    :param strata_fields: the strata field names or labels (``offence_group`` reads "offence group").
    :param reserve: reserve units kept per stratum.
    :param basis: how the total was chosen (``None``: set by the auditor).
    """
    sentences = [_design_sentence(allocation, strata_fields)]
    if allocation.disproportionate:
        sentences.append(
            "Because the strata were not sampled in proportion to their size, files had unequal chances of "
            "selection (a stratum's sample divided by its files in the frame), so force-wide figures are weighted "
            "back to the strata sizes: each reviewed file counts for its stratum's files divided by its sample."
        )
    sentences.append(_size_sentence(basis or SizeBasis.fixed(), allocation.n))
    sentences.append(_ranking_sentence(seed, bool(strata_fields), allocation.n, reserve))
    sentences.append(
        f"The sampling frame's SHA-256 (of the sorted file references joined by line breaks) is {frame_sha256}; "
        "anyone can re-derive the sample from the seed, the frame and this rule."
    )
    return " ".join(sentences)


def _design_sentence(allocation: Allocation, strata_fields: Sequence[str]) -> str:
    n, population = allocation.n, allocation.population
    if not strata_fields:
        return (
            f"A simple random sample of {n:,} {_files(n)} was drawn from {population:,} in-scope "
            f"{_files(population)}."
        )
    count = len(allocation.sizes)
    fields = _and_list([field.replace("_", " ") for field in strata_fields])
    if allocation.method == "proportional":
        how = "allocated in proportion to stratum size (largest-remainder rounding)"
    else:
        how = (
            "allocated equally between strata (largest-remainder rounding; a stratum smaller than its share "
            "was taken in full and the rest shared among the others)"
        )
    if allocation.min_per_stratum:
        k = allocation.min_per_stratum
        smaller = any(size < k for size in allocation.populations.values())
        how += f" with at least {k:,} {_files(k)} per stratum"
        if smaller:
            how += " (or every file of a smaller stratum)"
    strata = "stratum" if count == 1 else "strata"
    return (
        f"A stratified random sample of {n:,} {_files(n)} was drawn from {population:,} in-scope "
        f"{_files(population)} in {count:,} {strata} by {fields}, {how}."
    )


def _size_sentence(basis: SizeBasis, n: int) -> str:
    if basis.kind == "fixed" or basis.size is None:
        return f"The sample size, {n:,}, was set by the auditor."
    size = basis.size
    confidence = _percent(basis.confidence)
    if basis.kind == "attribute":
        k = size.acceptance_number or 0
        found = "no failures" if k == 0 else f"no more than {k:,} {'failure' if k == 1 else 'failures'}"
        model = (
            f"hypergeometric, for a population of {basis.population:,} files"
            if basis.population is not None
            else "binomial"
        )
        return (
            f"The sample size, {size.n:,}, was set by attribute sampling (AICPA Audit Sampling, Appendix A; {model}) "
            f"at {confidence} confidence, a tolerable failure rate of {_percent(basis.tolerable)} and an expected "
            f"rate of {_percent(basis.expected)}: finding {found} in the sample gives {confidence} confidence "
            f"that the failure rate is below {_percent(basis.tolerable)}."
        )
    correction = (
        f" and a finite population correction for {basis.population:,} files" if basis.population is not None else ""
    )
    return (
        f"The sample size, {size.n:,}, was set to estimate a proportion to within ±{_number(basis.margin, 100)} "
        f"percentage points at {confidence} confidence (Cochran's formula with p = {_number(basis.p, 1)}"
        f"{correction}, rounded up)."
    )


def _ranking_sentence(seed: str, stratified: bool, n: int, reserve: int) -> str:
    where = " within each stratum" if stratified else ""
    first = ("as many files as each stratum was allocated were selected from its top" if stratified
             else f"the first {n:,} were selected")
    kept = f" and the next {reserve:,} kept as reserves, in order" if reserve else "; no reserve list was kept"
    return (
        f"Files were ranked{where} by the SHA-256 hash (lowercase hexadecimal, lowest first) of the seed '{seed}', "
        f"the invisible unit-separator character (character code 31) and the file reference; {first}{kept}."
    )


def _files(count: int) -> str:
    return "file" if count == 1 else "files"


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _number(value: float | None, scale: int) -> str:
    """A rate as the decimal it was typed as, scaled: ``_number(0.075, 100)`` → ``"7.5"``."""
    exact = Decimal(repr(value)) * scale
    return format(exact.normalize(), "f")


def _percent(value: float | None) -> str:
    return _number(value, 100) + "%"
