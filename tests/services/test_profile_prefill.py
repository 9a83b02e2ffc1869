"""A review starts with what the population already settles: recorded like a typed value, marked
as from the population, replayed by verify, and the reviewer's to change."""

import csv
import datetime as dt

import pytest

from audit_app.services import population, sampling
from audit_app.services.audits import create_audit
from audit_app.services.reviews import (
    ensure_reviewer,
    prefilled_fields,
    review_result,
    review_state,
    set_profile_value,
    start_review,
    unstarted_state,
)
from audit_app.services.sampling import SampleRequest
from audit_app.services.verification import verify
from audit_app.store import events

HEADER = ["Crime ID", "Month", "LSOA name", "Crime type", "Last outcome category", "Recorded date"]
# A police.uk-shaped export with a recorded-date column, as a force's own export has.
ROWS = [
    ["T1", "2025-01", "Camden 027C", "Theft from the person", "Under investigation", "2025-01-17"],
    ["B1", "2025-01", "Camden 027C", "Burglary", "Under investigation", "18/01/2025"],
    ["V1", "2025-01", "Camden 027C", "Vehicle crime", "Under investigation", ""],
]


@pytest.fixture
def audit(tmp_path):
    source = tmp_path / "export.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *ROWS])
    with create_audit(tmp_path / "a.audit", "neighbourhood-crime", "Prefill") as audit:
        population.import_population(audit, source, preset="police-uk")
        sampling.draw_sample(audit, SampleRequest(size=3, seed="prefill"))
        yield audit


def test_a_review_starts_with_what_the_population_settles(audit):
    ann = ensure_reviewer(audit, "Ann Reviewer", "101")
    theft = start_review(audit, "T1", ann)
    assert review_state(audit, theft.id).profile == {"offence_group": "theft_from_person", "recorded": dt.date(2025, 1, 17)}
    assert prefilled_fields(audit, theft) == {"offence_group", "recorded"}
    logged = [e.detail for e in events.iterate(audit.db, "review", str(theft.id)) if e.action == "profile.set"]
    assert logged == [
        {"field": "offence_group", "old": None, "new": "theft_from_person", "source": "population"},
        {"field": "recorded", "old": None, "new": "2025-01-17", "source": "population"},
    ]
    # the prefilled facts count as recorded: they are not in what is missing
    assert not {m.target for m in review_result(audit, theft.id).missing} & {"offence_group", "recorded"}
    assert verify(audit).ok


def test_burglary_leaves_residential_or_business_to_the_reviewer(audit):
    ann = ensure_reviewer(audit, "Ann Reviewer", "101")
    burglary = start_review(audit, "B1", ann)
    assert review_state(audit, burglary.id).profile == {"recorded": dt.date(2025, 1, 18)}
    vehicle = start_review(audit, "V1", ann)
    assert review_state(audit, vehicle.id).profile == {}
    assert "offence_group" in {m.target for m in review_result(audit, burglary.id).missing}


def test_a_prefilled_value_changed_by_the_reviewer_is_theirs(audit):
    ann = ensure_reviewer(audit, "Ann Reviewer", "101")
    theft = start_review(audit, "T1", ann)
    set_profile_value(audit, theft.id, "recorded", dt.date(2025, 1, 18))
    assert prefilled_fields(audit, theft) == {"offence_group"}
    assert review_state(audit, theft.id).profile["recorded"] == dt.date(2025, 1, 18)
    assert verify(audit).ok


def test_a_file_not_started_shows_what_its_start_will_prefill_and_records_nothing(audit):
    ann = ensure_reviewer(audit, "Ann Reviewer", "101")
    before = events.count(audit.db)
    state = unstarted_state(audit, "T1", ann)
    assert state.profile == {"offence_group": "theft_from_person", "recorded": dt.date(2025, 1, 17)}
    assert prefilled_fields(audit, state.review) == {"offence_group", "recorded"}
    assert events.count(audit.db) == before
    started = start_review(audit, "T1", ann)
    assert review_state(audit, started.id).profile == state.profile
