"""Audit entries in words: every action has a describer, and the sentences read like the pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

from posapp.money import format_money
from posapp.services import audit_text
from posapp.vocabulary import AUDIT_ACTIONS, LEGACY_AUDIT_ACTIONS

POSAPP = Path(__file__).resolve().parents[2] / "posapp"
CTX = audit_text.Context(
    money=lambda minor: format_money(minor, "INR", "en_IN"), customers={7: "Sunita Devi"}
)


def say(action: str, after: dict | None = None, before: dict | None = None) -> str:
    return audit_text.describe(
        action,
        json.dumps(before) if before is not None else None,
        json.dumps(after) if after is not None else None,
        CTX,
    )


def test_every_audit_action_has_its_own_describer() -> None:
    assert set(audit_text.DESCRIBERS) == set(AUDIT_ACTIONS)


def test_every_action_the_code_writes_is_a_known_action() -> None:
    # audit.record refuses a name missing from AUDIT_ACTIONS at run time; this reads the source,
    # so an action on a path no test walks is caught too. Names built with an f-string
    # ("stock.{reason}", "cash_session.{kind}") are checked by their known expansions.
    prefixes = {name.split(".")[0] for name in AUDIT_ACTIONS}
    candidates: set[str] = set()
    for path in POSAPP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "audit.record(" in text or "record_event(" in text:
            found = re.findall(r'"([a-z_]+)\.([a-z_]+)"', text)
            candidates |= {f"{what}.{verb}" for what, verb in found if what in prefixes}
    assert candidates, "no audited actions found in the source"
    assert candidates <= set(AUDIT_ACTIONS), candidates - set(AUDIT_ACTIONS)


def test_money_actions_read_as_sentences_with_rupees() -> None:
    assert (
        say("customer.payment", {"payment_id": 3, "amount": 100000, "method": "upi",
                                 "allocated": {"12": 100000}, "advance": 0})
        == "Payment of ₹1,000.00 by UPI"
    )  # fmt: skip
    assert (
        say("sale.create", {"number": "INV-0042", "total": 51200, "discount": 0,
                            "customer_id": 7, "credit": 0})
        == "Sale INV-0042 of ₹512.00 to Sunita Devi"
    )  # fmt: skip
    assert say("sale.create", {"number": "INV-9", "total": 702000, "credit": 2000,
                               "customer_id": 99, "discount": 0}) == (
        "Sale INV-9 of ₹7,020.00 to customer #99, ₹20.00 on credit"
    )  # fmt: skip
    assert say(
        "cash_session.close", {"counted": 150000, "expected": 150500, "over_short": -500}
    ) == ("Drawer closed: ₹1,500.00 counted, ₹1,505.00 expected (short by ₹5.00)")
    assert (
        say(
            "credit_note.create",
            {
                "credit_note": "CN-1",
                "total": 1000,
                "applied": 0,
                "refund": 1000,
                "refund_method": "cash",
            },
            {"status": "paid", "balance_due": 0},
        )
        == "Return CN-1 of ₹10.00, ₹10.00 refunded by Cash"
    )
    assert say(
        "product.update", {"name": "Sugar 1kg", "price": 4800}, {"name": "Sugar 1kg", "price": 4500}
    ) == ("Product Sugar 1kg changed: price ₹45.00 → ₹48.00")


def test_legacy_names_odd_rows_and_unknown_actions_still_read() -> None:
    old = next(iter(LEGACY_AUDIT_ACTIONS))
    assert say(old, {"amount": 100})  # a pre-convention name reads through the new one
    # A row missing a field its describer expects falls back to the label and its fields.
    assert say("customer.payment", {"amount": 2500}) == "Customer payment: amount ₹25.00"
    assert say("sale.create", None) == "Sale"
    assert say("something.new", {"flag": True}) == "something.new: flag yes"
    assert audit_text.describe("sale.create", None, "not json", CTX) == "Sale: data not json"
