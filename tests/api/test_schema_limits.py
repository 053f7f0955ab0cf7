"""The drift test: every limit the OpenAPI document states is the one the parsers enforce.

Both read posapp/services/limits.py; this reads the generated document (not the models) so a
constraint lost on the way to the JSON (a wrapper type, a hand-written schema) fails too.
"""

from __future__ import annotations

from typing import Any

import pytest

from posapp.errors import ValidationError
from posapp.services import limits
from posapp.services.checkout import parse_checkout
from posapp.services.held_bills import parse_held
from tests.conftest import build_app

TEXT = limits.PRODUCT_TEXT_LENGTHS
PEOPLE = limits.CUSTOMER_TEXT_LENGTHS

# (component, property, JSON Schema keyword) -> the limits module's value.
BODY_LIMITS: dict[tuple[str, str, str], int] = {
    ("CheckoutRequest", "items", "maxItems"): limits.MAX_CART_LINES,
    ("CheckoutRequest", "note", "maxLength"): limits.CHECKOUT_NOTE_LENGTH,
    ("TillCart", "items", "maxItems"): limits.MAX_CART_LINES,
    ("TillHoldRequest", "items", "maxItems"): limits.MAX_CART_LINES,
    ("TillHoldRequest", "label", "maxLength"): limits.HELD_LABEL_LENGTH,
    ("ReturnRequest", "lines", "maxItems"): limits.MAX_RETURN_LINES,
    ("ReturnRequest", "reason", "maxLength"): limits.REASON_LENGTH,
    ("VoidRequest", "reason", "maxLength"): limits.REASON_LENGTH,
    ("PaymentRequest", "note", "maxLength"): limits.LEDGER_NOTE_LENGTH,
    ("AdjustmentRequest", "reason", "maxLength"): limits.LEDGER_NOTE_LENGTH,
    ("StockMovementRequest", "note", "maxLength"): limits.STOCK_NOTE_LENGTH,
    **{("ProductCreate", key, "maxLength"): value for key, value in TEXT.items()},
    **{("ProductUpdate", key, "maxLength"): value for key, value in TEXT.items()},
    ("ProductCreate", "category", "maxLength"): limits.CATEGORY_NAME_LENGTH,
    ("ProductUpdate", "category", "maxLength"): limits.CATEGORY_NAME_LENGTH,
    **{("CustomerCreate", key, "maxLength"): value for key, value in PEOPLE.items()},
    **{("CustomerUpdate", key, "maxLength"): value for key, value in PEOPLE.items()},
}

SEARCHED = (
    "/api/v1/products",
    "/api/v1/customers",
    "/api/v1/invoices",
    "/api/v1/orders",
    "/api/v1/inventory/status",
)
PAGED = (*SEARCHED, "/api/v1/inventory/history", "/api/v1/payments")
# Every list's query: (path, parameter, keyword) -> value.
QUERY_LIMITS: dict[tuple[str, str, str], int] = {
    **{(path, "page", "maximum"): limits.MAX_PAGE for path in PAGED},
    **{(path, "per_page", "maximum"): limits.MAX_PER_PAGE for path in PAGED},
    **{(path, "per_page", "default"): limits.DEFAULT_PER_PAGE for path in PAGED},
    **{(path, "q", "maxLength"): limits.MAX_SEARCH_LENGTH for path in SEARCHED},
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # One app for the module: the document does not depend on the data.
    client = build_app(tmp_path_factory.mktemp("limits")).test_client()
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _keyword(schema: dict[str, Any], keyword: str) -> Any:
    """Return a keyword of a schema, looking inside `anyOf` (an optional field is T | null)."""
    if keyword in schema:
        return schema[keyword]
    found = [option[keyword] for option in schema.get("anyOf", []) if keyword in option]
    assert len(found) == 1, f"{keyword} not stated once in {schema}"
    return found[0]


@pytest.mark.parametrize(("where", "expected"), sorted(BODY_LIMITS.items()))
def test_body_limits_are_the_parsers(
    spec: dict[str, Any], where: tuple[str, str, str], expected: int
) -> None:
    component, prop, keyword = where
    schema = spec["components"]["schemas"][component]["properties"][prop]
    assert _keyword(schema, keyword) == expected


@pytest.mark.parametrize(("where", "expected"), sorted(QUERY_LIMITS.items()))
def test_query_limits_are_the_parsers(
    spec: dict[str, Any], where: tuple[str, str, str], expected: int
) -> None:
    path, name, keyword = where
    params = {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}
    assert _keyword(params[name], keyword) == expected


def test_the_checkout_parser_enforces_the_same_limits() -> None:
    item = {"product_id": 1}
    assert len(parse_checkout({"items": [item] * limits.MAX_CART_LINES}).items) == 500
    with pytest.raises(ValidationError) as info:
        parse_checkout({"items": [item] * (limits.MAX_CART_LINES + 1)})
    assert info.value.fields == {"items": "A bill takes at most 500 lines."}
    note = "n" * limits.CHECKOUT_NOTE_LENGTH
    assert parse_checkout({"items": [item], "note": note}).note == note
    with pytest.raises(ValidationError) as info:
        parse_checkout({"items": [item], "note": note + "n"})
    assert info.value.fields == {"note": "The note must be text of at most 500 characters."}


def test_the_held_bill_parser_enforces_the_same_limits() -> None:
    label = "L" * limits.HELD_LABEL_LENGTH
    assert parse_held({"items": [{"product_id": 1}], "label": label}).label == label
    with pytest.raises(ValidationError, match="at most 60 characters"):
        parse_held({"items": [{"product_id": 1}], "label": label + "L"})
