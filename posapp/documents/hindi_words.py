"""An amount in Hindi words, the Indian way: "छह सौ उन्नीस रुपये चालीस पैसे" for ₹619.40.

Hindi's numbers from 1 to 99 are each their own word (उन्नीस is not "ten-nine"), so they are
a table; above them come सौ (100), हज़ार (1,000), लाख (1,00,000) and करोड़ (1,00,00,000).
"""

from __future__ import annotations

# 0 to 99, each as a shop says it.
_BELOW_100 = (
    *("शून्य", "एक", "दो", "तीन", "चार", "पाँच", "छह", "सात", "आठ", "नौ"),
    *("दस", "ग्यारह", "बारह", "तेरह", "चौदह", "पंद्रह", "सोलह", "सत्रह", "अठारह", "उन्नीस"),
    *("बीस", "इक्कीस", "बाईस", "तेईस", "चौबीस", "पच्चीस", "छब्बीस", "सत्ताईस", "अट्ठाईस", "उनतीस"),
    *("तीस", "इकतीस", "बत्तीस", "तैंतीस", "चौंतीस", "पैंतीस", "छत्तीस", "सैंतीस", "अड़तीस", "उनतालीस"),
    *("चालीस", "इकतालीस", "बयालीस", "तैंतालीस", "चवालीस", "पैंतालीस", "छियालीस", "सैंतालीस"),
    *("अड़तालीस", "उनचास"),
    *("पचास", "इक्यावन", "बावन", "तिरेपन", "चौवन", "पचपन", "छप्पन", "सत्तावन", "अट्ठावन", "उनसठ"),
    *("साठ", "इकसठ", "बासठ", "तिरेसठ", "चौंसठ", "पैंसठ", "छियासठ", "सड़सठ", "अड़सठ", "उनहत्तर"),
    *("सत्तर", "इकहत्तर", "बहत्तर", "तिहत्तर", "चौहत्तर", "पचहत्तर", "छिहत्तर", "सतहत्तर", "अठहत्तर"),
    "उन्यासी",
    *("अस्सी", "इक्यासी", "बयासी", "तिरासी", "चौरासी", "पचासी", "छियासी", "सत्तासी", "अट्ठासी"),
    "नवासी",
    *("नब्बे", "इक्यानबे", "बानबे", "तिरानबे", "चौरानबे", "पंचानबे", "छियानबे", "सत्तानबे", "अट्ठानबे"),
    "निन्यानबे",
)
_GROUPS = ((10**7, "करोड़"), (10**5, "लाख"), (1000, "हज़ार"), (100, "सौ"))


def hindi_number(n: int) -> str:
    """A whole number (0 or more) in Hindi words with Indian grouping."""
    if n < 100:
        return _BELOW_100[n]
    words: list[str] = []
    for size, name in _GROUPS:
        count, n = divmod(n, size)
        if count:
            # Above 99 crore the count of crores is itself spelled the same way.
            words += [hindi_number(count), name]
    if n:
        words.append(_BELOW_100[n])
    return " ".join(words)


def hindi_amount_in_words(minor: int) -> str:
    """Rupees and paise in Hindi words: 61940 -> "छह सौ उन्नीस रुपये चालीस पैसे"."""
    prefix = "ऋण " if minor < 0 else ""
    rupees, paise = divmod(abs(minor), 100)
    parts: list[str] = []
    if rupees or not paise:
        parts.append(f"{hindi_number(rupees)} {'रुपया' if rupees == 1 else 'रुपये'}")
    if paise:
        parts.append(f"{hindi_number(paise)} {'पैसा' if paise == 1 else 'पैसे'}")
    return prefix + " ".join(parts)
