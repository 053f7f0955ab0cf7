"""Text made in Python is marked too: every domain error's message (forms and the API show
them) and everything the command line says."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.i18n.scan import error_classes, unmarked_calls, unmarked_errors

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    str(path.relative_to(ROOT)): path.read_text("utf-8")
    for path in sorted((ROOT / "posapp").rglob("*.py"))
}
# What the command line prints or asks: click's output and its errors.
CLI_CALLS = {"echo", "secho", "confirm", "prompt", "ClickException", "UsageError", "NoTerminal"}


def test_every_domain_error_message_is_marked() -> None:
    classes = error_classes(SOURCES)
    found = [
        f"{name}:{line}: {text}"
        for name, source in SOURCES.items()
        for line, text in unmarked_errors(source, classes)
    ]
    assert found == [], "mark these messages with posapp.i18n `_()` (named placeholders)"


def _developer_lines(source: str) -> set[int]:
    """The lines of the commands for developers (docstring "(developers) …"): English only."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and (ast.get_docstring(node) or "").startswith(
            "(developers)"
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def test_what_the_command_line_says_is_marked() -> None:
    source = SOURCES["posapp/cli.py"]
    developers = _developer_lines(source)
    assert developers, "the developer commands are recognised by their docstring"
    found = [
        f"{line}: {text}"
        for line, text in unmarked_calls(source, CLI_CALLS)
        if line not in developers
    ]
    assert found == []


def test_the_scanner_finds_english_made_in_place_and_passes_marks() -> None:
    source = """
class ShelfError(Conflict):
    pass

def f(n, name):
    raise ValidationError("Enter a name.", field="name")
    raise ShelfError(f"No room for {name}.")
    raise NotFound("Product %s" % name)
    raise ValidationError(_("Enter a name."), fields={"a": "Too long", "b": _("Fine")})
    raise Conflict(_("Order %(n)s is done.", n=n))
    raise ValueError("internal")
    error = ValidationError(message="Bad " + name)
    raise ValidationError(reason)
"""
    classes = error_classes({"x.py": source})
    assert "ShelfError" in classes
    assert [line for line, _text in unmarked_errors(source, classes)] == [6, 7, 8, 9, 12]
