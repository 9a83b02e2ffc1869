"""The demo audit: the real police.uk file with labelled synthetic enrichment, a stratified sample,
and example reviews (all marked as training examples) so that a new user has results, moderation
and a sign-off to look at.

Everything is recorded through the services, as a reviewer would record it, so the demo's audit
trail is genuine and ``verify`` passes on it. Apart from timestamps the build is deterministic:
the same enrichment, the same sample and the same answers every time.

No Qt here: the GUI calls :func:`ensure_demo` off its thread; the CLI calls it directly.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit_app.errors import AuditError, AuditFileError
from audit_app.paths import resources_dir, user_data_dir
from audit_app.services import moderation, workspace
from audit_app.services.audits import Audit, SampleRequest, create_audit, open_audit
from audit_app.services.reviews import (
    AnswerInput,
    ensure_reviewer,
    review_result,
    set_answer,
    set_profile_value,
    set_review_status,
    sign_off,
    start_review,
)
from audit_app.store.reviews import Reviewer

Progress = Callable[[int, int], None]

SOURCE_FILE = "2025-01-city-of-london-street.csv"
ENRICHED_FILE = "2025-01-city-of-london-street-with-synthetic-fields.csv"
CHECKLIST = "neighbourhood-crime"
SEED = "audit-app demo 2025-01"
DEMO_FILE_NAME = "demo.audit"

TITLE = "Demonstration audit (training): neighbourhood crime, City of London Police, January 2025"
SCOPE = (
    "DEMONSTRATION AND TRAINING ONLY. Residential burglary, personal robbery, theft from the person and vehicle "
    "offences in the real police.uk street-level crime data for City of London Police, January 2025 (Open Government "
    "Licence v3.0). Crime references, dates and officer codes are synthetic (generated, labelled as such in the "
    "imported file); the reviewers and every review are invented training examples, not findings about real "
    "investigations."
)
PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
SCOPE_FILTER = {"offence_group": ["burglary", "robbery", "theft_from_person", "vehicle"]}
SAMPLE = SampleRequest(size=24, strata=["offence_group"], min_per_stratum=3, seed=SEED, reserve=1)

# Extra columns added to the police.uk file; each header says the values are synthetic.
CRIME_REFERENCE = "Crime reference (synthetic)"
REPORTED = "Reported date (synthetic)"
RECORDED = "Recorded date (synthetic)"
OFFICER = "Officer code (synthetic)"
SYNTHETIC_COLUMNS = (CRIME_REFERENCE, REPORTED, RECORDED, OFFICER)

# The demo's people: invented, and named so that nobody mistakes them for real staff.
LEAD = ("Demo Lead Auditor", "DEMO-1", "lead")
REVIEWER_A = ("Demo Reviewer A", "DEMO-2", "reviewer")
REVIEWER_B = ("Demo Reviewer B", "DEMO-3", "reviewer")
DEMO_ACTOR = f"{LEAD[0]} ({LEAD[1]})"

# The example reviews, by name (see EXAMPLES for what each one shows).
WORKED_EXAMPLE = "worked_example"
CHARGED_BURGLARY = "charged_burglary"
ROBBERY = "robbery"
THEFT_NAMED_SUSPECT = "theft_named_suspect"
VEHICLE = "vehicle"
IN_PROGRESS = "in_progress"


# -- where the demo lives -------------------------------------------------------------------------


def default_demo_path() -> Path:
    """Where ``audit-app demo`` keeps the demo audit unless told otherwise."""
    return user_data_dir() / DEMO_FILE_NAME


def demo_source() -> Path:
    """The bundled police.uk file the demo is built from (its licence notice is next to it)."""
    return resources_dir() / "demo" / SOURCE_FILE


# -- reuse or build -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOutcome:
    """What :func:`ensure_demo` did: built a new demo or reused one, and where an old one was put."""

    path: Path
    built: bool
    set_aside: Path | None = None


def ensure_demo(path: str | Path, *, fresh: bool = False, progress: Progress | None = None) -> DemoOutcome:
    """The demo audit at ``path``: an existing demo is reused (practice work in it is kept).

    :param fresh: build a new demo; an existing file is renamed aside with a timestamp, never deleted.
    :raises AuditError: when ``path`` holds an audit that is not a demo (it is left untouched), or a
        file that cannot be opened (unless ``fresh``).
    """
    path = Path(path)
    if not path.exists():
        return DemoOutcome(build_demo(path, progress), built=True)
    if path.is_dir():
        raise AuditError(f"{path} is a folder: give the path of the demo audit file.")
    try:
        demo = is_demo(path)
    except AuditFileError as exc:
        if not fresh:
            raise AuditError(f"{exc} Build a fresh demo (audit-app demo --fresh) to set it aside and start again.") from None
        demo = True  # unreadable: cannot be someone's audit in use; it is renamed, not deleted
    if not demo:
        raise AuditError(f"{path} is an audit but not the demo audit; it was left untouched (choose another path).")
    if not fresh:
        return DemoOutcome(path, built=False)
    aside = set_aside(path)
    try:
        return DemoOutcome(build_demo(path, progress), built=True, set_aside=aside)
    except BaseException:
        if not path.exists():
            aside.rename(path)  # the build failed: put the old file back where it was
        raise


def is_demo(path: str | Path) -> bool:
    """Whether the audit file at ``path`` is a demo built by :func:`build_demo`.

    :raises AuditFileError: when the file cannot be opened as an audit.
    """
    with open_audit(path) as audit:
        return audit.record.created_by == DEMO_ACTOR and audit.record.title == TITLE


def set_aside(path: Path) -> Path:
    """Rename a file (and any SQLite side files) to ``<stem>.<timestamp><suffix>`` next to it."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{stamp}{path.suffix}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.stem}.{stamp}-{number}{path.suffix}")
    path.rename(target)
    for side in ("-wal", "-shm"):
        extra = path.with_name(path.name + side)
        if extra.exists():
            extra.rename(target.with_name(target.name + side))
    return target


def build_demo(path: str | Path, progress: Progress | None = None) -> Path:
    """Build the demo audit at ``path`` (which must not exist) and return the path.

    The audit is built under a temporary name in the same folder and renamed into place at the
    end, so an interrupted build never leaves a half-made demo where a finished one is expected.

    :param progress: called with (steps done, total steps).
    """
    path = Path(path)
    if path.exists():
        raise AuditError(f"{path} already exists: an audit file is never overwritten.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.building")
    try:
        with tempfile.TemporaryDirectory(prefix="audit-app-demo-") as folder:
            enriched = Path(folder) / ENRICHED_FILE
            facts = enrich(demo_source(), enriched)
            with create_audit(partial, CHECKLIST, TITLE, DEMO_ACTOR, scope=SCOPE,
                              period_start=PERIOD[0], period_end=PERIOD[1]) as audit:
                _Builder(audit, facts, progress).run(enriched)
        if path.exists():
            raise AuditError(f"{path} appeared while the demo was being built; it was left untouched.")
        partial.rename(path)
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-wal"), partial.with_name(partial.name + "-shm")):
            leftover.unlink(missing_ok=True)
    return path


# -- synthetic enrichment -------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    """The synthetic facts of one crime (the same for every row with its Crime ID)."""

    crime_reference: str
    reported: dt.date
    recorded: dt.date
    officer: str


def _digest(key: str) -> bytes:
    return hashlib.sha256(f"{SEED}|{key}".encode()).digest()


def _synthetic_dates(key: str) -> tuple[dt.date, dt.date]:
    """A reported date in January 2025 and a recorded date the same day or the next (within the month)."""
    digest = _digest(key)
    reported = dt.date(2025, 1, 1 + digest[0] % 31)
    late = digest[1] % 4 == 0 and reported.day < 31
    return reported, reported + dt.timedelta(days=1 if late else 0)


def _synthetic_facts(keys: Sequence[str]) -> dict[str, FileFacts]:
    """Facts for each distinct key; crime references rise with the recorded date, as a force's do."""
    dates = {key: _synthetic_dates(key) for key in dict.fromkeys(keys)}
    order = sorted(dates, key=lambda k: (dates[k][1], dates[k][0], _digest(k)))
    facts, serial = {}, 100
    for key in order:
        digest = _digest(key)
        serial += 1 + digest[3] % 3
        facts[key] = FileFacts(f"CL/25/{serial:06d}", dates[key][0], dates[key][1], f"DEMO-PC-{100 + digest[2] % 300}")
    return facts


def enrich(source: Path, target: Path) -> dict[str, FileFacts]:
    """Copy the police.uk file to ``target`` with the synthetic columns added; the facts by Crime ID.

    Every original value is kept as it is. Rows without a Crime ID get facts too (as a force's
    export would), keyed by their row number.
    """
    with source.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    column = header.index("Crime ID")
    keys = [row[column].strip() or f"row {number}" for number, row in enumerate(body, start=2)]
    facts = _synthetic_facts(keys)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header + list(SYNTHETIC_COLUMNS))
        for key, row in zip(keys, body):
            f = facts[key]
            writer.writerow(row + [f.crime_reference, f.reported.isoformat(), f.recorded.isoformat(), f.officer])
    return {key: value for key, value in facts.items() if not key.startswith("row ")}


# -- the example reviews --------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """One review as designed: its file profile and its answers.

    A complete design answers Met (with no note) on every applicable item it does not list; an
    incomplete one records only the answers it lists.
    """

    profile: dict[str, Any]
    answers: dict[str, AnswerInput]
    complete: bool = True


@dataclass(frozen=True)
class Example:
    """An example review: which file it takes (offence group, preferred police.uk outcomes) and by whom."""

    name: str
    group: str
    outcomes: tuple[str, ...]
    reviewer: tuple[str, str, str]
    design: Callable[[FileFacts], Design]
    description: str = ""


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _at(day: dt.date, clock: str) -> dt.datetime:
    hour, minute = map(int, clock.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute)


def _plus(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days (Monday to Friday) after ``start`` up to and including ``end``."""
    return sum(1 for n in range(1, (end - start).days + 1) if _plus(start, n).weekday() < 5)


def _a(code: str, note: str = "", evidence: str = "", **flags: Any) -> AnswerInput:
    return AnswerInput(code, note, evidence, **flags)


def _profile(**values: Any) -> dict[str, Any]:
    """A profile: every opportunity, victim and process flag 'no' unless given."""
    flags = (
        "summary_only_offence suspect_arrested suspect_interviewed suspect_released_pending charged oocd_given "
        "physical_scene potential_video witnesses_exist eyewitness_can_identify residential_setting property_stolen "
        "identifiable_property property_outstanding tracked_device vehicle_involved suspect_image_obtained phone_taken "
        "suspect_comms_known online_listing under_18 vulnerable intimidated repeat_or_persistent hate_flag da_flag "
        "victim_withdrew_support statement_taken property_seized_or_recovered"
    ).split()
    return {flag: "no" for flag in flags} | values


# Each design below is one invented investigation told through its log: the dates follow the
# file's synthetic reported and recorded dates. They are long because they are data.


def _worked_example(f: FileFacts) -> Design:
    """The brief's worked example: doorbell footage known but never requested (D4 Not met, known
    opportunity, material missed opportunity); lines still open at closure (H2 Not met).
    32 items apply (total weight 66, maximum 132); 102 points: S = 77.3, Adequate, capped at Inadequate.
    """
    r = f.reported
    allocated, finalised = _plus(f.recorded, 6), _plus(r, 38)
    late = working_days_between(f.recorded, allocated)
    profile = _profile(
        offence_group="burglary_residential", closed="yes", outcome_type=18,
        occurred_from=_at(_plus(r, -1), "22:30"), occurred_to=_at(r, "06:45"), reported=_at(r, "07:30"),
        recorded=f.recorded, allocated=allocated, first_victim_contact=r, finalised=finalised,
        suspect_status="none", physical_scene="yes", potential_video="yes", residential_setting="yes",
        property_stolen="yes", identifiable_property="yes", statement_taken="yes", screened_in="yes",
        victim_supports="yes", victim_told_of_closure="yes",
        investigator_role="response", student_officer="no", pip_level="pip1",
    )
    return Design(profile, {
        "A3": _a("P", f"Log 3 ({_d(r)} 07:34): told not to touch the rear door; no advice to keep doorbell or CCTV "
                      "footage.", "Log 3"),
        "A4": _a("M", f"Attended {_d(r)} 09:05 (log 6), 1 h 35 min after the call: within the time for the grade.", "Log 6"),
        "A5": _a("M", f"Logs 6-8 ({_d(r)}): area search, first account on body-worn video, property list started.", "Logs 6-8"),
        "B1": _a("M", "Victim 47, no vulnerability, intimidation or repeat factors in the account; standard rights "
                      "recorded (log 9).", "Log 9"),
        "B4": _a("P", f"Victim Support referral {_d(_plus(r, 5))} (log 16), outside 2 working days.", "Log 16"),
        "C1": _a("M", f"Screened in {_d(f.recorded)} (log 10): forensic and CCTV lines listed.", "Log 10"),
        "C3": _a("P", f"Allocated {_d(allocated)} (log 17), {late} working days after recording; no line lost by the "
                      "delay itself.", "Log 17"),
        "D3": _a("P", f"House-to-house {_d(_plus(r, 3))} (log 15): 4 doors, 2 no reply, no return visit; doorbell "
                      "cameras not asked about.", "Log 15"),
        "D4": _a("N", f"Log 14 ({_d(_plus(r, 1))}): victim says No. 12's doorbell camera covers the drive. No request made; "
                      f"log 31 ({_d(_plus(r, 35))}): footage overwritten after 30 days. Time window 22:30-06:45 known: "
                      "realistic prospect of identifying the offender.", "Logs 14, 31", opportunity_known=True, mmo=True),
        "D5": _a("M", f"CSI attended {_d(_plus(r, 1))} (log 13): glove marks only, nothing to submit (CSI report, "
                      "same date).", "Log 13"),
        "D6": _a("P", f"Property listed {_d(r)} (log 8); laptop serial given by the victim (log 11) never "
                      "circulated.", "Logs 8, 11"),
        "F1": _a("P", f"Plan {_d(allocated)} (log 17) reads 'conduct enquiries': no lines or objectives.", "Log 17"),
        "F2": _a("P", f"One supervisory review, {_d(_plus(allocated, 14))} (log 22): 'progress noted'; the outstanding doorbell "
                      "request not picked up.", "Log 22"),
        "G1": _a("P", f"Fortnightly calls agreed (log 9); one update only, {_d(_plus(r, 9))} (log 18).", "Logs 9, 18"),
        "G2": _a("M", f"Closure phoned to the victim {_d(finalised)} (log 34), with the reason.", "Log 34"),
        "H1": _a("M", f"Outcome 18 fits: no suspect identified (log 33, {_d(finalised)}).", "Log 33"),
        "H2": _a("N", f"Closed {_d(finalised)} (log 33) with the doorbell request open since {_d(_plus(r, 1))} (log 14) "
                      "and the house-to-house unfinished (log 15).", "Logs 14, 15, 33"),
        "I1": _a("NR", "No rationale anywhere for not pursuing the doorbell footage: nothing between logs 14 and "
                       "31.", "Logs 14-31"),
    })


def _worked_example_second(f: FileFacts) -> Design:
    """Reviewer B's independent review of the worked example: four genuine differences (A2, D3, H2, I1).
    103 points of 132: S = 78.0; one critical failure (D4) and the MMO: Inadequate.
    """
    r = f.reported
    first = _worked_example(f)
    finalised = first.profile["finalised"]
    return Design(first.profile, first.answers | {
        "A2": _a("P", f"Log 2 ({_d(r)} 07:31): THRIVE text is the template wording; the repeat-victim question is "
                      "blank.", "Log 2"),
        "D3": _a("N", f"Only log 15 ({_d(_plus(r, 3))}): 4 doors three days later, no doorbell or dashcam canvass.", "Log 15"),
        "H2": _a("P", f"At closure ({_d(finalised)}, log 33) the footage was already lost (log 31); the unfinished "
                      "house-to-house was the only line left.", "Logs 31, 33"),
        "I1": _a("M", f"Closure rationale recorded at log 33 ({_d(finalised)}).", "Log 33"),
    })


def _charged_burglary(f: FileFacts) -> Design:
    """Forensic hit acted on, doorbell canvass the same morning, suspect charged with 3 offences taken
    into consideration. 40 items apply (weight 80, maximum 160); 157 points: S = 98.1, Outstanding.
    """
    r = f.reported
    allocated, charged = _plus(f.recorded, 1), _plus(r, 27)
    profile = _profile(
        offence_group="burglary_residential", closed="yes", outcome_type=1,
        occurred_from=_at(r, "01:50"), occurred_to=_at(r, "02:10"), reported=_at(r, "02:14"),
        recorded=f.recorded, allocated=allocated, first_victim_contact=r, finalised=charged,
        suspect_status="arrested_or_interviewed", suspect_arrested="yes", suspect_interviewed="yes",
        suspect_released_pending="yes", charged="yes", physical_scene="yes", potential_video="yes",
        witnesses_exist="yes", residential_setting="yes", property_stolen="yes", identifiable_property="yes",
        property_outstanding="yes", suspect_image_obtained="yes", statement_taken="yes",
        property_seized_or_recovered="yes", screened_in="yes", victim_supports="yes", victim_told_of_closure="yes",
        investigator_role="dedicated_team", student_officer="no", pip_level="pip1",
    )
    return Design(profile, {
        "A4": _a("M", f"Attended {_d(r)} 02:31 (log 4), 17 minutes after the call.", "Log 4"),
        "A5": _a("M", f"Logs 4-7 ({_d(r)} 02:31-03:40): dog-unit area search, description circulated, first account on "
                      "body-worn video, neighbour's details taken.", "Logs 4-7"),
        "B1": _a("M", "Standard rights; no enhanced-rights factor in the account (log 9).", "Log 9"),
        "C1": _a("M", f"Screened in {_d(f.recorded)} (log 13): forensic, doorbell and property lines listed.", "Log 13"),
        "D4": _a("M", f"Doorbell canvass {_d(r)} 09:00-11:30 (log 11): 3 clips seized (DB/1-3), viewed {_d(_plus(r, 1))} "
                      "(log 14), still circulated the same day.", "Logs 11, 14", notable=True),
        "D5": _a("M", f"CSI {_d(r)} 08:15 (log 8); blood on the window frame fast-tracked {_d(r)} (log 12); "
                      f"identification {_d(_plus(r, 5))} (log 19).", "Logs 8, 12, 19", notable=True),
        "E1": _a("M", f"Identified {_d(_plus(r, 5))} (log 19); arrested {_d(_plus(r, 6))} 07:10 (log 20), within 7 "
                      "days.", "Logs 19, 20"),
        "E6": _a("M", f"Three further burglaries taken into consideration at charge (log 41, {_d(charged)}).", "Log 41"),
        "F2": _a("M", f"Supervisory reviews {_d(_plus(allocated, 2))} (log 15), {_d(_plus(r, 13))} (log 27) and "
                      f"{_d(_plus(r, 26))} (log 39), each setting actions and dates.", "Logs 15, 27, 39"),
        "G1": _a("P", f"Weekly updates agreed (log 9); updates {_d(_plus(r, 6))} and {_d(_plus(r, 13))}, then none until "
                      f"the charge on {_d(charged)}.", "Logs 9, 22, 28, 42"),
        "G2": _a("M", f"Arrest ({_d(_plus(r, 6))}, log 22), bail ({_d(_plus(r, 7))}, log 25) and charge ({_d(charged)}, "
                      "log 42) each told to the victim within a working day.", "Logs 22, 25, 42"),
        "H1": _a("M", f"Outcome 1: charged {_d(charged)} on the CPS decision (log 40).", "Log 40"),
        "I2": _a("P", "Doorbell clips exhibited (DB/1-3); the search body-worn video is mentioned at log 6 with no "
                      "reference.", "Log 6"),
    })


def _robbery(f: FileFacts) -> Design:
    """Phone snatched at knifepoint in the street; tracking followed at once, CCTV late, no suspect
    identified. 34 items apply (weight 69, maximum 138); 118 points: S = 85.5, Good.
    """
    r = f.reported
    allocated, finalised = _plus(r, 2), _plus(r, 50)
    profile = _profile(
        offence_group="robbery_personal", closed="yes", outcome_type=18,
        occurred_from=_at(r, "21:38"), occurred_to=_at(r, "21:40"), reported=_at(r, "21:52"),
        recorded=f.recorded, allocated=allocated, first_victim_contact=r, finalised=finalised,
        suspect_status="description_only", potential_video="yes", witnesses_exist="yes", property_stolen="yes",
        identifiable_property="yes", tracked_device="yes", phone_taken="yes", suspect_image_obtained="yes",
        statement_taken="yes", screened_in="yes", victim_supports="yes", victim_told_of_closure="yes",
        investigator_role="cid", student_officer="no", pip_level="pip1",
    )
    return Design(profile, {
        "A4": _a("M", f"Attended {_d(r)} 22:03 (log 5), 11 minutes after the 999 call.", "Log 5"),
        "B1": _a("M", "Victim 34; threatened, but no intimidation or vulnerability factor recorded or shown (log 9).", "Log 9"),
        "B2": _a("P", f"Needs assessment {_d(_plus(r, 1))} (log 11): calls after 18:00 asked for; updates made at 10:00 "
                      "(logs 24, 30).", "Logs 11, 24, 30"),
        "B4": _a("N", "No referral to victim support and no recorded decline.", ""),
        "C1": _a("M", f"Screened in {_d(f.recorded)} (log 10): CCTV, tracking and witness lines listed.", "Log 10"),
        "D2": _a("P", f"Witness 1 statement {_d(_plus(r, 2))} (log 14); witness 2 traced {_d(_plus(r, 3))} (log 16), "
                      "no statement taken.", "Logs 14, 16"),
        "D4": _a("P", f"CCTV requested {_d(_plus(r, 5))} (log 19), after 72 hours; seized and viewed {_d(_plus(r, 8))} (log 21).",
                 "Logs 19, 21"),
        "D7": _a("M", "Find-my-phone location 22:10 (log 6) followed at once; phone found discarded 22:25 (log 7) and "
                      "submitted for prints.", "Logs 6, 7"),
        "D10": _a("NR", "No record that the phone's data or the victim's online accounts were considered.", ""),
        "D11": _a("P", f"CCTV still ({_d(_plus(r, 8))}, log 21) circulated internally only on {_d(_plus(r, 18))} (log 26); "
                       f"PND facial search {_d(_plus(r, 49))} (log 29), no match.", "Logs 21, 26, 29"),
        "F2": _a("M", f"Supervisory reviews {_d(_plus(r, 4))} (log 17) and {_d(_plus(r, 20))} (log 27), each setting actions.",
                 "Logs 17, 27"),
        "F4": _a("P", f"Nothing recorded between log 27 ({_d(_plus(r, 20))}) and log 28 ({_d(_plus(r, 48))}): 28 days, "
                      "no reason given.", "Logs 27, 28"),
        "G1": _a("P", f"Fortnightly updates agreed (log 11); one update, {_d(_plus(r, 10))} (log 24), before closure.",
                 "Logs 11, 24"),
        "G2": _a("M", f"Closure phoned to the victim {_d(finalised)} (log 30) with the reasons.", "Log 30"),
        "H1": _a("M", f"Outcome 18 fits: suspect not identified; CCTV still unmatched (log 29, {_d(_plus(r, 49))}).", "Log 29"),
        "H2": _a("M", "At closure (log 29) every line was done or closed with a reason (CCTV, tracking, witnesses, "
                      "PND).", "Log 29"),
        "H4": _a("P", f"Closure letter {_d(finalised)} (log 30) gives the outcome but no reasons or reopening "
                      "triggers.", "Log 30"),
        "I1": _a("P", "Reason for the 5-day delay in requesting CCTV not recorded; other decisions recorded.", "Log 19"),
    })


def _theft_named_suspect(f: FileFacts) -> Design:
    """Phone pickpocketed; suspect named from CCTV but not interviewed for weeks; victim withdrew; no
    supervisory review at all (F2 Not recorded: a critical failure). 35 items apply (weight 72,
    maximum 144); 109 points: S = 75.7, Adequate, capped at Requires improvement.
    """
    r = f.reported
    allocated, finalised = _plus(r, 1), _plus(r, 22)
    profile = _profile(
        offence_group="theft_from_person", closed="yes", outcome_type=16,
        occurred_from=_at(r, "17:50"), occurred_to=_at(r, "17:55"), reported=_at(r, "18:30"),
        recorded=f.recorded, allocated=allocated, first_victim_contact=_plus(r, 1), finalised=finalised,
        suspect_status="named", potential_video="yes", property_stolen="yes", identifiable_property="yes",
        tracked_device="yes", phone_taken="yes", suspect_image_obtained="yes", statement_taken="yes",
        victim_withdrew_support="yes", screened_in="yes", victim_supports="no", victim_told_of_closure="yes",
        investigator_role="neighbourhood", student_officer="yes", pip_level="none",
    )
    return Design(profile, {
        "A4": _a("M", f"Appointment {_d(_plus(r, 1))} (log 8), as the THRIVE at log 3 decided: no live scene.", "Logs 3, 8"),
        "A5": _a("P", f"Description circulated {_d(r)} 19:05 (log 5); no area search; tracked location not visited that evening.",
                 "Log 5"),
        "B1": _a("M", "Victim 29; no enhanced-rights factor in the account (log 3).", "Log 3"),
        "B5": _a("N", "No contact preference or update frequency recorded anywhere.", ""),
        "C1": _a("M", f"Screened in {_d(f.recorded)} (log 6): tracking, CCTV and suspect lines.", "Log 6"),
        "D4": _a("M", f"Station CCTV requested {_d(_plus(r, 3))} (log 11), within 72 hours; viewed {_d(_plus(r, 4))} "
                      "(log 12): still of the suspect taken.", "Logs 11, 12"),
        "D7": _a("P", f"Find-my-phone screenshot {_d(r)} 18:40 (log 4); address visited {_d(_plus(r, 2))} (log 10), "
                      "phone gone.", "Logs 4, 10"),
        "D10": _a("NR", "No record of IMEI blocking, resale or online checks.", ""),
        "D11": _a("P", f"Still from CCTV ({_d(_plus(r, 4))}, log 12) shown to local officers only; no PND facial "
                       "search.", "Log 12"),
        "E1": _a("P", f"Suspect named {_d(_plus(r, 5))} (log 13); voluntary interview first arranged for {_d(_plus(r, 21))} "
                      "(log 17), past the 7-day target.", "Logs 13, 17"),
        "F1": _a("P", f"Plan {_d(allocated)} (log 7) lists CCTV only; tracking and suspect lines missing.", "Log 7"),
        "F2": _a("NR", f"No supervisory review anywhere between allocation ({_d(allocated)}) and finalisation "
                       f"({_d(finalised)}).", "Logs 7-18"),
        "F4": _a("P", f"Nothing recorded between log 13 ({_d(_plus(r, 5))}) and log 16 ({_d(_plus(r, 19))}) while the named "
                      "suspect waited for interview.", "Logs 13, 16"),
        "G1": _a("N", f"No update between {_d(_plus(r, 1))} (log 8) and {_d(_plus(r, 19))} (log 16), and then only because "
                      "the victim phoned.", "Logs 8, 16"),
        "G2": _a("M", f"Closure told to the victim {_d(finalised)} (log 19), within 5 working days.", "Log 19"),
        "G3": _a("P", f"Withdrawal statement {_d(_plus(r, 19))} (log 16) with her reasons; no VRR information given.", "Log 16"),
        "H1": _a("M", "Outcome 16 fits: suspect named (log 13), victim withdrew support (log 16).", "Logs 13, 16"),
        "H2": _a("M", "With the victim's withdrawal (log 16) no evidence-led line was realistic: the CCTV does not show "
                      "the theft (log 12).", "Logs 12, 16"),
        "H4": _a("P", f"Outcome told by text {_d(finalised)} (log 19), without the reasons or review rights.", "Log 19"),
        "I1": _a("P", f"Reason for leaving the interview until {_d(_plus(r, 21))} not recorded.", "Log 17"),
    })


def _vehicle(f: FileFacts) -> Design:
    """Motorcycle stolen from a street bay; ANPR hits left for a week, no plan, victim told late.
    31 items apply (weight 63, maximum 126); 91 points: S = 72.2, Adequate.
    """
    r = f.reported
    finalised = _plus(r, 26)
    profile = _profile(
        offence_group="vehicle_theft_of", closed="yes", outcome_type=18,
        occurred_from=_at(_plus(r, -3), "18:00"), occurred_to=_at(r, "08:00"), reported=_at(r, "09:00"),
        recorded=f.recorded, allocated=_plus(r, 2), first_victim_contact=r, finalised=finalised,
        suspect_status="none", potential_video="yes", property_stolen="yes", identifiable_property="yes",
        vehicle_involved="yes", statement_taken="yes", screened_in="yes", victim_supports="yes",
        victim_told_of_closure="yes", investigator_role="response", student_officer="no", pip_level="pip1",
    )
    return Design(profile, {
        "A4": _a("M", "Not attended, as the THRIVE at log 3 decided (no scene, no live lead); seen at the front "
                      f"counter {_d(r)}.",
                 "Log 3"),
        "A5": _a("P", f"Circulated as stolen on PNC {_d(r)} 18:05 (log 5), 9 hours after the report.", "Log 5"),
        "B1": _a("M", "Victim 52, a courier; no enhanced-rights factor in the account (log 4).", "Log 4"),
        "B2": _a("NR", "No needs assessment in the file.", ""),
        "B4": _a("P", f"Referral {_d(_plus(r, 6))} (log 11), outside 2 working days.", "Log 11"),
        "C1": _a("M", f"Screened in {_d(f.recorded)} (log 6): registration known, ANPR and CCTV lines.", "Log 6"),
        "D4": _a("P", f"Street CCTV requested {_d(_plus(r, 4))} (log 10), after 72 hours; viewed {_d(_plus(r, 9))} (log 12); "
                      "exit-route cameras not requested.", "Logs 10, 12"),
        "D6": _a("P", "VIN and registration recorded (log 5); no marker for the parts or the plates.", "Log 5"),
        "D8": _a("P", f"ANPR hits {_d(_plus(r, 2))} (log 8) not actioned until {_d(_plus(r, 9))} (log 12).", "Logs 8, 12"),
        "F1": _a("NR", "No investigation plan recorded.", ""),
        "F2": _a("P", f"One supervisory review, {_d(_plus(r, 25))} (log 14): 'file for closure', no actions set.", "Log 14"),
        "F4": _a("P", f"Nothing recorded between log 12 ({_d(_plus(r, 9))}) and log 14 ({_d(_plus(r, 25))}).", "Logs 12, 14"),
        "G1": _a("P", f"Weekly updates agreed (log 4); one update, {_d(_plus(r, 12))} (log 13).", "Logs 4, 13"),
        "G2": _a("P", f"Closure ({_d(finalised)}, log 15) told by letter {_d(_plus(finalised, 12))} (log 16), after 5 "
                      "working days.",
                 "Logs 15, 16"),
        "H1": _a("M", "Outcome 18 fits: no suspect identified, vehicle not recovered (log 15).", "Log 15"),
        "H2": _a("M", "ANPR and CCTV lines finished before closure (logs 12, 14); nothing reasonable left.", "Logs 12, 14"),
        "H4": _a("P", f"Letter {_d(_plus(finalised, 12))} (log 16) gives the outcome but no reopening triggers.", "Log 16"),
        "I1": _a("P", "No reason recorded for leaving the ANPR hits for a week.", "Log 12"),
        "I2": _a("P", "CCTV viewed (log 12) but not exhibited or referenced.", "Log 12"),
    })


def _in_progress(f: FileFacts) -> Design:
    """Wallet and phone taken in a bar; the profile is recorded and sections A and B answered, the
    rest still to do (what a reviewer's half-finished review looks like)."""
    r = f.reported
    profile = _profile(
        offence_group="theft_from_person", closed="yes", outcome_type=18,
        occurred_from=_at(r, "20:15"), occurred_to=_at(r, "21:30"), reported=_at(r, "22:05"),
        recorded=f.recorded, allocated=_plus(r, 3), first_victim_contact=r, finalised=_plus(r, 30),
        suspect_status="none", potential_video="yes", property_stolen="yes", identifiable_property="yes",
        phone_taken="yes", screened_in="yes", victim_supports="yes", victim_told_of_closure="yes",
    )
    return Design(profile, {
        "A1": _a("M"),
        "A2": _a("P", f"Log 2 ({_d(r)} 22:07): THRIVE recorded, but engagement and repeat victimisation left blank.", "Log 2"),
        "A3": _a("M"),
        "A4": _a("M", f"Telephone resolution {_d(r)} 22:40 (log 4), as the THRIVE decided: no scene.", "Log 4"),
        "A5": _a("N", f"Bar CCTV not requested that night; no action recorded until {_d(_plus(r, 3))} (log 7).", "Log 7"),
        "B1": _a("M", "No enhanced-rights factor in the account (log 4).", "Log 4"),
        "B2": _a("M"),
        "B3": _a("M"),
    }, complete=False)


EXAMPLES: tuple[Example, ...] = (
    Example(CHARGED_BURGLARY, "burglary", ("Awaiting court outcome",), REVIEWER_A, _charged_burglary,
            "Outstanding, with notable practice; signed off by the lead auditor"),
    Example(WORKED_EXAMPLE, "burglary", ("Investigation complete; no suspect identified",), REVIEWER_A, _worked_example,
            "the brief's worked example: a material missed opportunity makes it Inadequate; double-reviewed"),
    Example(ROBBERY, "robbery", ("Investigation complete; no suspect identified",), REVIEWER_B, _robbery, "Good"),
    Example(THEFT_NAMED_SUSPECT, "theft_from_person", ("Unable to prosecute suspect",), REVIEWER_A, _theft_named_suspect,
            "a critical failure caps an Adequate score at Requires improvement"),
    Example(VEHICLE, "vehicle", ("Investigation complete; no suspect identified",), REVIEWER_B, _vehicle, "Adequate"),
    Example(IN_PROGRESS, "theft_from_person", ("Investigation complete; no suspect identified",), REVIEWER_B, _in_progress,
            "left in progress"),
)


def example_files(files: Sequence[workspace.FileSummary]) -> dict[str, str]:
    """Which sampled file each example review takes: the first unused selected file of its offence
    group with a preferred police.uk outcome, else the first unused one of the group.

    :param files: the sample as :func:`workspace.overview` lists it (by stratum, then rank).
    """
    chosen: dict[str, str] = {}
    for example in EXAMPLES:
        free = [f for f in files if f.offence_group == example.group and f.status != workspace.REPLACED
                and f.ref not in chosen.values()]
        preferred = [f for f in free if f.outcome in example.outcomes]
        if not (preferred or free):
            raise AuditError(f"The demo sample has no {example.group} file left for the example '{example.name}'.")
        chosen[example.name] = (preferred or free)[0].ref
    return chosen


# -- building -------------------------------------------------------------------------------------


@dataclass
class _Builder:
    """Builds the demo inside an open, new audit, step by step, reporting progress."""

    audit: Audit
    facts: dict[str, FileFacts]
    progress: Progress | None
    done: int = 0
    people: dict[str, Reviewer] = field(default_factory=dict)

    # created, imported, sampled, reviewers added, each example, second review, moderation, sign-off
    STEPS = 4 + len(EXAMPLES) + 3

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.STEPS)

    def run(self, enriched: Path) -> None:
        self.step()  # the enriched copy is written and the audit created
        self.audit.import_population(enriched, preset="police-uk", scope=SCOPE_FILTER, actor=DEMO_ACTOR)
        self.step()
        self.audit.draw_sample(SAMPLE, actor=DEMO_ACTOR)
        self.step()
        for name, staff, role in (LEAD, REVIEWER_A, REVIEWER_B):
            self.people[name] = ensure_reviewer(self.audit, name, staff, role, actor=DEMO_ACTOR)
        self.step()
        chosen = example_files(workspace.overview(self.audit))
        reviews = {}
        for example in EXAMPLES:
            ref = chosen[example.name]
            reviews[example.name] = self.record(ref, self.people[example.reviewer[0]], "primary", example.design(self.facts[ref]))
            self.step()
        self._double_review(chosen[WORKED_EXAMPLE])
        sign_off(self.audit, reviews[CHARGED_BURGLARY], self.people[LEAD[0]])
        self.step()

    def record(self, ref: str, reviewer: Reviewer, role: str, design: Design, actor: str | None = None) -> int:
        """Record one designed review (one transaction): profile, answers, and completion."""
        audit = self.audit
        with audit.database.transaction():
            review = start_review(audit, ref, reviewer, role, training=True, actor=actor)
            for field_id, value in design.profile.items():
                set_profile_value(audit, review.id, field_id, value)
            applicable = {item for item, applies in review_result(audit, review.id).applicability.items() if applies}
            stray = sorted(set(design.answers) - applicable)
            if stray:  # a design error: an answer to an item the profile makes not applicable
                raise AssertionError(f"demo design for {ref}: {', '.join(stray)} do not apply")
            for item_id in audit.checklist.items:
                answer = design.answers.get(item_id, AnswerInput("M") if design.complete and item_id in applicable else None)
                if answer is not None:
                    set_answer(audit, review.id, item_id, answer)
            if design.complete:
                set_review_status(audit, review.id, "complete")
        return review.id

    def _double_review(self, ref: str) -> None:
        """Reviewer B's independent second review of the worked example, and one difference agreed."""
        lead = self.people[LEAD[0]]
        self.record(ref, self.people[REVIEWER_B[0]], "second", _worked_example_second(self.facts[ref]), actor=lead.display)
        self.step()
        agreed = _a("P", "Log 2: THRIVE is the template wording; repeat-victim question blank.", "Log 2")
        moderation.record_agreed(self.audit, ref, "A2", agreed,
                                 "Both reviewers re-read log 2: an assessment exists but is generic, so Partly met.", lead)
        self.step()
