"""The JSON nesting limit read from the text (`json_text_depth`) agrees with the walk over
the parsed value (`json_depth`) on any document, whatever its strings hold; and documents it
cannot read are still measured (by the walk) and refused when too deep."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from posapp import MAX_JSON_DEPTH, ExactJSONProvider, json_depth, json_text_depth

pytestmark = pytest.mark.one_backend("a pure function of a text: no database")

# Strings full of what could fool a reading of the text: quotes, backslashes, brackets,
# escapes of every kind, non-ASCII (Devanagari, an emoji), control characters.
tricky = st.lists(
    st.sampled_from([*'"\\[]{}:,abc ट\u0905😀\n\t\x00/u', "\\u005c", '\\"']), max_size=12
).map("".join)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    tricky,
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(tricky, inner, max_size=4),
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(documents, st.booleans(), st.sampled_from([None, 0, 2]))
def test_the_text_reading_agrees_with_the_walk(
    value: Any, ascii_only: bool, indent: int | None
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    parsed = json.loads(text, parse_float=Decimal)
    assert json_text_depth(text, 1000) == json_depth(parsed)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("5", 0),
        ('"[[[{"', 0),
        ("[]", 1),
        ('{"a": "\\\\", "b": [1, {"c": "\\"]"}]}', 3),
        ('[[["\\\\\\""]]]', 3),
        ("[NaN, -Infinity, 1e5]", 1),
    ],
)
def test_some_texts_by_hand(text: str, depth: int) -> None:
    assert json_text_depth(text, MAX_JSON_DEPTH) == depth


def test_it_stops_counting_past_the_limit() -> None:
    deep = "[" * 500 + "]" * 500
    assert json_text_depth(deep, MAX_JSON_DEPTH) == MAX_JSON_DEPTH + 1


def test_the_provider_refuses_a_deep_document_either_way() -> None:
    provider = ExactJSONProvider(Flask(__name__))
    limit = MAX_JSON_DEPTH
    assert provider.loads("[" * limit + "]" * limit) is not None
    for text in ("[" * (limit + 1) + "]" * (limit + 1), '{"a": ' + "[" * 40 + "]" * 40 + "}"):
        with pytest.raises(ValueError, match="nests deeper"):
            provider.loads(text)
        with pytest.raises(ValueError, match="nests deeper"):
            provider.loads(text.encode("utf-16"))  # bytes in any JSON encoding
    assert provider.loads(b'{"price": 2.50}') == {"price": Decimal("2.50")}
