"""The OpenAPI document: valid 3.1, complete both ways, and the page generated from it."""

from __future__ import annotations

import re

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from posapp import apidoc
from posapp.api import schemas
from posapp.api.openapi import openapi_path
from posapp.apidoc import ResponseMismatch, check_response, documented

pytestmark = pytest.mark.one_backend("the API document and answers matching it")

CONTRACT_ENDPOINTS = {
    # docs/API.md's endpoint table, written out by hand: these must all be documented.
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/products"),
    ("POST", "/api/v1/products"),
    ("GET", "/api/v1/products/{product_id}"),
    ("PUT", "/api/v1/products/{product_id}"),
    ("DELETE", "/api/v1/products/{product_id}"),
    ("GET", "/api/v1/products/lookup"),
    ("POST", "/api/v1/products/{product_id}/stock"),
    ("POST", "/api/v1/invoice/create"),
    ("GET", "/api/v1/invoice/{key}"),
    ("GET", "/api/v1/invoice/{key}/pdf"),
    ("GET", "/api/v1/invoices"),
    ("POST", "/api/v1/invoice/{key}/void"),
    ("POST", "/api/v1/invoice/{key}/return"),
    ("GET", "/api/v1/customers"),
    ("POST", "/api/v1/customers"),
    ("GET", "/api/v1/customers/{customer_id}"),
    ("PUT", "/api/v1/customers/{customer_id}"),
    ("GET", "/api/v1/customers/{customer_id}/ledger"),
    ("POST", "/api/v1/customers/{customer_id}/payments"),
    ("GET", "/api/v1/dashboard/stats"),
    ("GET", "/api/v1/settings"),
    ("PUT", "/api/v1/settings"),
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/api/v1/inventory/status"),
    ("GET", "/api/v1/inventory/history"),
    ("POST", "/api/v1/inventory/adjust"),
    ("GET", "/api/v1/payments"),
    ("GET", "/api/v1/invoices/{key}/payment-status"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("GET", "/api/v1/orders/{order_id}"),
    ("POST", "/api/v1/orders/{order_id}/status"),
    ("POST", "/api/v1/orders/{order_id}/cancel"),
}
TILL_ENDPOINTS = {
    # The till's own JSON endpoints (docs/API.md): documented under the `till` tag.
    ("POST", "/pos/price"),
    ("POST", "/pos/held"),
    ("GET", "/pos/held"),
    ("POST", "/pos/held/{held_id}/recall"),
    ("POST", "/pos/receipt/{invoice_id}/print"),
    ("POST", "/backups/jobs"),
    ("GET", "/backups/jobs/{job_id}"),
    ("POST", "/exports/folder"),
    ("GET", "/upi/qr"),
    ("GET", "/upi/qr.svg"),
}


@pytest.fixture
def spec(client: FlaskClient) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _operations(spec: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}


def test_the_document_is_valid_openapi_31(spec: dict) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/v1/auth/login or the profile page.",
    }


def test_every_api_route_is_documented_and_every_documented_path_exists(
    app: Flask, spec: dict
) -> None:
    routes = {
        (method, openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    documented_ops = _operations(spec)
    assert routes - documented_ops == set(), "routes under /api without documentation"
    assert documented_ops - routes == TILL_ENDPOINTS, "documented operations with no route"
    assert documented_ops >= CONTRACT_ENDPOINTS
    till = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if op["tags"] == ["till"]
    }
    assert till == TILL_ENDPOINTS


def test_each_operation_documents_auth_errors_and_its_success(spec: dict) -> None:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            statuses = set(op["responses"])
            assert any(s.startswith("2") for s in statuses), where
            if op["tags"] == ["till"]:
                # A page's cookie session: logged out is a redirect to the login page, and a
                # write needs the page's CSRF token.
                assert {"302", "403"} <= statuses, where
                cookie = {"cookieAuth": []}
                csrf = {"cookieAuth": [], "csrfHeader": []}
                assert op["security"] == [csrf if method != "get" else cookie], where
                continue
            assert {"401", "403"} <= statuses, where
            if op["x-role"] == "open":
                assert op["security"] == [], where
            else:
                assert op["security"] == [{"bearerAuth": []}], where
            if "requestBody" in op:
                assert {"400", "422"} <= statuses, where
            if "{" in path:
                assert "404" in statuses, where
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, where


def test_roles_match_the_contract(spec: dict) -> None:
    admin_only = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if op["x-role"] == "admin"
    }
    assert {
        ("POST", "/api/v1/products"),
        ("PUT", "/api/v1/products/{product_id}"),
        ("DELETE", "/api/v1/products/{product_id}"),
        ("POST", "/api/v1/products/{product_id}/stock"),
        ("POST", "/api/v1/invoice/{key}/void"),
        ("GET", "/api/v1/dashboard/stats"),
        ("PUT", "/api/v1/settings"),
        ("POST", "/api/v1/inventory/adjust"),
    } <= admin_only
    assert ("GET", "/api/v1/settings") not in admin_only
    assert ("POST", "/api/v1/invoice/{key}/return") not in admin_only


def test_lists_share_the_paging_parameters(spec: dict) -> None:
    lists = [
        ops["get"]
        for ops in spec["paths"].values()
        if "get" in ops
        and "application/json" in ops["get"]["responses"]["200"]["content"]
        and ops["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        .get("$ref", "")
        .endswith("Page")
    ]
    # products, invoices, customers, ledger, suppliers, their ledger, the books' journal;
    # v1's stock status and history, payments and orders
    assert len(lists) == 11
    for op in lists:
        params = {p["name"]: p["schema"] for p in op["parameters"]}
        assert params["page"] == {
            "default": 1,
            "minimum": 1,
            "maximum": 1_000_000,
            "type": "integer",
        }
        assert params["per_page"] == {
            "default": 50,
            "maximum": 500,
            "minimum": 1,
            "type": "integer",
        }


def test_money_quantities_and_times_are_typed_strings(spec: dict) -> None:
    product = spec["components"]["schemas"]["Product"]["properties"]
    assert product["price"]["pattern"] == apidoc.MONEY_RE
    assert product["stock"]["pattern"] == apidoc.QTY_RE
    invoice = spec["components"]["schemas"]["Invoice"]["properties"]
    assert invoice["created_at"]["pattern"] == apidoc.TIME_RE
    create = spec["components"]["schemas"]["ProductCreate"]
    assert set(create["required"]) == {"name", "price"}
    assert {"type": "number"} in create["properties"]["price"]["anyOf"]


def test_check_response_refuses_a_shape_the_docs_do_not_describe(app: Flask) -> None:
    @documented({200: schemas.Health})
    def view() -> None:
        """A stand-in view."""

    good = Response('{"status": "ok", "version": "1", "db": "ok"}', mimetype="application/json")
    check_response(view, good)
    extra = Response(
        '{"status": "ok", "version": "1", "db": "ok", "x": 1}', mimetype="application/json"
    )
    with pytest.raises(ResponseMismatch, match="Health"):
        check_response(view, extra)
    with pytest.raises(ResponseMismatch, match="not documented"):
        check_response(view, Response("{}", status=201, mimetype="application/json"))
    with pytest.raises(ResponseMismatch, match="Error"):
        check_response(view, Response('{"error": "x"}', status=404, mimetype="application/json"))
    money = Response(
        '{"error": {"code": "x", "message": "y", "details": {}}}',
        status=409,
        mimetype="application/json",
    )
    check_response(view, money)


def test_the_suite_checks_real_responses(app: Flask) -> None:
    assert app.config["API_CHECK_RESPONSES"] is True


def test_the_till_endpoints_are_checked_the_same_way(app: Flask) -> None:
    view = app.view_functions["pos.price"]
    with pytest.raises(ResponseMismatch, match="PricePreview"):
        check_response(view, Response('{"lines": []}', mimetype="application/json"))
    flat = Response('{"error": "No such backup job."}', status=404, mimetype="application/json")
    check_response(app.view_functions["backups.job_status"], flat)


def test_the_reference_page_shows_every_operation_and_schema(
    client: FlaskClient, spec: dict
) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = set(re.findall(r'data-operation="([A-Z]+ [^"]+)"', html))
    assert shown == {f"{m} {p}" for m, p in _operations(spec)}
    assert set(re.findall(r'data-schema="([^"]+)"', html)) == set(spec["components"]["schemas"])
    assert 'href="#schema-ProductPage"' in html
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in html
    # Nothing from the internet. (The scripts' words, a JSON block every page carries, may
    # tell a person to open an https:// address: that is text, never loaded.)
    loaded = re.sub(
        r'<script type="application/json" id="tb-i18n">.*?</script>', "", html, flags=re.S
    )
    assert "http://" not in loaded and "https://" not in loaded


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/v1/products?include_archived=maybe", "include_archived"),
        ("/api/v1/products?low_stock=2", "low_stock"),
        ("/api/v1/customers?include_archived=x", "include_archived"),
        ("/api/v1/products?per_page=501", "per_page"),
        ("/api/v1/invoices?per_page=0", "per_page"),
        ("/api/v1/invoices?page=0", "page"),
        ("/api/v1/products?q=" + "a" * 201, "q"),
        ("/api/v1/customers?q=" + "a" * 201, "q"),
        ("/api/v1/invoices?q=" + "a" * 201, "q"),
    ],
)
def test_list_parameters_are_checked_the_same_way_everywhere(
    client: FlaskClient, admin_headers: dict[str, str], url: str, field: str
) -> None:
    response = client.get(url, headers=admin_headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_the_pdf_layouts_are_documented(spec: dict) -> None:
    params = spec["paths"]["/api/v1/invoice/{key}/pdf"]["get"]["parameters"]
    layout = next(p for p in params if p["name"] == "layout")
    assert layout["in"] == "query" and layout["schema"]["enum"] == ["a4", "a5", "receipt"]


def test_the_money_and_stock_posts_take_an_idempotency_key(spec: dict) -> None:
    keyed = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
    }
    assert keyed == {
        ("POST", "/api/v1/invoice/create"),
        ("POST", "/api/v1/customers/{customer_id}/payments"),
        ("POST", "/api/v1/products/{product_id}/stock"),
        ("POST", "/api/v1/inventory/adjust"),
        ("POST", "/api/v1/orders"),
    }
    assert "/api/auth/login" not in spec["paths"]  # the old paths are not documented again
    assert "deprecated" in spec["info"]["description"]
