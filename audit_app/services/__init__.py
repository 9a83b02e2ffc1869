"""Services: the only entry points the CLI and the GUI call. They own transactions and file I/O.

``checklists`` lists, loads and validates checklists; ``audits`` creates and opens audit files
and everything done within one (import, sampling, reviews, verification).
"""

from audit_app.services.checklists import (  # noqa: F401  (the public service API)
    ChecklistSummary,
    bundled_checklists,
    checklist_schema,
    open_checklist,
    resolve_checklist,
    validate_checklist_files,
)
