"""Sampling services: the size of a design, its live preview, the draw, the drawn sample, replacements.

The sample is drawn by hash rank (statistics.md §2) from the audit's sampling frame, and the plan
that re-derives it (seed, frame hash, strata, allocation) is recorded with its event. The wizard's
preview and the CLI's ``samplesize`` use the same size function as the draw, so the numbers shown
are the numbers drawn.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audit_app.core import population as pop
from audit_app.core import sampling, statistics
from audit_app.core.records import Plan
from audit_app.errors import AuditError
from audit_app.services import population
from audit_app.services.audits import Audit, default_actor, sentence
from audit_app.store import events
from audit_app.store import population as population_store
from audit_app.store import sampling as sampling_store

if TYPE_CHECKING:
    from sqlite_utils import Database


DEFAULT_RESERVE = 5  # reserve files kept per stratum unless asked otherwise: out-of-scope files are common


@dataclass(frozen=True)
class SampleRequest:
    """How to draw the sample: exactly one of a fixed size, attribute, or margin-of-error design.

    :param reserve: files kept in order after each stratum's sample, to replace a sampled file that
        turns out to be out of scope (default :data:`DEFAULT_RESERVE`).
    """

    size: int | None = None
    confidence: float | None = None
    tolerable: float | None = None
    expected: float = 0.0
    margin: float | None = None
    proportion: float = 0.5
    strata: Sequence[str] = ()
    allocation: str = "proportional"
    min_per_stratum: int | None = None
    seed: str | None = None
    reserve: int = DEFAULT_RESERVE


@dataclass(frozen=True)
class SampleResult:
    plan: Plan
    strata: dict[str, dict[str, int]]
    selected: list[str]
    reserve: list[str]

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "method": plan.size_description,
            "confidence": plan.confidence,
            "size": plan.size,
            "seed": plan.seed,
            "frame_size": plan.frame_size,
            "frame_sha256": plan.frame_sha256,
            "strata": self.strata,
            "selected": self.selected,
            "reserve": self.reserve,
            "acceptance_number": plan.acceptance_number,
            "allocation": plan.allocation,
            "strata_fields": plan.strata_fields,
            "min_per_stratum": plan.min_per_stratum,
            "disproportionate": plan.disproportionate,
            "statement": plan.statement,
        }


# -- the size of a design -------------------------------------------------------------------------


def sample_size(request: SampleRequest, frame_size: int | None) -> statistics.SampleSize:
    """The total sample size ``request`` asks for, from a frame of ``frame_size`` files (attribute and
    margin designs take the frame as their population: the finite-population correction).

    The one route to a sample size: the draw, the wizard's preview and ``audit-app samplesize`` all
    come here.

    :param frame_size: the files in the sampling frame; ``None`` for a large population (no
        correction; a fixed size then needs no frame).
    :raises AuditError: for a size the frame cannot give, or rates out of range.
    """
    try:
        if request.size is not None:
            if request.size < 1:
                raise ValueError("the sample size must be at least 1")
            if frame_size is not None and request.size > frame_size:
                raise ValueError(f"a sample of {request.size:,} files cannot be drawn from the {frame_size:,} files "
                                 "in the sampling frame")
            return statistics.SampleSize(request.size, None, f"fixed size of {request.size}")
        if request.confidence is None:
            raise ValueError("give a sample size, or a confidence with a tolerable rate or a margin")
        if request.tolerable is not None:
            return statistics.attribute_sample_size(request.confidence, request.tolerable, request.expected, frame_size)
        if request.margin is not None:
            return statistics.margin_sample_size(request.confidence, request.margin, request.proportion, frame_size)
        raise ValueError("with a confidence, give a tolerable deviation rate or a margin of error")
    except ValueError as exc:
        raise AuditError(sentence(str(exc))) from None


@dataclass(frozen=True)
class StratumRow:
    """One stratum of a design: its files in the frame, its sample and its reserve."""

    key: str
    population: int
    sample: int
    reserve: int

    @property
    def probability(self) -> float:
        """The chance that a file of this stratum is drawn: its sample over its files in the frame."""
        return self.sample / self.population


@dataclass(frozen=True)
class DesignPreview:
    """What a sample design gives on the current frame, before it is drawn.

    :param n: the sample size ``draw_sample`` will draw.
    :param acceptance_number: for attribute sampling, the most failures that still give assurance.
    :param method: how ``n`` was found, in words (as the CLI's ``samplesize`` prints it).
    :param large_population_n: for attribute and margin designs, the size without the
        finite-population correction (``samplesize`` without ``--population``); else ``None``.
    :param disproportionate: strata are sampled at unequal rates (results must be weighted).
    """

    n: int
    acceptance_number: int | None
    method: str
    large_population_n: int | None
    frame_size: int
    strata: list[StratumRow]
    disproportionate: bool


def design_preview(request: SampleRequest, populations: Mapping[str, int]) -> DesignPreview:
    """The size and per-stratum allocation ``request`` gives on a frame with these stratum sizes.

    Uses :func:`sample_size` and ``core.sampling.allocate`` exactly as :func:`draw_sample` does,
    so the preview equals the draw. Fast enough to run on every change of an input.

    :param populations: stratum key → files in the frame (from :func:`stratum_populations`).
    :raises AuditError: for an empty frame or a design the frame cannot give, in one sentence.
    """
    frame_size = sum(populations.values())
    if frame_size == 0:
        raise AuditError("The sampling frame is empty: import a population first (or widen the scope).")
    size = sample_size(request, frame_size)
    allocation = _allocate(populations, size.n, request)
    reserve = max(0, request.reserve)
    rows = [
        StratumRow(key, allocation.populations[key], n_h, min(reserve, allocation.populations[key] - n_h))
        for key, n_h in allocation.sizes.items()
    ]
    return DesignPreview(size.n, size.acceptance_number, size.method, _large_population_n(request), frame_size, rows,
                         allocation.disproportionate)


def _large_population_n(request: SampleRequest) -> int | None:
    if request.size is not None:
        return None
    try:
        return sample_size(request, None).n
    except AuditError:
        return None


def _allocate(populations: Mapping[str, int], n: int, request: SampleRequest) -> sampling.Allocation:
    try:
        return sampling.allocate(dict(populations), n, request.allocation, request.min_per_stratum)
    except ValueError as exc:
        raise AuditError(sentence(str(exc))) from None


# -- the frame ------------------------------------------------------------------------------------


def frame(audit: Audit, fields: Sequence[str]) -> tuple[sampling.StratifiedUnits, dict[str, int], str]:
    """In-frame units grouped by stratum key (also a sequence of (ref, stratum key)), stratum
    sizes, and the frame's SHA-256 (refs in order)."""
    refs, columns = population_store.frame_columns(audit.db, fields)
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    if len(fields) == 1:  # the usual design: one key per row, not a tuple (a million rows)
        by_value: dict[str, list[str]] = defaultdict(list)
        for ref, value in zip(refs, columns[0]):
            by_value[value].append(ref)
        groups = {(value,): members for value, members in by_value.items()}
    elif fields:
        for row in zip(refs, *columns):
            groups[row[1:]].append(row[0])
    elif refs:
        groups[()] = refs
    by_key: dict[str, list[str]] = {}
    for values, members in groups.items():  # a few hundred strata at most: name each once
        key = sampling.stratum_key(values)
        if key in by_key:
            by_key[key] += members  # values that name the same stratum, such as "" and " "
        else:
            by_key[key] = members
    populations = {key: len(members) for key, members in by_key.items()}
    return sampling.StratifiedUnits(by_key), populations, sampling.frame_sha256(sorted(refs))


def stratum_populations(audit: Audit, fields: Sequence[str]) -> dict[str, int]:
    """Files in the sampling frame per stratum for the strata ``fields``.

    The keys are the stratum names the draw will use (``"burglary"``, ``"burglary / Camden 027C"``).
    """
    _units, populations, _sha = frame(audit, list(fields))
    return populations


def _check_strata_fields(audit: Audit, fields: Sequence[str]) -> None:
    known = list(population_store.CANONICAL) + population_store.extra_columns(audit.db)
    for name in fields:
        if name not in known:
            raise AuditError(f"Unknown stratum field '{name}' (population fields: {', '.join(known)}).")


# -- the draw -------------------------------------------------------------------------------------


def draw_sample(audit: Audit, request: SampleRequest, actor: str | None = None) -> SampleResult:
    """Draw the sample by hash rank (statistics.md §2) and record the plan that re-derives it."""
    drawn = sample(audit)
    if drawn is not None:
        raise AuditError(f"The sample has already been drawn (seed '{drawn.plan.seed}'); "
                         "replace out-of-scope files with their reserves instead, or draw it again "
                         "(with a reason) if no review has started.")
    return _draw(audit, request, actor)


def redraw_sample(audit: Audit, request: SampleRequest, reason: str, actor: str | None = None) -> SampleResult:
    """Draw the sample again, before any review starts: for a sample drawn by mistake.

    The old sample is removed and the new one recorded in one transaction; the audit trail
    keeps both draws and the redraw with its reason, and ``verify`` re-derives the new one.

    :raises AuditError: with no reason, no sample yet, or once a review has started.
    """
    if not reason.strip():
        raise AuditError("Give the reason the sample is drawn again; it is recorded in the audit trail.")
    if sample(audit) is None:
        raise AuditError("No sample has been drawn yet: draw it (no reason is needed).")
    return _draw(audit, request, actor, redraw_reason=reason.strip())


def _draw(audit: Audit, request: SampleRequest, actor: str | None, redraw_reason: str = "") -> SampleResult:
    fields = list(request.strata)
    _check_strata_fields(audit, fields)
    units, populations, frame_hash = frame(audit, fields)
    if not units:
        raise AuditError("The sampling frame is empty: import a population first (or widen the scope).")
    size = sample_size(request, len(units))
    allocation = _allocate(populations, size.n, request)
    seed = request.seed if request.seed is not None else sampling.generate_seed()
    selection = sampling.select(units, allocation, seed, request.reserve)
    plan = _plan(request, size, allocation, seed, len(units), frame_hash, fields, actor)
    rows = []
    for stratum in allocation.sizes:
        probability = allocation.inclusion_probability(stratum)
        chosen = selection.selected.get(stratum, [])
        spare = selection.reserve.get(stratum, [])
        for rank, (ref, key) in enumerate(chosen + spare, start=1):
            rows.append((ref, stratum, rank, key, probability, "selected" if rank <= len(chosen) else "reserve"))
    with audit.transaction() as db:
        if redraw_reason:
            _clear_for_redraw(db, plan.created_by, redraw_reason)
        sampling_store.save_plan(db, plan)
        sampling_store.save_strata(db, [(k, allocation.populations[k], n) for k, n in allocation.sizes.items()])
        sampling_store.save_sample_units(db, rows)
        events.append(db, plan.created_by, "sample.draw", "sampling_plan", 1, {
            "size": plan.size, "seed": plan.seed, "frame_size": plan.frame_size, "frame_sha256": plan.frame_sha256,
            "method": plan.size_description, "allocation": plan.allocation, "strata_fields": plan.strata_fields,
            "reserve": plan.reserve, "strata": {k: [allocation.populations[k], n] for k, n in allocation.sizes.items()},
            # the rest of the plan, so that verify can prove every field of it from the trail
            "confidence": plan.confidence, "tolerable": plan.tolerable, "expected": plan.expected, "margin": plan.margin,
            "proportion": plan.proportion, "requested_size": plan.requested_size,
            "acceptance_number": plan.acceptance_number, "min_per_stratum": plan.min_per_stratum,
            "disproportionate": plan.disproportionate, "statement": plan.statement, "size_method": plan.size_method,
            # every value of every sampled file (selected and reserve), so that verify finds one changed later
            "unit_values_sha256": {ref: pop.values_sha256(values)
                                   for ref, values in sorted(population_store.sampled_unit_values(db).items())},
        })
    result = sample(audit)
    assert result is not None
    return result


def _clear_for_redraw(db: Database, actor: str, reason: str) -> None:
    """Record the redraw and remove the old sample (inside the draw's transaction)."""
    started = sampling_store.reviews_started(db)
    if started:
        raise AuditError(f"The sample cannot be drawn again: {started:,} review(s) or moderation decision(s) are "
                         "recorded on it. Replace out-of-scope files with their reserves instead.")
    old = sampling_store.load_plan(db)
    assert old is not None
    events.append(db, actor, "sample.redraw", "sampling_plan", 1, {
        "old_seed": old.seed, "old_size": old.size, "old_frame_sha256": old.frame_sha256,
        "old_strata_fields": old.strata_fields, "old_drawn_at": old.created_at,
    }, reason=reason)
    sampling_store.clear_sample(db)


def _plan(request: SampleRequest, size: statistics.SampleSize, allocation: sampling.Allocation, seed: str,
          frame_size: int, frame_hash: str, fields: list[str], actor: str | None) -> Plan:
    basis = _size_basis(request, size, frame_size)
    statement = sampling.method_statement(
        allocation, seed=seed, frame_sha256=frame_hash, strata_fields=fields, reserve=request.reserve, basis=basis,
    )
    return Plan(
        created_at=events.now(), created_by=actor or default_actor(), size_method=_size_method(request),
        confidence=request.confidence, tolerable=request.tolerable,
        expected=request.expected if request.tolerable is not None else None,
        margin=request.margin, proportion=request.proportion if request.margin is not None else None,
        requested_size=request.size, size=size.n, acceptance_number=size.acceptance_number,
        size_description=size.method, strata_fields=fields, allocation=allocation.method,
        min_per_stratum=request.min_per_stratum, disproportionate=allocation.disproportionate,
        reserve=request.reserve, seed=seed, frame_size=frame_size, frame_sha256=frame_hash, statement=statement,
    )


def _size_method(request: SampleRequest) -> str:
    if request.size is not None:
        return "fixed"
    return "attribute" if request.tolerable is not None else "margin"


def _size_basis(request: SampleRequest, size: statistics.SampleSize, frame_size: int) -> sampling.SizeBasis:
    method = _size_method(request)
    if method == "fixed":
        return sampling.SizeBasis.fixed()
    assert request.confidence is not None  # sample_size has refused a design without one
    if method == "attribute":
        assert request.tolerable is not None
        return sampling.SizeBasis.attribute(request.confidence, request.tolerable, request.expected, size, frame_size)
    assert request.margin is not None
    return sampling.SizeBasis.margin_of_error(request.confidence, request.margin, size, request.proportion, frame_size)


def sample(audit: Audit) -> SampleResult | None:
    """The drawn sample (``None`` before the draw)."""
    plan = sampling_store.load_plan(audit.db)
    if plan is None:
        return None
    units = sampling_store.sampled_units(audit.db)
    strata = {key: {"population": population, "sample": sample}
              for key, population, sample in sampling_store.strata(audit.db)}
    selected = [u.ref for u in units if u.status == "selected"]
    reserve = [u.ref for u in units if u.status == "reserve"]
    return SampleResult(plan, strata, selected, reserve)


def replace_unit(audit: Audit, ref: str, reason: str, actor: str | None = None) -> tuple[str, str]:
    """Replace a selected file that turns out to be out of scope by its stratum's next reserve.

    :returns: (replaced ref, replacement ref)
    """
    if not reason.strip():
        raise AuditError("Give the reason the file is out of scope; it is recorded in the audit trail.")
    with audit.transaction() as db:
        unit = sampling_store.sampled_unit(db, ref)
        if unit is None or unit.status != "selected":
            state = "not in the sample" if unit is None else f"a {unit.status} file, not a selected one"
            raise AuditError(f"File '{ref}' is {state}.")
        spare = sampling_store.next_reserve(db, unit.stratum)
        if spare is None:
            raise AuditError(f"No reserve file is left in stratum '{unit.stratum}' to replace '{ref}'.")
        sampling_store.mark_replaced(db, unit.unit_id, reason.strip())
        sampling_store.promote_reserve(db, spare.unit_id, unit.unit_id)
        events.append(db, actor or default_actor(), "sample.replace", "sample_unit", ref, {
            "ref": ref, "replacement": spare.ref, "stratum": unit.stratum, "replacement_rank": spare.rank,
        }, reason=reason.strip())
    return ref, spare.ref


def out_of_scope_warning(audit: Audit) -> str:
    """A warning when the sampling frame holds files in offence groups the checklist is not for
    (they may be drawn); "" when it holds none."""
    return population.out_of_scope_warning(population.out_of_scope_groups(audit), f"'{audit.checklist.title}'")
