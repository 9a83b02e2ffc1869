"""The new-audit wizard: details, checklist, population import, sample design, then the draw.

Pages are built in code and call the services (``setup``, ``population``, ``sampling``; never
SQL). Anything that reads a file or the audit runs as a background
:class:`~audit_app.ui.workers.Task`; one on the audit runs its service call on its own connection
(:func:`~audit_app.ui.workers.on_audit`), so the window never freezes.

The audit file is created when the auditor leaves the Checklist page (a commit page: there is no
way back past it). From then on nothing is lost: cancelling keeps the unfinished audit and says
where it is, and ``NewAuditWizard(..., resume_path=PATH)`` carries on at the first step not done.

Layout: ``wizard.py`` holds the QWizard (page order, resume, cancel, finish); one module per page
(``details_page``, ``checklist_page``, ``population_page``, ``summary_page``, ``design_page``,
``draw_page``); ``context.py`` is what the pages share at run time and ``widgets.py`` the small
widgets and helpers they share.
"""

from audit_app.ui.wizard.wizard import (
    PAGE_CHECKLIST,
    PAGE_DESIGN,
    PAGE_DETAILS,
    PAGE_DRAW,
    PAGE_POPULATION,
    PAGE_SUMMARY,
    NewAuditWizard,
)

__all__ = [
    "PAGE_CHECKLIST",
    "PAGE_DESIGN",
    "PAGE_DETAILS",
    "PAGE_DRAW",
    "PAGE_POPULATION",
    "PAGE_SUMMARY",
    "NewAuditWizard",
]
