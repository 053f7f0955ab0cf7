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


# -- Messages of domain errors: shown to the user, so marked like any other text ----------------

ERROR_BASES = {
    "DomainError", "ValidationError", "NotFound", "Conflict", "InsufficientStock",
    "CreditLimitExceeded", "AuthError", "Forbidden", "LockedOut",
}  # fmt: skip


def error_classes(sources: dict[str, str]) -> set[str]:
    """Every class name in `sources` that derives, at any depth, from a domain error."""
    import ast

    found = set(ERROR_BASES)
    defined: list[tuple[str, list[str]]] = []
    for source in sources.values():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                bases = [
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                ]
                defined.append((node.name, bases))
    grew = True
    while grew:
        grew = False
        for name, bases in defined:
            if name not in found and any(b in found for b in bases):
                found.add(name)
                grew = True
    return found


def _is_text(node: object) -> bool:
    """Whether an expression builds English text itself instead of taking it from a mark."""
    import ast

    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and WORD.search(node.value) is not None
    if isinstance(node, ast.JoinedStr):
        return any(_is_text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and _is_text(node.func.value)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    return False


def unmarked_calls(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, text) of each call of one of `names` (a function or class, by its last name) whose
    message (first argument, `message=`, or a value of `fields={...}`) is English text built in
    place instead of taken from a mark."""
    import ast

    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in names:
            continue
        messages = list(node.args[:1]) + [k.value for k in node.keywords if k.arg == "message"]
        for keyword in node.keywords:
            if keyword.arg == "fields" and isinstance(keyword.value, ast.Dict):
                messages.extend(v for v in keyword.value.values if v is not None)
        for message in messages:
            if _is_text(message):
                found.append((node.lineno, ast.unparse(message)[:80]))
    return found


def unmarked_errors(source: str, classes: set[str]) -> list[tuple[int, str]]:
    """(line, text) of each domain error made with an English message not marked with `_()`."""
    return unmarked_calls(source, classes)
