"""The Postman collection in docs/ runs against a live server: every request, in order, with
its test scripts (tests/api/postman_runner.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posapp.extensions import db
from posapp.services import checkout, orders
from tests.api.postman_runner import Runner, ScriptError
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_customer, make_product, make_user

pytestmark = pytest.mark.one_backend(
    "the documented collection (the API it calls is tested on each backend)"
)

COLLECTION = Path(__file__).resolve().parents[2] / "docs" / "tillbook.postman_collection.json"


def _seed(server: LiveServer) -> None:
    """Id 1 of a product, a customer, an invoice and an order exists (the path variables)."""
    with server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        product = make_product(db.session, owner.id, name="Tea", opening_stock="1000")
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


def test_the_collection_runs_against_a_live_server(live_server: LiveServer) -> None:
    _seed(live_server)
    collection = json.loads(COLLECTION.read_text(encoding="utf-8"))
    runner = Runner(
        collection,
        {"baseUrl": live_server.url, "username": "owner", "password": PASSWORD},
    )
    outcomes = runner.run()
    failed = [(o.method, o.url, o.status, o.failures) for o in outcomes if o.failures]
    assert failed == []
    assert all(o.passed for o in outcomes), "a request without a test"
    assert all(o.status < 500 for o in outcomes)
    by_name = {o.name: o.status for o in outcomes}
    assert outcomes[0].name == "Log in" and outcomes[0].status == 200
    assert outcomes[-1].name == "Log out" and outcomes[-1].status == 204
    # Not a run of refusals: the reads answer, with the token the scripts kept.
    for name in (
        "Report that the app answers and its database has this version's schema",
        "Return the caller: user, role, the shop, and when the calling token ends",
        "List stock by product: on hand, reserved for orders, available, low/out (by name)",
        "List orders: status (comma separated), q, customer_id, from, to",
        "Return one order with its lines, history, estimate and invoice",
        "Return one invoice by id or number",
    ):
        assert by_name[name] == 200, name
    assert sum(200 <= o.status < 300 for o in outcomes) >= len(outcomes) // 2


def test_the_runner_refuses_a_script_outside_its_vocabulary(live_server: LiveServer) -> None:
    collection = {
        "item": [
            {
                "name": "health",
                "request": {
                    "method": "GET",
                    "url": {"raw": "", "host": ["{{baseUrl}}"], "path": ["api", "v1", "health"]},
                },
                "event": [
                    {
                        "listen": "test",
                        "script": {"exec": ['pm.expect(pm.response.text()).to.include("ok");']},
                    }
                ],
            }
        ]
    }
    with pytest.raises(ScriptError, match="outside the vocabulary"):
        Runner(collection, {"baseUrl": live_server.url}).run()
