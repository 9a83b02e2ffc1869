"""The Qt-free core: checklists, expressions, scoring (and later sampling and statistics)."""
