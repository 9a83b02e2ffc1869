"""Entry point: ``audit-app`` and ``python -m audit_app``."""

from __future__ import annotations

import sys

from audit_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
