"""Property-based fuzzing of the live API from its own OpenAPI document (schemathesis).

A real waitress server on a fresh data dir (with a product, a customer, a sale and an order,
so ids 1 exist) answers generated requests, valid and invalid, for every documented v1
operation (the OpenAPI document describes v1 only). No answer may be a 5xx, and every answer
must match the document: status, content type and schema. Seeded and derandomized with no
example database, so each run sends the same cases; the example count is capped so the whole
module stays within a few minutes on 2 cores.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from posapp import create_app
from posapp.api.openapi import build_spec
from posapp.extensions import db
from posapp.services import checkout, orders
from tests.conftest import LiveServer, build_app
from tests.factories import PASSWORD, make_customer, make_product, make_user

MAX_EXAMPLES = 40
ENDS_TOKEN = {"/api/v1/auth/logout", "/api/v1/auth/refresh"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261123,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "mode": "all",  # valid and invalid inputs
        },
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    data_dir.mkdir()
    app = build_app(data_dir)
    with app.app_context():
        owner = make_user(db.session, "owner", "admin")
        product = make_product(db.session, owner.id, name="Tea", stock="1000")
        customer = make_customer(db.session, owner, credit_limit="1000.00")
        checkout.checkout(
            db.session,
            checkout.parse_checkout(
                {"items": [{"product_id": product.id, "quantity": 1}], "customer_id": customer.id}
            ),
            owner,
        )
        orders.create_order(
            db.session,
            orders.parse_order(
                {"customer_id": customer.id, "items": [{"product_id": product.id, "quantity": 2}]}
            ),
            owner,
            "api",
        )
        db.session.remove()
    live = LiveServer(app).start()
    yield live
    live.stop()
    with app.app_context():
        db.engine.dispose()


def _login(server: LiveServer) -> str:
    response = requests.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": "owner", "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200
    return str(response.json()["token"])


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    return _login(server)


def _document() -> dict[str, Any]:
    """The document the app serves at /api/openapi.json (built at collection: pytest needs
    the operations before any fixture runs; test_openapi.py checks it is what the app serves)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp, "AUTO_MIGRATE": False, "LOG_TO_FILE": False})
        spec = build_spec(app)
    # The till's endpoints need a page's cookie session and CSRF token, not the bearer
    # token this test sends: their answers are checked by the page tests instead.
    spec["paths"] = {
        path: ops
        for path, ops in spec["paths"].items()
        if not any(op["tags"] == ["till"] for op in ops.values())
    }
    return spec


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@schema.parametrize()
def test_no_5xx_and_every_answer_matches_the_document(
    case: Any, server: LiveServer, token: str
) -> None:
    # Logout and refresh end the token they are sent with: each of their cases gets its own,
    # so the shared one lives on for the operations after them.
    own = _login(server) if case.operation.path in ENDS_TOKEN else token
    case.call_and_validate(
        base_url=server.url, headers={"Authorization": f"Bearer {own}"}, checks=CHECKS
    )
