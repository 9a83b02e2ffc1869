"""The audit's results: what the finished reviews say, how sure we are, and whether two reviewers agree.

:func:`gather` reads, in one consistent snapshot of the file, every finished file (its moderated
answers where moderation agreed them, else the primary review's), the design, and the rated pairs
of the double-reviewed files; :mod:`audit_app.core.results` computes every figure from them.
The CLI (``stats``, ``agreement``), the GUI's results page and the reports show the same
:class:`~audit_app.core.results.model.AuditResults`, never recomputing anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from audit_app.core.records import Answer
from audit_app.core.results import agreement as agreement_stats
from audit_app.core.results import estimates
from audit_app.core.results.model import (
    Agreement,
    AgreementFigures,
    AuditResults,
    Design,
    FileInput,
    ItemAnswer,
    ItemResult,
    RatedPair,
)
from audit_app.core.scoring import UNGRADABLE, ReviewResult
from audit_app.services import moderation
from audit_app.services.audits import Audit
from audit_app.services.reviews import score_stored
from audit_app.store import reviews as store
from audit_app.store import sampling as sampling_store

DONE = moderation.DONE  # finished reviews: complete or signed off
landis_koch = agreement_stats.landis_koch  # the words for a coefficient (Landis & Koch 1977), for the CLI and GUI
DEFAULT_CONFIDENCE = 0.95  # a plan without a confidence (a fixed size): the intervals' level

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Gathered:
    """The inputs of the results, read from the audit in one snapshot."""

    design: Design
    files: tuple[FileInput, ...]
    pairs: tuple[RatedPair, ...]
    double_reviewed: int  # files whose primary and second reviews are both finished


def gather(audit: Audit, progress: Progress | None = None) -> Gathered:
    """Read and score what the results need (scoring a few thousand reviews takes a moment: the
    GUI runs this as a task; ``progress(done, total, text)`` is called as files are scored)."""
    with audit.snapshot() as db:
        plan = sampling_store.load_plan(db)
        strata = sampling_store.strata(db)
        rows = [r for r in store.sample_file_rows(db) if r.sample_status == "selected"]
        finished = [r for r in rows if r.primary is not None and r.primary.status in DONE]
        ids = [r.id for row in finished for r in (row.primary, row.second) if r is not None]
        profiles = store.profiles_of_reviews(db, ids)
        answers = store.answers_of_reviews(db, ids)
        agreed = store.all_agreed(db)
    design = Design(
        confidence=plan.confidence if plan and plan.confidence else DEFAULT_CONFIDENCE,
        tolerable=plan.tolerable if plan else None,
        disproportionate=bool(plan and plan.disproportionate),
        strata_sizes={key: population for key, population, _ in strata},
        strata_sample={key: sample for key, _, sample in strata},
    )
    position = {row.ref: index for index, row in enumerate(rows, start=1)}
    files, pairs, double = [], [], 0
    meanings: dict[tuple[str, str], str | None] = {}
    for done, row in enumerate(finished):
        if progress is not None and done % 100 == 0:
            progress(done, len(finished), f"Scoring file {done + 1:,} of {len(finished):,}")
        assert row.primary is not None
        primary_answers = answers[row.primary.id]
        final_profile, final_answers = profiles.get(row.primary.id, {}), primary_answers
        provisional = False
        second = row.second
        if second is not None:
            if second.status in DONE:
                double += 1
                decided = agreed.get(row.unit_id, {})
                open_targets = moderation.differing_targets(profiles, answers, row.primary.id, second.id) - set(decided)
                if open_targets:
                    provisional = True
                else:
                    final_profile, final_answers = moderation.agreed_inputs(
                        audit, row.primary.id, decided, profiles.get(row.primary.id, {}), primary_answers)
            else:
                provisional = True
        result = score_stored(audit, final_profile, final_answers)
        if second is not None and second.status in DONE:
            applies = [i for i, a in result.applicability.items() if a is not False]  # checklist order
            pairs.extend(_pairs(row.ref, position[row.ref], primary_answers, answers[second.id],
                                agreed.get(row.unit_id, {}), applies))
        files.append(_file_input(audit, row.ref, position[row.ref], row.stratum, row.primary.reviewer.display,
                                 result, final_answers, provisional, row.primary.training, meanings))
    if progress is not None:
        progress(len(finished), len(finished), "Computing the results")
    return Gathered(design, tuple(files), tuple(pairs), double)


def _pairs(ref: str, position: int, first: Mapping[str, Answer], second: Mapping[str, Answer],
           decided: Mapping[str, Any], applies: list[str]) -> list[RatedPair]:
    """The items both reviews answered, among those that apply to the file, in checklist order
    (statistics.md §4: a pair missing either answer is left out)."""
    out = []
    for item_id in applies:
        a, b = first.get(item_id), second.get(item_id)
        if a is None or b is None:
            continue
        agreed = decided.get(item_id)
        moderated = None
        if agreed is not None and isinstance(agreed.value, Mapping):
            moderated = str(agreed.value.get("code"))
        out.append(RatedPair(ref, position, item_id, a.code, b.code, moderated))
    return out


def _file_input(audit: Audit, ref: str, position: int, stratum: str, reviewer: str, result: ReviewResult,
                answers: Mapping[str, Answer], provisional: bool, training: bool,
                meanings: dict[tuple[str, str], str | None]) -> FileInput:
    checklist = audit.checklist
    given = {}
    for item_id, applies in result.applicability.items():
        answer = answers.get(item_id)
        if not applies or answer is None:
            continue
        key = (item_id, answer.code)
        if key not in meanings:  # looked up once per gather: a few hundred keys for many thousand answers
            scale_answer = checklist.answer(item_id, answer.code)
            meanings[key] = scale_answer.meaning if scale_answer is not None else None
        meaning = meanings[key]
        if meaning is not None:
            given[item_id] = ItemAnswer(answer.code, meaning, answer.note, answer.notable)
    return FileInput(
        ref=ref, position=position, stratum=stratum, reviewer=reviewer, answers=given,
        excluded_by_rule=frozenset(i for i, applies in result.applicability.items() if applies is False),
        grade=result.grade, grade_label=result.grade_label, critical_failure=bool(result.critical_failures),
        mmo=bool(result.mmo), notable_practice=bool(result.notable_practice), ungradable=result.grade == UNGRADABLE,
        subscores=dict(result.subscores), provisional=provisional, training=training,
        caps=tuple(result.caps_applied),
    )


def audit_results(audit: Audit, progress: Progress | None = None) -> AuditResults:
    """Every result of the audit, agreement included (what the results page and the report show)."""
    return results_of(audit, gather(audit, progress))


def results_of(audit: Audit, gathered: Gathered) -> AuditResults:
    """The results of inputs already gathered (the report also shows some of the inputs: notes)."""
    results = estimates.compute(audit.checklist, gathered.design, gathered.files)
    return replace(results, agreement=_agreement(audit, gathered))


def agreement(audit: Audit, progress: Progress | None = None) -> Agreement:
    """Agreement between primary and second reviews on the files both finished (statistics.md §4)."""
    return _agreement(audit, gather(audit, progress))


def _agreement(audit: Audit, gathered: Gathered) -> Agreement:
    return agreement_stats.compute(gathered.pairs, list(audit.checklist.items), gathered.double_reviewed,
                                   gathered.design.confidence)


# -- the results as JSON (the CLI's `stats --json` and `agreement --json`; cli.md "Results") and as rows


BREAKDOWNS = ("stratum", "reviewer", "section")


def _clean(value: Any) -> Any:
    """Dataclasses, mappings and tuples as JSON values (tuples become lists)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _clean(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        return [_clean(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
    return value


def item_json(item: ItemResult) -> dict[str, Any]:
    """An item's figures under the keys cli.md fixes, then the rest."""
    weighted = None
    if item.weighted is not None:
        w = item.weighted
        weighted = {"estimate": w.estimate, "ci_low": w.ci_low, "ci_high": w.ci_high, "n_eff": w.n_eff,
                    "upper_deviation_limit": w.upper_deviation_limit, "variance": w.variance,
                    "empty_strata": list(w.empty_strata), "single_strata": list(w.single_strata)}
    return {
        "applicable": item.applicable, "met": item.met, "partly": item.partly, "not_met": item.not_met,
        "not_recorded": item.not_recorded, "na": item.na,
        "compliance": item.compliance.estimate, "ci_low": item.compliance.ci_low, "ci_high": item.compliance.ci_high,
        "upper_deviation_limit": item.unweighted_upper_deviation_limit, "assured": item.assurance.assured,
        "weighted": weighted,
        "conclusion": item.assurance.conclusion,
        "assurance_upper_deviation_limit": item.assurance.upper_deviation_limit,
        "files_needed": item.assurance.files_needed,
        "section": item.section, "subscore": item.subscore, "critical": item.critical,
        "excluded_by_rule": item.excluded_by_rule,
        "na_reasons": [{"reason": reason, "files": count} for reason, count in item.na_reasons],
        "met_or_partly": _clean(item.met_or_partly), "not_recorded_rate": _clean(item.not_recorded_rate),
        "na_rate": _clean(item.na_rate),
    }


def stats_json(results: AuditResults, by: str | None = None) -> dict[str, Any]:
    """``stats --json``: the keys of cli.md, then sections, sub-scores, file shares and the breakdowns.

    :param by: ``stratum``, ``reviewer`` or ``section``: also under ``"by"``, the breakdown asked for.
    """
    grades = {share.label: share.proportion.successes for share in results.files.grades}
    out: dict[str, Any] = {
        "files_reviewed": results.files_reviewed,
        "provisional": len(results.provisional),
        "provisional_files": list(results.provisional),
        "training": results.training,
        "design": results.design,
        "confidence": results.confidence,
        "tolerable": results.tolerable,
        "grades": grades,
        "items": {item_id: item_json(item) for item_id, item in results.items.items()},
        "files": _clean(results.files),
        "sections": _clean(results.sections),
        "subscores": _clean(results.subscores),
        "strata": _clean(results.strata),
        "reviewers": [{**_clean(r), "flagged": list(r.flagged)} for r in results.reviewers],
        "method": " ".join(results.method),
        "method_statements": list(results.method),
    }
    if by is not None:
        out["by"] = {"stratum": out["strata"], "reviewer": out["reviewers"], "section": out["sections"]}[by]
    return out


def figures_json(figures: AgreementFigures) -> dict[str, Any]:
    return {
        "n": figures.n, "percent_agreement": figures.percent_agreement, "cohen_kappa": figures.cohen_kappa,
        "gwet_ac1": figures.gwet_ac1, "gwet_ac1_se": figures.gwet_ac1_se,
        "gwet_ac1_ci": list(figures.gwet_ac1_ci) if figures.gwet_ac1_ci else None,
        "krippendorff_alpha": figures.krippendorff_alpha,
        "cohen_kappa_se": figures.cohen_kappa_se,
        "cohen_kappa_ci": list(figures.cohen_kappa_ci) if figures.cohen_kappa_ci else None,
        "categories": list(figures.categories),
        "landis_koch": {"cohen_kappa": agreement_stats.landis_koch(figures.cohen_kappa),
                        "gwet_ac1": agreement_stats.landis_koch(figures.gwet_ac1),
                        "krippendorff_alpha": agreement_stats.landis_koch(figures.krippendorff_alpha)},
    }


def agreement_json(agreed: Agreement) -> dict[str, Any]:
    """``agreement --json``: the keys of cli.md, then the method."""
    return {
        "files": agreed.files,
        "confidence": agreed.confidence,
        "items": {item_id: figures_json(figures) for item_id, figures in agreed.items.items()},
        "pooled": figures_json(agreed.pooled),
        "disagreements": [{"file_ref": d.ref, "position": d.position, "item": d.item, "primary": d.first,
                           "second": d.second, "moderated": d.moderated} for d in agreed.disagreements],
        "method": " ".join(agreed.method),
        "method_statements": list(agreed.method),
    }


ITEM_TABLE_HEADER = ["item", "section", "question", "applicable", "met", "partly_met", "not_met", "not_recorded",
                     "not_applicable", "compliance", "ci_low", "ci_high", "upper_deviation_limit", "conclusion",
                     "weighted_estimate", "weighted_ci_low", "weighted_ci_high", "n_eff", "weighted_upper_deviation_limit"]


def item_table(results: AuditResults) -> list[list[str]]:
    """The item results as rows, header first (the results page's CSV export). For a
    disproportionate design the unweighted compliance columns are left empty: only the weighted
    estimate describes the population (statistics.md §3)."""

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.4f}"

    rows = [list(ITEM_TABLE_HEADER)]
    for item_id, item in results.items.items():
        c = item.compliance
        unweighted = ["", "", "", ""] if results.weighted else [
            number(c.estimate), number(c.ci_low), number(c.ci_high), number(item.unweighted_upper_deviation_limit)]
        w = item.weighted
        weighted = [number(w.estimate), number(w.ci_low), number(w.ci_high), number(w.n_eff),
                    number(w.upper_deviation_limit)] if w is not None else ["", "", "", "", ""]
        rows.append([item_id, item.section, item.question, str(item.applicable), str(item.met), str(item.partly),
                     str(item.not_met), str(item.not_recorded), str(item.na), *unweighted, item.assurance.conclusion,
                     *weighted])
    return rows
