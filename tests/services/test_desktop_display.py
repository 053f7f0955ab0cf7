"""The desktop app's customer display window (posapp/desktop.py): which monitor it takes and
what it hands pywebview; and the one-time ticket that pairs it (services/displays.py)."""

from __future__ import annotations

import sys
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from posapp.desktop import DesktopApi, customer_screen
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import User
from posapp.services import displays
from posapp.services.displays import PairingCodes
from tests.services.test_displays import Clock

BASE = "http://127.0.0.1:5123/"


def screen(x: int, y: int, width: int = 1920, height: int = 1080) -> SimpleNamespace:
    return SimpleNamespace(x=x, y=y, width=width, height=height)


def test_the_display_takes_the_first_monitor_that_is_not_the_primary() -> None:
    primary, right, left = screen(0, 0), screen(1920, 0), screen(-1024, 0, 1024, 768)
    assert customer_screen([primary]) is None
    assert customer_screen([]) is None
    assert customer_screen([primary, right]) is right
    assert customer_screen([left, primary]) is left  # Windows lists them in any order


class FakeWebview:
    """What the method needs of pywebview: the screens and create_window."""

    def __init__(self, screens: list[Any]) -> None:
        self.screens = screens
        self.created: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def create_window(self, *args: Any, **kwargs: Any) -> None:
        self.created.append((args, kwargs))


def test_a_second_monitor_gets_a_full_screen_window_without_the_js_api(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    second = screen(1920, 0, 1024, 600)
    fake = FakeWebview([screen(0, 0), second])
    monkeypatch.setitem(sys.modules, "webview", fake)
    api = DesktopApi(tmp_path, BASE)
    assert api.open_customer_display(BASE + "display/claim/t-abc") is True
    [(args, kwargs)] = fake.created
    assert args == ("TillBook — customer display", BASE + "display/claim/t-abc")
    assert kwargs == {"screen": second, "fullscreen": True}  # no js_api: read-only


def test_one_monitor_gets_an_ordinary_window(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    fake = FakeWebview([screen(0, 0)])
    monkeypatch.setitem(sys.modules, "webview", fake)
    assert DesktopApi(tmp_path, BASE).open_customer_display(BASE + "display/claim/t-x") is False
    [(_args, kwargs)] = fake.created
    assert kwargs == {"width": 1024, "height": 600}


@pytest.mark.parametrize(
    "url", ["https://evil.example/display/claim/t-x", BASE + "pos/", BASE + "display/"]
)
def test_nothing_else_opens_in_the_display_window(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, url: str
) -> None:
    fake = FakeWebview([screen(0, 0), screen(1920, 0)])
    monkeypatch.setitem(sys.modules, "webview", fake)
    with pytest.raises(ValueError):
        DesktopApi(tmp_path, BASE).open_customer_display(url)
    assert fake.created == []


def test_a_ticket_pairs_once_within_a_minute(cashier: User) -> None:
    clock = Clock()
    codes = PairingCodes(clock=clock)
    ticket = codes.issue_ticket(cashier.id)
    assert ticket.startswith("t-") and len(ticket) > 30
    paired = displays.pair_by_ticket(db.session, codes, ticket)
    assert paired is not None and paired[0].user_id == cashier.id
    assert displays.pair_by_ticket(db.session, codes, ticket) is None
    late = codes.issue_ticket(cashier.id)
    clock.now += displays.TICKET_LIFETIME + timedelta(seconds=1)
    assert displays.pair_by_ticket(db.session, codes, late) is None
    # a 6-digit code is no ticket, and a ticket is no code
    code = codes.issue(cashier.id).code
    assert displays.pair_by_ticket(db.session, codes, code) is None
    fresh = codes.issue_ticket(cashier.id)
    with pytest.raises(ValidationError):
        displays.pair(db.session, codes, fresh, "X", "x")
