"""The desktop app's customer display window (posapp/desktop.py, posapp/second_window.py):
which monitor it takes and what it hands pywebview; and the one-time ticket that pairs it
(services/displays.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from posapp import second_window
from posapp.desktop import DesktopApi, customer_screen
from posapp.errors import ValidationError
from posapp.extensions import db
from posapp.models import User
from posapp.second_window import ExtraWindows
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
    """What the display window needs of pywebview: the screens, create_window and start."""

    def __init__(self, screens: list[Any]) -> None:
        self.screens = screens
        self.created: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.started: dict[str, Any] = {}

    def create_window(self, *args: Any, **kwargs: Any) -> SimpleNamespace:
        self.created.append((args, kwargs))
        return SimpleNamespace(destroy=lambda: None)

    def start(self, **kwargs: Any) -> None:
        self.started = kwargs


def child_window(
    monkeypatch: pytest.MonkeyPatch, screens: list[Any], url: str
) -> tuple[FakeWebview, int]:
    """Run the child process's side of the display window against a stand-in pywebview."""
    fake = FakeWebview(screens)
    monkeypatch.setitem(sys.modules, "webview", fake)
    monkeypatch.setattr(second_window.sys, "stdin", None)  # no till pipe to watch here
    return fake, second_window.run_window(url, customer_display=True)


def test_a_second_monitor_gets_a_full_screen_window_without_the_js_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    second = screen(1920, 0, 1024, 600)
    fake, code = child_window(monkeypatch, [screen(0, 0), second], BASE + "display/claim/t-abc")
    assert code == 0
    [(args, kwargs)] = fake.created
    assert args == ("TillBook — customer display", BASE + "display/claim/t-abc")
    assert kwargs == {"screen": second, "fullscreen": True}  # no js_api: read-only
    assert fake.started["private_mode"] is True  # shares no profile with the till's window


def test_one_monitor_gets_an_ordinary_window(monkeypatch: pytest.MonkeyPatch) -> None:
    fake, code = child_window(monkeypatch, [screen(0, 0)], BASE + "display/claim/t-x")
    assert code == 0
    [(_args, kwargs)] = fake.created
    assert kwargs == {"width": 1024, "height": 600}


def spawning_api(tmp_path: Any) -> tuple[DesktopApi, ExtraWindows, list[list[str]]]:
    started: list[list[str]] = []

    def spawn(command: list[str], **options: object) -> subprocess.Popen[bytes]:
        started.append(command)
        return subprocess.Popen([sys.executable, "-c", "pass"])

    windows = ExtraWindows(spawn)
    return DesktopApi(tmp_path, BASE, windows), windows, started


@pytest.mark.parametrize(("monitors", "second_monitor"), [(2, True), (1, False)])
def test_the_till_opens_the_display_in_a_process_of_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, monitors: int, second_monitor: bool
) -> None:
    screens = [screen(0, 0), screen(1920, 0)][:monitors]
    monkeypatch.setitem(sys.modules, "webview", FakeWebview(screens))
    api, windows, started = spawning_api(tmp_path)
    assert api.open_customer_display(BASE + "display/claim/t-abc") is second_monitor
    [command] = started
    assert command[-3:] == ["window", "--customer-display", BASE + "display/claim/t-abc"]
    windows.close_all()


@pytest.mark.parametrize(
    "url", ["https://evil.example/display/claim/t-x", BASE + "pos/", BASE + "display/"]
)
def test_nothing_else_opens_in_the_display_window(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, url: str
) -> None:
    monkeypatch.setitem(sys.modules, "webview", FakeWebview([screen(0, 0), screen(1920, 0)]))
    api, _windows, started = spawning_api(tmp_path)
    with pytest.raises(ValueError):
        api.open_customer_display(url)
    assert started == []


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
