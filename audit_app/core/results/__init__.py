"""The audit's results: estimates against the tolerable rate, weighted where the design requires,
grade shares, and agreement between reviewers (statistics.md §1.1, §3, §3.1, §3.2, §4).

Qt-free and SQL-free: the services gather :class:`~audit_app.core.results.model.FileInput` and
:class:`~audit_app.core.results.model.RatedPair` records from the audit, and
:mod:`~audit_app.core.results.estimates` and :mod:`~audit_app.core.results.agreement` compute the
frozen :mod:`~audit_app.core.results.model` records that the CLI, the GUI and the reports show.
"""
