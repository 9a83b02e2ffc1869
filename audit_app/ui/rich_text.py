"""Text for Qt's rich-text labels."""

from __future__ import annotations

import html


def escape(text: str) -> str:
    """Escape text for a rich-text label: &, < and > only (Qt's rich text does not know &#x27;)."""
    return html.escape(text, quote=False)
