"""The till's scripts hold no user-visible English: every word they show comes from t()/tn().

The rule is kept simple: a string literal (a template literal with its ${…} taken out, and any
HTML tags in it) that still holds two or more English words separated by a space is text a
person reads, unless it stands where only technical strings go: a class list (`className =`,
`classList.add(`…), a selector (`querySelector(`, `closest(`…), a style sheet
(`style.textContent =`) or a console message.
Single words and keys ("till.pay.change"), selectors, event names and URLs have no space
between two words, so they pass on their own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "static" / "js" / "pos").glob("*.js")) + [
    ROOT / "static" / "js" / name for name in ("pos.js", "display.js", "receipt.js")
]
TWO_WORDS = re.compile(r"[A-Za-z]{2,}[^\S\n]+[A-Za-z]{2,}")
TAG = re.compile(r"<[^<>]*>")
# Code right before a literal that makes it technical (a class list, a selector, a log line).
TECHNICAL_BEFORE = re.compile(
    r"(className\s*\+?=\s*|classList\.\w+\(\s*|(querySelector(All)?|closest|matches)\(\s*"
    r"|console\.\w+\(\s*|style\.textContent\s*=\s*)$"
)
# After these a "/" starts a regular expression, not a division.
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {""}


def literals(source: str) -> list[tuple[str, str]]:
    """Every string literal in a script as (the code before it, its text without ${…})."""
    found: list[tuple[str, str]] = []
    _scan(source, 0, found, stop_at_brace=False)
    return found


def _scan(source: str, i: int, found: list[tuple[str, str]], stop_at_brace: bool) -> int:
    depth = 0
    last = ""  # the last significant character, to tell a regex from a division
    while i < len(source):
        char = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i)
            i = len(source) if i < 0 else i
            continue
        if source.startswith("/*", i):
            i = source.index("*/", i) + 2
            continue
        if char in "\"'`":
            start = i
            i, text = _string(source, i, found)
            found.append((source[max(0, start - 60) : start], text))
            last = char
            continue
        if char == "/" and (
            last in REGEX_AFTER or re.search(r"\b(return|typeof|case)\s*$", source[:i])
        ):
            i = _regex(source, i)
            last = "/"
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if stop_at_brace and depth == 0:
                return i + 1
            depth -= 1
        if not char.isspace():
            last = char if not (char.isalnum() or char in "_$)].") else "a"
        i += 1
    return i


def _string(source: str, i: int, found: list[tuple[str, str]]) -> tuple[int, str]:
    quote, i, text = source[i], i + 1, []
    while source[i] != quote:
        if source[i] == "\\":
            text.append(source[i : i + 2])
            i += 2
        elif quote == "`" and source.startswith("${", i):
            # The expression inside is code: its own literals are checked on their own.
            i = _scan(source, i + 2, found, stop_at_brace=True)
            text.append(" ")
        else:
            text.append(source[i])
            i += 1
    return i + 1, "".join(text)


def _regex(source: str, i: int) -> int:
    i += 1
    in_class = False
    while source[i] != "/" or in_class:
        if source[i] == "\\":
            i += 1
        elif source[i] == "[":
            in_class = True
        elif source[i] == "]":
            in_class = False
        i += 1
    return i + 1


def user_visible(script: str) -> list[str]:
    """The literals of a script that a person would read, by the rule above."""
    shown = []
    for before, text in literals(script):
        if TECHNICAL_BEFORE.search(before) or text.strip() == "use strict":
            continue
        text = TAG.sub(" ", text)
        if TWO_WORDS.search(text):
            shown.append(" ".join(text.split())[:80])
    return shown


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_a_till_script_shows_no_english_of_its_own(script: Path) -> None:
    assert user_visible(script.read_text("utf-8")) == []


def test_the_rule_finds_sentences_and_passes_technical_strings() -> None:
    script = """
    // a comment's "quoted words" are not code
    const re = /"[a-z]+ x"/g;
    el.className = "list-group-item text-body-secondary small";
    li.classList.add("d-flex gap-2");
    const row = root.querySelector(".cart-table tbody tr");
    note(t("till.pay.change"), "keydown", "/pos/held", `${a} ${b}`);
    say("Starting the camera…");
    tr.innerHTML = `<td class="col-idx num"></td><td>${name} is out</td>`;
    const words = held ? "in stock" : `${n} left ${unit} here`;
    """
    assert user_visible(script) == ["Starting the camera…", "is out", "in stock", "left here"]
