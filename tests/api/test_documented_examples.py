"""Every request example in the OpenAPI document is accepted by the API as documented.

The services, not the request models, validate input (their messages are the contract); this
test keeps the two in step: each documented example body, with its ids pointed at real rows,
must get the documented success status. A new operation with a body must be added here
(the till's own endpoints, tagged `till`, through a logged-in page's cookie session).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from posapp.extensions import db
from tests.factories import make_product, make_user
from tests.web.helpers import login as page_login

EXAMPLE_PASSWORD = "correct horse battery"  # the LoginRequest example's


def _with_ids(value: Any, ids: dict[str, int]) -> Any:
    """Point the example's ids (product_id, customer_id, line_id) at real rows."""
    if isinstance(value, dict):
        return {k: ids[k] if k in ids else _with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_ids(v, ids) for v in value]
    return value


def test_each_documented_request_example_is_accepted(client: FlaskClient, tmp_path: Path) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    components = spec["components"]["schemas"]
    bodies = {
        (method.upper(), path): components[
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        ]["examples"][0]
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    }
    tried: set[tuple[str, str]] = set()

    def send(method: str, path: str, url: str, status: int, **ids: int) -> dict[str, Any]:
        tried.add((method, path))
        body = _with_ids(bodies[(method, path)], ids)
        response = client.open(url, method=method, json=body, headers=headers)
        assert response.status_code == status, (method, path, body, response.get_json())
        return response.get_json()  # type: ignore[no-any-return]

    owner = make_user(db.session, "owner", "admin", password=EXAMPLE_PASSWORD)
    headers: dict[str, str] = {}
    login = send("POST", "/api/v1/auth/login", "/api/v1/auth/login", 200)
    headers = {"Authorization": f"Bearer {login['token']}"}

    product = send("POST", "/api/v1/products", "/api/v1/products", 201)
    path = "/api/v1/products/{product_id}"
    send("PUT", path, f"/api/v1/products/{product['id']}", 200)
    send("POST", path + "/stock", f"/api/v1/products/{product['id']}/stock", 200)
    make_product(db.session, owner.id, name="Namkeen", category="Snacks", tax_rate="12")
    send("POST", "/api/v1/products/rerate", "/api/v1/products/rerate", 200)  # a preview

    customer = send("POST", "/api/v1/customers", "/api/v1/customers", 201)
    cpath = "/api/v1/customers/{customer_id}"
    send("PUT", cpath, f"/api/v1/customers/{customer['id']}", 200)

    # The checkout example pays 100.00 cash + 50.00 on credit: prices that total 94.50 after
    # its 10 % bill discount, with its barcode on the second product.
    cheap = make_product(db.session, owner.id, name="Notebook", price="40.00")
    make_product(db.session, owner.id, name="Pen", price="30.00", code="8901234567890")
    invoice = send(
        "POST",
        "/api/v1/invoice/create",
        "/api/v1/invoice/create",
        201,
        product_id=cheap.id,
        customer_id=customer["id"],
    )
    assert invoice["total"] == "94.50"
    send(
        "POST",
        "/api/v1/invoice/{key}/return",
        f"/api/v1/invoice/{invoice['id']}/return",
        201,
        line_id=invoice["lines"][0]["id"],
    )
    other = client.post(
        "/api/v1/invoice/create",
        json={"items": [{"product_id": cheap.id, "quantity": 1}]},
        headers=headers,
    ).get_json()
    send("POST", "/api/v1/invoice/{key}/void", f"/api/v1/invoice/{other['id']}/void", 200)

    send("POST", cpath + "/payments", f"/api/v1/customers/{customer['id']}/payments", 201)
    send("POST", cpath + "/adjustments", f"/api/v1/customers/{customer['id']}/adjustments", 201)
    send("PUT", "/api/v1/settings", "/api/v1/settings", 200)
    supplier = send("POST", "/api/v1/suppliers", "/api/v1/suppliers", 201)
    spath = "/api/v1/suppliers/{supplier_id}"
    send("PUT", spath, f"/api/v1/suppliers/{supplier['id']}", 200)
    send("POST", spath + "/payments", f"/api/v1/suppliers/{supplier['id']}/payments", 201)
    send("POST", "/api/v1/books/journal", "/api/v1/books/journal", 201)
    send("POST", "/api/v1/inventory/adjust", "/api/v1/inventory/adjust", 200, product_id=cheap.id)
    order = send("POST", "/api/v1/orders", "/api/v1/orders", 201, product_id=cheap.id)
    opath = "/api/v1/orders/{order_id}"
    send("POST", opath + "/status", f"/api/v1/orders/{order['id']}/status", 200)
    send("POST", opath + "/cancel", f"/api/v1/orders/{order['id']}/cancel", 200)

    # The till's own endpoints, as its pages call them: the cookie of a logged-in page.
    headers = {}
    page_login(client, "owner", EXAMPLE_PASSWORD)
    send("POST", "/pos/price", "/pos/price", 200, product_id=cheap.id)
    send("POST", "/pos/held", "/pos/held", 201, product_id=cheap.id)
    # No receipt printer is set up: understood, and "Nothing to print."
    print_path = "/pos/receipt/{invoice_id}/print"
    send("POST", print_path, f"/pos/receipt/{invoice['id']}/print", 200)
    job = send("POST", "/backups/jobs", "/backups/jobs", 202)
    for _ in range(200):  # let the backup thread finish before the data dir goes
        if client.get(job["status_url"]).get_json()["state"] != "running":
            break
        time.sleep(0.05)
    bodies[("POST", "/exports/folder")]["folder"] = str(tmp_path)  # the example's is E:\
    send("POST", "/exports/folder", "/exports/folder", 200)

    assert tried == set(bodies), f"examples not tried: {set(bodies) - tried}"
