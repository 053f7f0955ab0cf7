"""Search keys across scripts: "cheeni", "chini" and "चीनी" all become the key "cini".

A shop names a product "चीनी 1 kg" and a cashier types "chini", or the other way round. Both
the product's words and the typed words are turned into one loose phonetic key per word, and
search compares keys (services/catalog.py, after the ordinary search). No library: the table
below covers Devanagari (Hindi, Marathi); other scripts pass through lower-cased.

1. Words are runs of letters, digits and combining marks, after Unicode NFD (so "क़" is "क"
   and a nukta, and Latin accents come off: "é" is "e").
2. Devanagari is romanised syllable by syllable (ITRANS-like: "ी" is "ii", "ू" is "uu", "श"
   and "ष" are "sh", "च" is "ch", "छ" is "chh", a nukta makes "क़" "q", "ज़" "z", "फ़" "f",
   "ड़" "r"). A consonant without a vowel sign carries the inherent "a", except
   - after a virama (halant): "शक्कर" is "shakkar";
   - at the end of a word of two or more syllables: "दाल" is "daal", not "daala";
   - between a vowelled syllable and a vowelled consonant (Hindi schwa deletion, decided
     from the right): "नमकीन" is "namkiin", "सरसों" is "sarson", but "चावल" is "chaaval".
   Anusvara and chandrabindu are "n" ("m" before p, b, bh, m): "मूंग" is "muung".
   Devanagari digits are ASCII digits.
3. The loose key of a (romanised or typed) Latin word:
   - x is ks; a c not followed by h is k ("coffee" and "कॉफ़ी" meet at "kofi");
   - ph is f, sh is s, chh is ch, and the h of kh gh ch jh th dh bh rh goes
     (retroflex and dental are not told apart either: "ट" and "त" are both t);
   - w is v, z is j ("zeera" and "jeera"), q is k;
   - ee is i, oo is u, then every doubled letter is one (aa, ii, uu, tt, kk...), and au is o;
   - a final "a" after a consonant goes in words of three letters or more ("atta", "aata" and
     "आटा" are all "at"), so spellings that keep or drop a last "a" still meet;
   - anything but ASCII letters and digits (and letters of other scripts) is dropped.

4. A stored key of a word written in another script than Latin starts with OTHER_SCRIPT ("x",
   which no key has otherwise): "चीनी 1 kg" is stored "xcini 1 kg", "Sugar" with the alias
   "cheeni" is "sugar" and "cini". So a search can ask for the other script only: what
   a Latin word already found stays as it was, and "cheeni" adds "चीनी 1 kg" after it.

So "cheeni"/"chini"/"चीनी" -> "cini", "moong"/"mung"/"मूंग" -> "mung", "daal"/"dal"/"दाल" ->
"dal", "chawal"/"chaval"/"चावल" -> "caval". Typed words are matched as prefixes of the stored
keys, so a half-typed word ("chee" -> "ci") finds its product too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Stored keys (products.name_key / products.alias_key) are cut at a word to these lengths. A
# Devanagari consonant can become two letters ("क" -> "ka"), so a key may outgrow its text.
NAME_KEY_LENGTH = 400
ALIAS_KEY_LENGTH = 1000
# As many typed words as the ordinary search reads (catalog._word_prefixes).
QUERY_WORDS = 8
# Marks the stored key of a word written in another script than Latin ("चीनी" -> "xcini"). No
# key has an "x" of its own (x becomes ks), so a marked key never meets a Latin word's key.
OTHER_SCRIPT = "x"

_CONSONANTS = {
    "क": "k",
    "ख": "kh",
    "ग": "g",
    "घ": "gh",
    "ङ": "n",
    "च": "ch",
    "छ": "chh",
    "ज": "j",
    "झ": "jh",
    "ञ": "n",
    "ट": "t",
    "ठ": "th",
    "ड": "d",
    "ढ": "dh",
    "ण": "n",
    "त": "t",
    "थ": "th",
    "द": "d",
    "ध": "dh",
    "न": "n",
    "प": "p",
    "फ": "ph",
    "ब": "b",
    "भ": "bh",
    "म": "m",
    "य": "y",
    "र": "r",
    "ल": "l",
    "व": "v",
    "श": "sh",
    "ष": "sh",
    "स": "s",
    "ह": "h",
    "ळ": "l",
}
# A consonant followed by a nukta (NFD splits "क़" into "क" + "़").
_NUKTA_FORMS = {"क": "q", "ख": "kh", "ग": "g", "ज": "z", "ड": "r", "ढ": "rh", "फ": "f"}
_VOWELS = {
    "अ": "a",
    "आ": "aa",
    "इ": "i",
    "ई": "ii",
    "उ": "u",
    "ऊ": "uu",
    "ऋ": "ri",
    "ॠ": "rii",
    "ऌ": "li",
    "ऍ": "e",
    "ऎ": "e",
    "ए": "e",
    "ऐ": "ai",
    "ऑ": "o",
    "ऒ": "o",
    "ओ": "o",
    "औ": "au",
}
_SIGNS = {
    "ा": "aa",
    "ि": "i",
    "ी": "ii",
    "ु": "u",
    "ू": "uu",
    "ृ": "ri",
    "ॄ": "rii",
    "ॅ": "e",
    "ॆ": "e",
    "े": "e",
    "ै": "ai",
    "ॉ": "o",
    "ॊ": "o",
    "ो": "o",
    "ौ": "au",
}
_VIRAMA = "\u094d"
_NUKTA = "\u093c"
_NASALS = {"\u0901", "\u0902"}  # chandrabindu, anusvara
_LABIALS = ("p", "b", "bh", "m")  # not ph: "सौंफ" is spelt "saunf"
_DIGITS = {chr(0x0966 + n): str(n) for n in range(10)}

# Latin rules in the order they apply (see the module docstring).
_LATIN_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        ("x", "ks"),
        ("chh", "ch"),
        ("c(?!h)", "k"),
        ("ph", "f"),
        ("sh", "s"),
        ("([kgcjtdbr])h", r"\1"),
        ("w", "v"),
        ("z", "j"),
        ("q", "k"),
        ("ee", "i"),
        ("oo", "u"),
        ("([a-z])\\1+", r"\1"),
        ("au", "o"),
        ("(?<=[a-z]{2})(?<=[b-df-hj-np-tv-z])a$", ""),
    )
)


@dataclass
class _Syllable:
    consonant: str  # "" for an independent vowel
    vowel: str  # "" after a virama (or once an inherent "a" is deleted)
    inherent: bool = False
    nasal: bool = False


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch) in ("Mn", "Mc")


def words(text: str) -> list[str]:
    """Split text into words: runs of letters, digits and combining marks, NFD, case-folded.

    Python's `\\w` splits "चीनी" at its vowel signs; this keeps a Devanagari word whole.
    """
    out: list[str] = []
    current: list[str] = []
    for ch in unicodedata.normalize("NFD", text).casefold():
        if _is_word_char(ch):
            current.append(ch)
        elif current and ch in ("\u200c", "\u200d"):
            continue  # zero-width (non-)joiners shape Indic text inside a word
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def _syllables(word: str) -> list[_Syllable | str]:
    """Read a word into Devanagari syllables; any other character stays a plain string."""
    out: list[_Syllable | str] = []
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        i += 1
        if ch in _CONSONANTS:
            consonant = _CONSONANTS[ch]
            if i < n and word[i] == _NUKTA:
                consonant = _NUKTA_FORMS.get(ch, consonant)
                i += 1
            if i < n and word[i] in _SIGNS:
                out.append(_Syllable(consonant, _SIGNS[word[i]]))
                i += 1
            elif i < n and word[i] == _VIRAMA:
                out.append(_Syllable(consonant, ""))
                i += 1
            else:
                out.append(_Syllable(consonant, "a", inherent=True))
        elif ch in _VOWELS:
            out.append(_Syllable("", _VOWELS[ch]))
        elif ch in _NASALS:
            if out and isinstance(out[-1], _Syllable):
                out[-1].nasal = True
        elif ch in _DIGITS:
            out.append(_DIGITS[ch])
        elif "\u0900" <= ch <= "\u097f":
            continue  # visarga, avagraha, a stray nukta or sign: no sound worth a letter
        else:
            out.append(ch)
    return out


def _drop_schwas(syllables: list[_Syllable]) -> None:
    """Delete the inherent "a"s Hindi does not say (word end; V C_ CV), right to left."""
    if len(syllables) > 1 and syllables[-1].inherent and not syllables[-1].nasal:
        syllables[-1].vowel = ""
    for i in range(len(syllables) - 2, 0, -1):
        here, before, after = syllables[i], syllables[i - 1], syllables[i + 1]
        if here.inherent and not here.nasal and before.vowel and after.consonant and after.vowel:
            here.vowel = ""


def romanise(word: str) -> str:
    """Romanise one (NFD, case-folded) word's Devanagari; other characters are kept."""
    parts = _syllables(word)
    runs: list[list[_Syllable]] = [[]]
    for part in parts:
        if isinstance(part, _Syllable):
            runs[-1].append(part)
        elif runs[-1]:
            runs.append([])
    for run in runs:
        _drop_schwas(run)
    out: list[str] = []
    for i, part in enumerate(parts):
        if not isinstance(part, _Syllable):
            out.append(part)
            continue
        out.append(part.consonant + part.vowel)
        if part.nasal:
            following = parts[i + 1] if i + 1 < len(parts) else None
            labial = isinstance(following, _Syllable) and following.consonant in _LABIALS
            out.append("m" if labial else "n")
    return "".join(out)


def word_key(word: str) -> str:
    """The loose phonetic key of one word (see the module docstring); "" if nothing is left."""
    text = romanise(word)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Mc"))
    for pattern, replacement in _LATIN_RULES:
        text = pattern.sub(replacement, text)
    return "".join(ch for ch in text if ch.isalnum())


def other_script(word: str) -> bool:
    """Whether a word is written in another script than Latin (after NFD, Latin accents are
    marks below U+0370 and letters like "ß" are below it too)."""
    return any(ord(ch) > 0x036F for ch in word)


@dataclass(frozen=True)
class Key:
    """One word's key, and whether the word was written in another script than Latin."""

    key: str
    other_script: bool

    @property
    def stored(self) -> str:
        """The key as a column stores it: OTHER_SCRIPT before the key of a word in another
        script, so a search can ask for words of the other script only. Digits are digits in
        any script."""
        return OTHER_SCRIPT + self.key if self.other_script else self.key

    @property
    def forms(self) -> tuple[str, ...]:
        """Every stored form a typed word's key may start (either script)."""
        return (self.key,) if self.key.isdigit() else (self.key, OTHER_SCRIPT + self.key)

    @property
    def across(self) -> str | None:
        """The stored form of the same sound written in the other script ("cheeni" ->
        "xcini", the key of "चीनी"; "चीनी" -> "cini"); None for digits."""
        if self.key.isdigit():
            return None
        return self.key if self.other_script else OTHER_SCRIPT + self.key


def keys(text: str) -> list[Key]:
    """The keys of the words of a text, in order, without repeats or empty keys."""
    out: list[Key] = []
    for word in words(text):
        key = word_key(word)
        found = Key(key, other_script(word) and not key.isdigit())
        if key and found not in out:
            out.append(found)
    return out


def stored_key(text: str, limit: int) -> str:
    """The keys of a text as a column stores them: space-separated, cut at a word to `limit`."""
    out = ""
    for key in keys(text):
        longer = f"{out} {key.stored}" if out else key.stored
        if len(longer) > limit:
            break
        out = longer
    return out


def name_key(name: str) -> str:
    """What `products.name_key` holds for a product name."""
    return stored_key(name, NAME_KEY_LENGTH)


def alias_key(aliases: str) -> str:
    """What `products.alias_key` holds for a product's (normalised) aliases."""
    return stored_key(aliases.replace(",", " "), ALIAS_KEY_LENGTH)


def query_keys(q: str) -> list[Key]:
    """The keys of typed words, each matched as the start of a stored key word."""
    return keys(q)[:QUERY_WORDS]
