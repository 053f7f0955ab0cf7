"""Find user-visible English in a template that is not marked for translation.

The template's Jinja is taken out first: comments, `{% trans %}…{% endtrans %}` blocks,
`{{ … }}` expressions (a marked message is `{{ _("…") }}`) and `{% … %}` statements, and the
contents of <script> and <style>. What is left is HTML: its text, and the attributes people
read (title, placeholder, aria-label, alt, a button's value), must hold no word of English.
Words that are the same in every language a shop uses (GST, HSN, UPI, ₹, units) may stay.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

JINJA = re.compile(
    r"\{#.*?#\}|\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}",
    re.S,
)
HIDDEN = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.S | re.I)
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-bs-title")
WORD = re.compile(r"[A-Za-z]{2,}")
# The same in Hindi and Marathi as in English (shops write them so), and units.
KEPT = {
    "GST", "GSTIN", "HSN", "SAC", "UPI", "UTR", "PAN", "CGST", "SGST", "IGST", "MRP", "QR",
    "PDF", "CSV", "XML", "API", "ID", "OK", "PIN", "SKU", "EAN", "TillBook", "kg", "pcs", "ml",
    "WhatsApp", "Tally", "USB", "ESC", "POS", "Wi", "Fi", "LAN", "HTTPS", "URL", "PLU", "GS",
    "mm", "px", "KB", "MB", "Dr", "Cr", "NEFT", "IMPS", "RTGS",
}  # fmt: skip


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_data(self, data: str) -> None:
        self._check(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in READ_ATTRIBUTES:
            self._check(values.get(name) or "")
        if tag == "input" and values.get("type") in ("submit", "button"):
            self._check(values.get("value") or "")

    def _check(self, text: str) -> None:
        words = [w for w in WORD.findall(text) if w not in KEPT]
        if words:
            self.found.append(" ".join(text.split())[:80])


def unmarked(source: str) -> list[str]:
    """The pieces of English a template shows without marking them for translation."""
    stripped = JINJA.sub(" ", source)
    stripped = HIDDEN.sub(" ", stripped)
    parser = _Text()
    parser.feed(stripped)
    parser.close()
    return parser.found
