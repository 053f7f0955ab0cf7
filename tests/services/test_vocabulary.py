"""The one vocabulary (posapp/vocabulary.py): switches, labels and audit action names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import text

from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models.cash import MOVEMENT_KINDS
from posapp.services import audit
from posapp.services.inventory import MANUAL_REASONS
from posapp.vocabulary import (
    AUDIT_ACTIONS,
    LEGACY_AUDIT_ACTIONS,
    audit_action,
    audit_names,
    is_yes,
    labels,
    parse_flag,
)

POSAPP = Path(__file__).resolve().parents[2] / "posapp"
# Functions whose second positional argument (after the session/app) is an audit action.
AUDITING_CALLS = {"record", "save_changes", "record_event", "_audit"}


@pytest.mark.parametrize("word", ["1", "true", "ON", " yes ", "y", True])
def test_yes_words(word: object) -> None:
    assert parse_flag(word, "x") is True


@pytest.mark.parametrize("word", ["", "0", "false", "off", "No", "n", False])
def test_no_words(word: object) -> None:
    assert parse_flag(word, "x", default=True) is (word == "")


@pytest.mark.parametrize("word", ["maybe", "2", 1, 0, [], "yes please"])
def test_anything_else_is_refused_with_one_message(word: object) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_flag(word, "active", what="Active")
    assert caught.value.fields == {"active": "Active must be yes or no."}


def test_stored_switches_are_read_leniently() -> None:
    assert is_yes("1") and is_yes(" On ") and not is_yes("2") and not is_yes(None)


def test_labels() -> None:
    assert labels.payment("credit") == "Credit" and labels.payment("upi") == "UPI"
    assert labels.stock_reason("adjust_loss") == "Lost / stolen"
    assert labels.invoice_status("partial") == "Partial"
    assert labels.payment("barter") == "barter"  # unknown values show as themselves


def test_action_names_follow_one_convention() -> None:
    for name in AUDIT_ACTIONS:
        what, _, verb = name.partition(".")
        assert what and verb and name == name.lower() and " " not in name, name
    for old, new in LEGACY_AUDIT_ACTIONS.items():
        assert new in AUDIT_ACTIONS and old not in AUDIT_ACTIONS, old


def test_legacy_names_read_as_the_new_ones() -> None:
    assert audit_action("sale") == "sale.create" and audit_action("login.ok") == "login.ok"
    assert audit_names("sale.create") == ("sale.create", "sale")
    assert audit_names("cash_session.close") == ("cash_session.close", "cash_close")
    assert labels.audit_action("customer_update") == labels.audit_action("customer.update")
    assert labels.audit_action("sale") == "Sale"


def _written_actions() -> set[str]:
    """Every action name the code passes to the audit writers, f-strings expanded."""
    found: set[str] = set()
    for path in POSAPP.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in AUDITING_CALLS:
                continue
            arg = node.args[1]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                found.add(constants[arg.id])
            elif isinstance(arg, ast.IfExp):
                found.update(
                    part.value for part in (arg.body, arg.orelse) if isinstance(part, ast.Constant)
                )
            elif isinstance(arg, ast.JoinedStr):
                prefix = "".join(
                    part.value for part in arg.values if isinstance(part, ast.Constant)
                )
                expansions = {
                    "stock.": list(MANUAL_REASONS),
                    "cash_session.": list(MOVEMENT_KINDS),
                }
                assert prefix in expansions, f"{path.name}:{node.lineno}: f-string action"
                found.update(prefix + value for value in expansions[prefix])
    return found


def test_every_action_the_code_writes_has_a_label() -> None:
    written = _written_actions()
    assert len(written) > 40
    # `backups.record_event(session, action, ...)` passes its caller's name through.
    assert written - AUDIT_ACTIONS.keys() <= {"action"}, written - AUDIT_ACTIONS.keys()


def test_the_writer_refuses_an_unlisted_action(app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="AUDIT_ACTIONS"):
        audit.record(db.session, "sale_made")
    db.session.rollback()


def test_the_log_filters_legacy_rows_under_the_new_name(app) -> None:  # type: ignore[no-untyped-def]
    audit.record(db.session, "sale.create", entity="invoice", entity_id=1)
    db.session.commit()
    # A row written by an older version, before the convention.
    db.session.execute(
        text(
            "INSERT INTO audit_log (created_at, action, entity, entity_id, hash) "
            "VALUES ('2026-04-01 10:00:00.000001', 'sale', 'invoice', 2, '')"
        )
    )
    db.session.commit()
    rows, total = audit.list_entries(db.session, action="sale.create")
    assert total == 2 and {r.action for r in rows} == {"sale", "sale.create"}
    assert audit.actions(db.session) == ["sale.create"]
