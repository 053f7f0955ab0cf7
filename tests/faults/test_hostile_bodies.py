"""Hostile JSON at every API write endpoint: never a 5xx, and a 4xx writes nothing at all."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from posapp.extensions import db
from tests.factories import make_customer, make_product

# Every write endpoint of the API a script can call, with the fields its body may carry.
ENDPOINTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("POST", "/api/products", ("name", "code", "price", "cost", "mrp", "tax_rate", "unit",
                               "category", "opening_stock", "hsn", "low_stock_threshold")),
    ("PUT", "/api/products/{product}", ("name", "price", "tax_rate", "unit", "archived", "code")),
    ("POST", "/api/products/{product}/stock", ("delta", "reason", "note", "unit_cost")),
    ("POST", "/api/invoice/create", ("items", "payments", "discount", "customer_id", "note")),
    ("POST", "/api/customers", ("name", "phone", "email", "address", "credit_limit")),
    ("PUT", "/api/customers/{customer}", ("name", "phone", "email", "credit_limit", "archived")),
    ("POST", "/api/customers/{customer}/payments", ("amount", "method", "note")),
]  # fmt: skip
# Tables whose content a rejected request must leave exactly as it was. api_tokens may
# record "last used" on any authenticated call, so only its row count is compared.
COUNT_ONLY = {"api_tokens"}

hostile_text = st.sampled_from(
    ["", " ", "-1", "1e309", "NaN", "Infinity", "0.001", "99999999999999999999", "1.234",
     "<script>alert(1)</script>", "'; DROP TABLE products; --", "\x00", "\ud7ff" * 3,
     "=1+1", "10%", "-10%", "200%", "cash", "credit", "sale", "adjust_damage", "pcs", "kg"]
) | st.text(max_size=30)  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text
)
NESTED_KEYS = ["product_id", "code", "quantity", "discount", "method", "amount", "x"]
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(NESTED_KEYS), children, max_size=4)
    ),
    max_leaves=12,
)


def bodies(fields: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Bodies shaped like the endpoint's (its field names, hostile values) or anything at all."""
    shaped = st.dictionaries(st.sampled_from(fields), json_values, max_size=len(fields))
    return shaped | json_values | st.binary(max_size=40)


def snapshot() -> dict[str, str]:
    """A digest of every table's rows (row count only for COUNT_ONLY)."""
    db.session.rollback()
    result = {}
    for table in db.metadata.sorted_tables:
        if table.name in COUNT_ONLY:
            rows: Any = db.session.scalar(select(func.count()).select_from(table))
        else:
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        result[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.session.rollback()
    return result


@pytest.fixture
def targets(app: Flask, admin, admin_headers: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    product = make_product(db.session, admin.id, name="Target")
    customer = make_customer(db.session, admin, credit_limit="500.00")
    return {"product": product.id, "customer": customer.id, "headers": admin_headers}


@pytest.mark.parametrize("method,path,fields", ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_hostile_bodies_never_crash_and_rejections_write_nothing(
    client: FlaskClient, targets: dict[str, Any], method: str, path: str, fields: tuple[str, ...]
) -> None:
    url = path.format(product=targets["product"], customer=targets["customer"])

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies(fields))
    def attempt(body: Any) -> None:
        before = snapshot()
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = client.open(
            url,
            method=method,
            data=payload,
            headers={**targets["headers"], "Content-Type": "application/json"},
        )
        assert response.status_code < 500, (body, response.get_json())
        assert response.is_json, body
        if response.status_code >= 400:
            assert "error" in response.get_json()
            assert snapshot() == before, (body, response.status_code)

    attempt()
