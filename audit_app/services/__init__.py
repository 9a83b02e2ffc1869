"""Services: the one face the CLI and the GUI call. They own transactions, file I/O and the audit trail.

Every call has the shape ``services.<area>.<verb>(audit, ...)`` on the :class:`audits.Audit` handle;
each user action is one write transaction that appends its event. The areas:

- ``checklists``: bundled checklists, loading by id or path, validation, the schema, an outline;
- ``audits``: create and open an audit file, the ``Audit`` handle, a call on its own connection;
- ``setup``: what the new-audit wizard reads: checklist choices, the new file, how far set-up got;
- ``population``: preview a population file, import it, what was imported;
- ``sampling``: sample sizes, the design preview, the draw, the drawn sample, replacements;
- ``reviews``: reviewers, reviews, profile values, answers, drafts, sign-off, answers captured elsewhere;
- ``moderation``: where two reviews of a file differ, and the agreed answers;
- ``workspace``: the sample with its state, grades, results so far, a file's history;
- ``verification``: integrity, the trail's chain, its replay, the sample re-derived;
- ``demo``: the demo audit built from the bundled police.uk data.
"""

from audit_app.services.checklists import (  # noqa: F401  (the public service API)
    ChecklistSummary,
    bundled_checklists,
    checklist_outline,
    checklist_schema,
    open_checklist,
    resolve_checklist,
    validate_checklist_files,
)
