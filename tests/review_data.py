"""Review data shared by tests: a residential-burglary file profile whose applicable items are hand-counted."""

import datetime as dt

NOTE = "Log 7, 10/01/2025"

# A residential burglary closed as outcome 18, screened in, reported 6.5 hours after the offence,
# with a physical scene and possible video and no other opportunity. By the brief's table exactly
# 30 items apply:
#   always:               A1 1, A2 2, A4 2, B1 3, B2 2, B3 1, B4 1, B5 1, C1 3, D1 2, D9 2, D12 1, F4 2, I1 1, I2 1  (25)
#   screened in / closed:  C2 2, C3 1, F1 3, F2 3, F3 3, G1 2, G2 3, H1 3, H2 3, H4 2                                 (25)
#   from the flags:        A3 2, A5 3, D3 2 (burglary), D4 3, D5 3                                                     (13)
# total weight 63, maximum points 126.
APPLICABLE = (
    "A1 A2 A3 A4 A5 B1 B2 B3 B4 B5 C1 C2 C3 D1 D3 D4 D5 D9 D12 F1 F2 F3 F4 G1 G2 H1 H2 H4 I1 I2".split()
)
BURGLARY = {
    "offence_group": "burglary_residential",
    "summary_only_offence": "no",
    "closed": "yes",
    "outcome_type": 18,
    "occurred_to": dt.datetime(2025, 1, 10, 1, 0),
    "reported": dt.datetime(2025, 1, 10, 7, 30),
    "recorded": dt.date(2025, 1, 10),
    "allocated": dt.date(2025, 1, 13),
    "finalised": dt.date(2025, 2, 20),
    "suspect_status": "none",
    "screened_in": "yes",
    "physical_scene": "yes",
    "potential_video": "yes",
    "victim_told_of_closure": "yes",
    "victim_supports": "yes",
}
NO_FLAGS = (
    "suspect_arrested suspect_interviewed suspect_released_pending charged oocd_given witnesses_exist "
    "eyewitness_can_identify residential_setting property_stolen identifiable_property property_outstanding "
    "tracked_device vehicle_involved suspect_image_obtained phone_taken suspect_comms_known online_listing "
    "under_18 vulnerable intimidated repeat_or_persistent hate_flag da_flag victim_withdrew_support "
    "statement_taken property_seized_or_recovered"
).split()
PROFILE = BURGLARY | {flag: "no" for flag in NO_FLAGS}


def audit_with_reviews(folder, reviewers):
    """A small audit (30 files, a sample of 3) in ``folder`` with one review started per reviewer
    (``(name, staff number)``), each on its own file: ``(path, review ids, item ids)``."""
    from audit_app.services import population, sampling
    from audit_app.services.audits import create_audit
    from audit_app.services.reviews import ensure_reviewer, start_review

    source = folder / "pop.csv"
    source.write_text("crime_ref,offence\n" + "".join(f"R{i},Burglary\n" for i in range(30)), encoding="utf-8")
    path = folder / "small.audit"
    with create_audit(path, "neighbourhood-crime", "A small audit") as audit:
        population.import_population(audit, source)
        refs = sampling.draw_sample(audit, sampling.SampleRequest(size=3, seed="small")).selected
        ids = [start_review(audit, ref, ensure_reviewer(audit, name, staff)).id for ref, (name, staff) in zip(refs, reviewers)]
        items = list(audit.checklist.items)
    return path, ids, items
