"""A synthetic audit with a disproportionate design, built through the services as users build one.

A police.uk-shaped population (random 64-hex Crime IDs in no order), skewed across four offence
groups; a sample stratified by offence group with equal allocation (so strata are sampled at
different rates); primary reviews for every sampled file and second reviews for some, recorded
with ``responses import --complete`` (one CSV, long evidence notes); moderation agreed on half of
the double-reviewed files. Deterministic for a seed. Used by the results tests (small) and by
``make bench`` (2,000 files × 47 items, 400 double reviews).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit_app.core.records import Answer
from audit_app.core.scoring import score_review
from audit_app.services import moderation, population, sampling, workspace
from audit_app.services.audits import create_audit, open_audit
from audit_app.services.reviews import ensure_reviewer, import_responses
from audit_app.services.sampling import SampleRequest

# police.uk crime type → (population share, profile offence group)
OFFENCES = {
    "Burglary": (0.40, "burglary_residential"),
    "Vehicle crime": (0.35, "vehicle_theft_from"),
    "Theft from the person": (0.15, "theft_from_person"),
    "Robbery": (0.10, "robbery_personal"),
}
REVIEWERS = [("Alex Reviewer", "R101"), ("Bea Reviewer", "R102"), ("Cal Reviewer", "R103"), ("Dee Reviewer", "R104"),
             ("Eve Outlier", "R105")]  # Eve answers N/A far more often: the calibration flag should name her
SECOND = ("Sam Second", "R201")
LEAD = ("Lee Lead", "L1")
NOTE = ("Log entry {n} ({day}): OIC reviewed the occurrence, spoke to the victim by telephone and recorded the "
        "account; house-to-house enquiries at numbers {a} to {b} were noted with no witnesses found; CCTV request "
        "sent to the council control room and to the shop opposite, reply awaited; supervisor's review on "
        "{day} set actions for forensic submission and a victim update within 28 days.")
PROFILE: dict[str, Any] = {
    "summary_only_offence": "no", "closed": "yes", "outcome_type": "18", "occurred_from": "2025-01-06T08:00",
    "occurred_to": "2025-01-06T09:00", "reported": "2025-01-06T10:00", "recorded": "2025-01-06", "allocated": "2025-01-07",
    "first_victim_contact": "2025-01-07", "finalised": "2025-02-20", "suspect_status": "description_only",
    "suspect_arrested": "no", "suspect_interviewed": "no", "suspect_released_pending": "no", "charged": "no",
    "oocd_given": "no", "physical_scene": "yes", "potential_video": "yes", "witnesses_exist": "yes",
    "eyewitness_can_identify": "no", "residential_setting": "yes", "property_stolen": "yes", "identifiable_property": "yes",
    "property_outstanding": "yes", "tracked_device": "no", "vehicle_involved": "no", "suspect_image_obtained": "no",
    "phone_taken": "no", "suspect_comms_known": "no", "online_listing": "no", "under_18": "no", "vulnerable": "yes",
    "intimidated": "no", "repeat_or_persistent": "no", "hate_flag": "no", "da_flag": "no", "victim_supports": "yes",
    "victim_withdrew_support": "no", "victim_told_of_closure": "yes", "screened_in": "yes", "statement_taken": "yes",
    "property_seized_or_recovered": "no", "investigator_role": "neighbourhood", "student_officer": "no",
    "pip_level": "pip1", "caseload_at_allocation": "12", "hocr_classification": "Recorded as notified",
}


@dataclass(frozen=True)
class Built:
    path: Path
    files: int
    double: int
    moderated: int  # double-reviewed files whose differences were all agreed


def population_csv(path: Path, rows: int, rng: random.Random) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                         "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"])
        kinds = list(OFFENCES)
        weights = [OFFENCES[k][0] for k in kinds]
        for _ in range(rows):
            kind = rng.choices(kinds, weights)[0]
            writer.writerow([f"{rng.getrandbits(256):064x}", "2025-01", "Synthetic Police", "Synthetic Police",
                             "-0.1", "51.5", "On or near Example Street", "E01000001", f"Borough {rng.randint(1, 30):03d}A",
                             kind, "Investigation complete; no suspect identified", ""])
    return path


def _profile(group: str) -> dict[str, Any]:
    return {**PROFILE, "offence_group": group}


def _typed(checklist: Any, profile: dict[str, Any]) -> dict[str, Any]:
    from audit_app.core import profile as profile_values

    return {name: profile_values.parse_value(checklist.fields[name], text) for name, text in profile.items()}


def _answer(rng: random.Random, checklist: Any, item_id: str, compliance: float, na_rate: float) -> Answer:
    codes = [a.code for a in checklist.scales[checklist.items[item_id].scale].answers]
    roll = rng.random()
    if roll < na_rate:
        code = "NA"
    elif roll < na_rate + (1 - na_rate) * compliance:
        code = "M"
    else:
        code = rng.choice([c for c in ("P", "N", "N", "NR") if c in codes])
    note = NOTE.format(n=rng.randint(1, 60), day=f"{rng.randint(1, 28):02d}/01/2025", a=rng.randint(1, 20), b=rng.randint(21, 60))
    if code == "NA":
        note = rng.choice(["No scene to examine: report made by telephone days later.", "Victim declined: recorded at log 4.",
                           "Not relevant to this offence type."])
    item = checklist.items[item_id]
    opportunity = (rng.random() < 0.5) if item.critical == "on_known_opportunity" and code == "N" else None
    mmo = code == "N" and checklist.mmo_allowed(item_id) and rng.random() < 0.15
    notable = code == "M" and rng.random() < 0.02
    return Answer(code, note, f"log {rng.randint(1, 60)}", opportunity, mmo, notable)


def _rows(ref: str, reviewer: tuple[str, str], role: str, profile: dict[str, Any], answers: dict[str, Answer]) -> list[list[str]]:
    rows = [[ref, f"profile.{name}", str(value), "", reviewer[0], role, "", "", "", "", reviewer[1]]
            for name, value in profile.items()]
    for item_id, a in answers.items():
        flag = {None: "", True: "yes", False: "no"}
        rows.append([ref, item_id, a.code, a.note, reviewer[0], role, a.evidence, flag[a.opportunity_known],
                     flag[a.mmo], flag[a.notable], reviewer[1]])
    return rows


def build(path: Path, *, files: int = 2000, double: int = 400, population_rows: int | None = None, seed: int = 7,
          work: Path | None = None, allocation: str = "equal") -> Built:
    """Build the audit at ``path`` (which must not exist): ``files`` sampled and reviewed, ``double`` of them twice.

    ``allocation="proportional"`` gives an equal-probability design instead.
    """
    rng = random.Random(seed)
    work = work or path.parent
    groups = len(OFFENCES)
    rows = population_rows or files * 10
    source = population_csv(work / f"{path.stem}-population.csv", rows, rng)
    with create_audit(path, "neighbourhood-crime", f"Synthetic disproportionate audit ({files} files)",
                      actor=f"{LEAD[0]} ({LEAD[1]})") as audit:
        population.import_population(audit, source, preset="police-uk")
        drawn = sampling.draw_sample(audit, SampleRequest(size=files - files % groups, confidence=0.95, tolerable=0.05,
                                                          strata=["offence_group"], allocation=allocation, seed=f"synthetic-{seed}"))
        lead = ensure_reviewer(audit, *LEAD, role="lead")  # the creator: the audit's first lead
        assert lead.role == "lead", lead
        for name, staff in REVIEWERS + [SECOND]:
            ensure_reviewer(audit, name, staff)
        checklist = audit.checklist
        stratum_of = {f.ref: f.stratum for f in workspace.overview(audit)}
        group_of = {"burglary": "burglary_residential", "vehicle": "vehicle_theft_from",
                    "theft_from_person": "theft_from_person", "robbery": "robbery_personal"}
        item_compliance = {item_id: 0.55 + 0.4 * rng.random() for item_id in checklist.items}
        responses = work / f"{path.stem}-responses.csv"
        chosen_double = set(rng.sample(drawn.selected, min(double, len(drawn.selected))))
        applies_cache: dict[str, list[str]] = {}
        with responses.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file_ref", "item_id", "answer", "note", "reviewer", "role", "evidence", "opportunity_known",
                             "mmo", "notable_practice", "staff_number"])
            for index, ref in enumerate(drawn.selected):
                group = group_of[stratum_of[ref].split("=", 1)[-1] if "=" in stratum_of[ref] else stratum_of[ref]]
                profile = _profile(group)
                if group not in applies_cache:
                    result = score_review(checklist, _typed(checklist, profile), {})
                    applies_cache[group] = [i for i, a in result.applicability.items() if a]
                reviewer = REVIEWERS[index % len(REVIEWERS)]
                na_rate = 0.25 if reviewer[0] == "Eve Outlier" else 0.03
                answers = {i: _answer(rng, checklist, i, item_compliance[i], na_rate) for i in applies_cache[group]}
                writer.writerows(_rows(ref, reviewer, "primary", profile, answers))
                if ref in chosen_double:
                    second = {i: (_answer(rng, checklist, i, item_compliance[i], 0.03) if rng.random() < 0.12 else a)
                              for i, a in answers.items()}
                    writer.writerows(_rows(ref, SECOND, "second", profile, second))
        result = import_responses(audit, responses, complete=True)
        if result.errors or result.incomplete:
            problems = [f"row {e.row}: {e.message}" for e in result.errors[:5]] + [str(i) for i in result.incomplete[:3]]
            raise RuntimeError("the synthetic responses did not import: " + "; ".join(problems))
        moderated = 0
        for ref in sorted(chosen_double)[: len(chosen_double) // 2]:
            comparison = moderation.compare(audit, ref)
            for difference in comparison.open_differences:
                moderation.record_agreed(audit, ref, difference.target, difference.primary, "Agreed at moderation: the "
                                         "primary reviewer's reading of the log is supported.", lead)
            moderated += 1
    return Built(path, len(drawn.selected), len(chosen_double), moderated)


if __name__ == "__main__":  # python tests/synthetic_audit.py OUT.audit [FILES DOUBLE]
    import sys

    target = Path(sys.argv[1])
    started = dt.datetime.now()
    built = build(target, files=int(sys.argv[2]) if len(sys.argv) > 2 else 2000,
                  double=int(sys.argv[3]) if len(sys.argv) > 3 else 400)
    print(built, dt.datetime.now() - started)
    with open_audit(target):
        pass
