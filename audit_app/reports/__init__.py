"""PDF reports: reportlab rendering of frozen data the services gathered (no Qt, no SQL).

``document`` is the foundation every report builds on (fonts, pages, navigation, safe text);
``data`` holds the frozen records a report renders; one module per kind of report renders them.
"""
