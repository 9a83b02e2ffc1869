"""The core: the domain's rules and records, with no Qt, no SQL and no files of the audit's own.

``checklist`` (with ``checklist_format`` and ``expressions``) loads and validates checklists;
``profile`` checks file-profile values; ``scoring`` scores and grades a review; ``sampling`` and
``statistics`` size, allocate and draw samples; ``population`` reads population exports; ``records``
holds the plain records that cross the layers (reviewers, reviews, answers, plans …).
"""
