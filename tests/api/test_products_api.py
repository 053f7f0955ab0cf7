"""API: health, login, products and scan lookup (docs/API.md)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from posapp.extensions import db
from posapp.models.base import write_transaction
from posapp.money import is_valid_ean13
from posapp.services.settings import save_settings
from tests.conftest import ApiClient
from tests.factories import PASSWORD, make_product

Headers = dict[str, str]


def assert_envelope(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


@pytest.mark.one_backend("the health answer needs no login")
def test_health_needs_no_login(client: FlaskClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": "0.1.0", "db": "ok"}


def test_login_returns_a_token_and_the_user(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    body = response.get_json()
    assert response.status_code == 200
    assert len(body["token"]) > 30
    assert body["user"] == {"id": admin.id, "username": "admin", "role": "admin"}


def test_tokens_are_stored_hashed(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    from posapp.models import ApiToken

    token = client.post(
        "/api/auth/login", json={"username": "admin", "password": PASSWORD}
    ).get_json()["token"]
    stored = db.session.query(ApiToken).one()
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_login_failures_and_lockout(client: FlaskClient, admin) -> None:  # type: ignore[no-untyped-def]
    assert_envelope(
        client.post("/api/auth/login", json={"username": "admin"}), 422, "validation_error"
    )
    for _ in range(5):
        assert_envelope(
            client.post("/api/auth/login", json={"username": "admin", "password": "wrong-pass"}),
            401,
            "invalid_credentials",
        )
    assert_envelope(
        client.post("/api/auth/login", json={"username": "admin", "password": "wrong-pass"}),
        429,
        "locked_out",
    )
    # Even the right password is refused while this address waits.
    assert_envelope(
        client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD}),
        429,
        "locked_out",
    )


@pytest.mark.one_backend("reading the request body")
def test_malformed_json_is_a_400_envelope(client: FlaskClient, admin_headers: Headers) -> None:
    response = client.post(
        "/api/products", data="{nope", headers={**admin_headers, "Content-Type": "application/json"}
    )
    assert_envelope(response, 400, "malformed_json")
    response = client.post("/api/products", json=[1, 2], headers=admin_headers)
    assert_envelope(response, 422)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/products"),
        ("post", "/api/products"),
        ("get", "/api/products/1"),
        ("put", "/api/products/1"),
        ("delete", "/api/products/1"),
        ("get", "/api/products/lookup?code=1"),
        ("post", "/api/invoice/create"),
        ("get", "/api/invoice/1"),
        ("get", "/api/invoice/1/pdf"),
        ("get", "/api/invoices"),
    ],
)
@pytest.mark.servers_first_case(
    "who may call is decided before any query; the first case reaches the database"
)
def test_every_endpoint_needs_a_login(client: FlaskClient, method: str, path: str) -> None:
    assert_envelope(getattr(client, method)(path, json={}), 401, "unauthorized")


@pytest.mark.one_backend("a token that matches no row")
def test_a_bad_token_is_401(client: FlaskClient) -> None:
    assert_envelope(
        client.get("/api/products", headers={"Authorization": "Bearer nope"}), 401, "invalid_token"
    )
    assert_envelope(client.get("/api/products", headers={"Authorization": "Basic eDp5"}), 401)


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/products"), ("put", "/api/products/1"), ("delete", "/api/products/1")],
)
@pytest.mark.servers_first_case(
    "who may call is decided before any query; the first case reaches the database"
)
def test_cashiers_cannot_change_the_catalog(
    client: FlaskClient, cashier_headers: Headers, method: str, path: str
) -> None:
    response = getattr(client, method)(
        path, json={"name": "X", "price": "1"}, headers=cashier_headers
    )
    assert_envelope(response, 403, "forbidden")


@pytest.mark.one_backend("routing")
def test_unknown_api_paths_answer_json_not_html(client: FlaskClient) -> None:
    assert_envelope(client.get("/api/nothing-here"), 404, "not_found")
    assert_envelope(client.patch("/api/health"), 405)


def test_create_product_generates_an_ean13(client: FlaskClient, admin_headers: Headers) -> None:
    response = client.post(
        "/api/products",
        headers=admin_headers,
        json={
            "name": "Toor Dal 1kg",
            "price": 145.5,
            "tax_rate": "5",
            "stock": "12",
            "category": "Pulses",
            "mrp": "150.00",
            "hsn": "0713",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert is_valid_ean13(body["code"])
    assert body["price"] == "145.50"
    assert body["mrp"] == "150.00"
    assert body["tax_rate"] == "5.00"
    assert body["stock"] == "12"
    assert body["category"] == "Pulses"
    assert body["qr_url"] == f"/products/{body['id']}/qr.png"
    assert set(body) == {
        "id",
        "code",
        "name",
        "category",
        "unit",
        "price",
        "cost",
        "mrp",
        "tax_rate",
        "hsn",
        "stock",
        "reserved",
        "available",
        "low_stock_threshold",
        "supplier",
        "location",
        "color",
        "scale_plu",
        "aliases",
        "perishable",
        "archived",
        "qr_url",
    }
    assert body["aliases"] == []
    assert body["perishable"] is False


def test_perishable_through_the_api(client: FlaskClient, admin_headers: Headers) -> None:
    created = client.post(
        "/api/products",
        headers=admin_headers,
        json={"name": "Amul Taaza Milk 500 ml", "price": "28", "perishable": True},
    )
    assert created.status_code == 201
    milk = created.get_json()
    assert milk["perishable"] is True
    # A partial update that does not name the flag keeps it; null keeps it too.
    for body in ({"price": "29"}, {"perishable": None}):
        kept = client.put(f"/api/products/{milk['id']}", headers=admin_headers, json=body)
        assert kept.status_code == 200 and kept.get_json()["perishable"] is True
    changed = client.put(
        f"/api/products/{milk['id']}", headers=admin_headers, json={"perishable": False}
    )
    assert changed.status_code == 200 and changed.get_json()["perishable"] is False

    for bad in (1, "perhaps", [True]):
        refused = client.put(
            f"/api/products/{milk['id']}", headers=admin_headers, json={"perishable": bad}
        )
        error = assert_envelope(refused, 422, "validation_error")
        assert error["details"]["fields"]["perishable"] == "Perishable must be yes or no."
    unchanged = client.get(f"/api/products/{milk['id']}", headers=admin_headers).get_json()
    assert unchanged["perishable"] is False


def test_aliases_through_the_api(client: FlaskClient, admin_headers: Headers) -> None:
    created = client.post(
        "/api/products",
        headers=admin_headers,
        json={"name": "Sugar (loose)", "price": "46", "unit": "kg", "aliases": "Chini, cheeni"},
    )
    assert created.status_code == 201
    sugar = created.get_json()
    assert sugar["aliases"] == ["chini", "cheeni"]
    client.post("/api/products", headers=admin_headers, json={"name": "Chini Mini", "price": "5"})
    found = client.get("/api/products?q=chini", headers=admin_headers).get_json()
    assert [p["name"] for p in found["items"]] == ["Sugar (loose)", "Chini Mini"]

    changed = client.put(
        f"/api/products/{sugar['id']}", headers=admin_headers, json={"aliases": ["shakkar"]}
    )
    assert changed.status_code == 200
    assert changed.get_json()["aliases"] == ["shakkar"]
    assert client.get("/api/products?q=shakkar", headers=admin_headers).get_json()["total"] == 1

    too_many = client.put(
        f"/api/products/{sugar['id']}",
        headers=admin_headers,
        json={"aliases": ",".join(f"w{n}" for n in range(13))},
    )
    error = assert_envelope(too_many, 422, "validation_error")
    assert error["details"]["fields"]["aliases"] == "At most 12 aliases (there are 13)."
    unchanged = client.get(f"/api/products/{sugar['id']}", headers=admin_headers).get_json()
    assert unchanged["aliases"] == ["shakkar"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"price": "10"}, "name"),
        ({"name": "A"}, "price"),
        ({"name": "A", "price": "10.123"}, "price"),
        ({"name": "A", "price": "0"}, "price"),
        ({"name": "A", "price": "10", "mrp": "9"}, "mrp"),
        ({"name": "A", "price": "10", "tax_rate": "101"}, "tax_rate"),
        ({"name": "A", "price": "10", "unit": "box"}, "unit"),
        ({"name": "A", "price": "10", "stock": "1.5"}, "opening_stock"),
        ({"name": "A", "price": "10", "stock": "-3"}, "opening_stock"),
        ({"name": "A", "price": "10", "code": "4006381333932"}, "code"),
        ({"name": "A", "price": "10", "aliases": "x" * 31}, "aliases"),
        ({"name": "A", "price": 10.5}, None),
        ({"name": "A", "price": "10", "scale_plu": "00001"}, "scale_plu"),  # pcs are not weighed
        ({"name": "A", "price": "10", "unit": "kg", "scale_plu": "001"}, "scale_plu"),
        ({"name": "A", "price": "10", "unit": "kg", "scale_plu": "0001x"}, "scale_plu"),
        ({"name": "A", "price": "10", "unit": "kg", "scale_plu": "0001"}, "scale_plu"),  # 5 digits
        ({"name": "A", "price": "10", "unit": "kg", "scale_plu": "00001"}, None),
    ],
)
@pytest.mark.servers_first_case(
    "validation in Python; the first case shows a refused write leaves nothing"
)
def test_create_product_validation(
    client: FlaskClient, admin_headers: Headers, payload: dict, field: str | None
) -> None:
    response = client.post("/api/products", headers=admin_headers, json=payload)
    if field is None:
        assert response.status_code == 201  # a JSON number with 1 decimal is fine
        return
    error = assert_envelope(response, 422, "validation_error")
    assert field in error["details"]["fields"]
    assert client.get("/api/products", headers=admin_headers).get_json()["total"] == 0


def test_duplicates_are_409(client: FlaskClient, admin_headers: Headers) -> None:
    client.post(
        "/api/products",
        headers=admin_headers,
        json={"name": "Salt", "price": "20", "code": "SALT1"},
    )
    assert_envelope(
        client.post("/api/products", headers=admin_headers, json={"name": "salt", "price": "20"}),
        409,
        "duplicate",
    )
    assert_envelope(
        client.post(
            "/api/products",
            headers=admin_headers,
            json={"name": "Other", "price": "20", "code": "SALT1"},
        ),
        409,
        "duplicate",
    )


def test_get_update_archive(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    created = client.post(
        "/api/products",
        headers=admin_headers,
        json={"name": "Milk 500ml", "price": "28", "tax_rate": "0"},
    ).get_json()
    pid = created["id"]
    assert client.get(f"/api/products/{pid}", headers=cashier_headers).get_json() == created
    updated = client.put(
        f"/api/products/{pid}", headers=admin_headers, json={"price": "29.00"}
    ).get_json()
    assert updated["price"] == "29.00"
    assert updated["name"] == "Milk 500ml"  # partial update keeps the rest
    assert_envelope(
        client.put(f"/api/products/{pid}", headers=admin_headers, json={"stock": "100"}), 422
    )
    archived = client.delete(f"/api/products/{pid}", headers=admin_headers)
    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    listing = client.get("/api/products", headers=admin_headers).get_json()
    assert listing["total"] == 0
    listing = client.get("/api/products?include_archived=1", headers=admin_headers).get_json()
    assert listing["total"] == 1
    assert_envelope(client.get("/api/products/999", headers=admin_headers), 404)


def test_list_search_and_pagination(client: FlaskClient, admin, admin_headers: Headers) -> None:  # type: ignore[no-untyped-def]
    for name in ("Basmati Rice", "Sona Masoori Rice", "Rice Flour", "Sugar"):
        make_product(db.session, admin.id, name=name)
    body = client.get("/api/products?q=rice&per_page=2", headers=admin_headers).get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 2
    assert body["items"][0]["name"] == "Rice Flour"  # prefix matches first
    body = client.get("/api/products?q=rice&per_page=2&page=2", headers=admin_headers).get_json()
    assert len(body["items"]) == 1
    for bad in ("page=0", "per_page=501", "page=x"):
        assert_envelope(client.get(f"/api/products?{bad}", headers=admin_headers), 422)
    low = client.get("/api/products?low_stock=1", headers=admin_headers).get_json()
    assert low["total"] == 0


def test_lookup_by_code_and_by_weight_barcode(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    cashier_headers: Headers,
) -> None:
    packet = make_product(db.session, admin.id, name="Biscuits", code="8901063010109")
    body = client.get(
        f"/api/products/lookup?code={packet.code}", headers=cashier_headers
    ).get_json()
    assert body["product"]["id"] == packet.id and body["quantity"] == "1"
    loose = make_product(
        db.session, admin.id, name="Loose rice", unit="kg", price="60.00", scale_plu="01234"
    )
    # the default layout: prefix 20-29, PLU 01234, weight 01250 g, EAN check digit
    from posapp.money import ean13_check_digit

    body12 = "21" + "01234" + "01250"
    scale_code = body12 + str(ean13_check_digit(body12))
    body = client.get(f"/api/products/lookup?code={scale_code}", headers=cashier_headers).get_json()
    assert body["product"]["id"] == loose.id and body["quantity"] == "1.250"
    assert body["product"]["scale_plu"] == "01234"
    assert body["scale_label"] == scale_code and body["amount"] is None
    body = client.get(f"/api/products/lookup?code={packet.code}", headers=cashier_headers)
    assert body.get_json()["scale_label"] is None
    assert_envelope(
        client.get("/api/products/lookup?code=0000", headers=cashier_headers), 404, "unknown_code"
    )
    assert_envelope(client.get("/api/products/lookup", headers=cashier_headers), 422)


def test_price_embedded_scale_labels(
    client: FlaskClient,
    admin,  # type: ignore[no-untyped-def]
    cashier_headers: Headers,
) -> None:
    from posapp.money import ean13_check_digit

    with write_transaction(db.session):
        save_settings(db.session, scale_value="price")
    make_product(db.session, admin.id, name="Cheese", unit="kg", price="400.00", scale_plu="00777")
    body12 = "20" + "00777" + "00300"  # a label priced 3.00 -> 0.0075 kg -> 0.008 kg
    code = body12 + str(ean13_check_digit(body12))
    body = client.get(f"/api/products/lookup?code={code}", headers=cashier_headers).get_json()
    assert body["quantity"] == "0.008" and body["amount"] == "3.00"
    # the till sends the label back; the line sells at the label's price, not 0.008 × 400.00
    priced = client.post(
        "/api/invoice/create",
        json={"items": [{"scale_label": code, "quantity": "5"}]},
        headers=cashier_headers,
    )
    assert priced.status_code == 201, priced.get_json()
    assert priced.get_json()["total"] == "3.00"


def test_cookie_authenticated_writes_need_the_csrf_header(csrf_app) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_user

    make_user(db.session, "admin", "admin")
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert match, "the layout must carry the CSRF token for the pages' JavaScript"
    token = match.group(1)
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    payload = {"name": "Tea", "price": "5"}
    assert_envelope(client.post("/api/products", json=payload), 400, "csrf_failed")
    response = client.post("/api/products", json=payload, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    # A bearer token needs no CSRF header.
    headers = ApiClient(client).token("admin")
    assert (
        client.post(
            "/api/products", json={"name": "Coffee", "price": "5"}, headers=headers
        ).status_code
        == 201
    )


# --- stock movements ---------------------------------------------------------------------------


def test_post_stock_books_a_movement_and_answers_the_product(
    client: FlaskClient, admin_headers: Headers
) -> None:
    rice = make_product(db.session, name="Rice", unit="kg", opening_stock="10", cost="40.00")
    response = client.post(
        f"/api/products/{rice.id}/stock",
        json={"delta": "30", "reason": "purchase", "note": "Bill 9", "unit_cost": "48.00"},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["stock"] == "40.000"
    assert body["cost"] == "46.00"
    response = client.post(
        f"/api/products/{rice.id}/stock",
        json={"delta": -0.5, "reason": "adjust_damage", "note": "wet"},
        headers=admin_headers,
    )
    assert response.get_json()["stock"] == "39.500"


def test_post_stock_errors(
    client: FlaskClient, admin_headers: Headers, cashier_headers: Headers
) -> None:
    soap = make_product(db.session, name="Soap", opening_stock="2")
    url = f"/api/products/{soap.id}/stock"
    assert_envelope(client.post(url, json={"delta": "1", "reason": "adjust_count"}), 401)
    assert_envelope(
        client.post(url, json={"delta": "1", "reason": "adjust_count"}, headers=cashier_headers),
        403,
        "forbidden",
    )
    error = assert_envelope(
        client.post(url, json={"delta": "1.5", "reason": "nope"}, headers=admin_headers),
        422,
        "validation_error",
    )
    assert set(error["details"]["fields"]) == {"delta", "reason"}
    error = assert_envelope(
        client.post(url, json={"delta": "-3", "reason": "adjust_loss"}, headers=admin_headers),
        409,
        "insufficient_stock",
    )
    assert error["details"]["available"] == "2"
    assert_envelope(
        client.post(
            "/api/products/999/stock",
            json={"delta": "1", "reason": "adjust_count"},
            headers=admin_headers,
        ),
        404,
    )
    assert_envelope(
        client.post(url, data="{", headers={**admin_headers, "Content-Type": "application/json"}),
        400,
        "malformed_json",
    )


def test_accented_names_clash_cleanly_instead_of_crashing(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    # Found by the schemathesis run: Python's lower() folds "É", SQLite's does not, so the
    # duplicate checks missed and the unique constraints answered 500.
    for name in ("Éclair", "Éclair 2"):
        made = client.post(
            "/api/products",
            json={"name": name, "price": "5.00", "category": "ÉPICERIE"},
            headers=admin_headers,
        )
        assert made.status_code == 201, made.get_json()
        assert made.get_json()["category"] == "ÉPICERIE"
    again = client.post(
        "/api/products", json={"name": "Éclair", "price": "5.00"}, headers=admin_headers
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "duplicate"


def test_health_answers_503_when_the_schema_is_not_this_versions(
    client: FlaskClient, database: str
) -> None:
    """A table gone, a column gone or another revision: 503 with the error envelope (SELECT 1
    alone answered 200 while every page failed)."""
    from sqlalchemy import text

    def broken(sql: str) -> dict:
        db.session.execute(text(sql))
        db.session.commit()  # the test's app context shares its session with the requests
        response = client.get("/api/health")
        assert response.status_code == 503, response.get_data(as_text=True)
        body = response.get_json()["error"]
        assert body["code"] == "unhealthy"
        assert body["details"] == {"status": "degraded", "version": "0.1.0", "db": "error"}
        return body

    assert client.get("/api/health").status_code == 200
    (head,) = db.session.execute(text("SELECT version_num FROM alembic_version")).one()
    db.session.rollback()
    body = broken("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    assert "schema version ffffffffffff" in body["message"] and head in body["message"]
    db.session.execute(text(f"UPDATE alembic_version SET version_num = '{head}'"))  # noqa: S608
    db.session.commit()
    assert client.get("/api/health").status_code == 200
    body = broken("ALTER TABLE held_bills DROP COLUMN label")
    assert "held_bills" in body["message"]
    body = broken("DROP TABLE daily_sales")
    assert "daily_sales" in body["message"]
