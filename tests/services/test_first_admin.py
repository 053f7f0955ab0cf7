"""create_first_admin under a race, on every backend: six threads, exactly one admin."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from posapp.errors import Conflict
from posapp.extensions import db
from posapp.models import User
from posapp.services import users
from tests.factories import PASSWORD

THREADS = 6


def test_racing_first_admins_make_exactly_one(app: Flask) -> None:
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def racer(i: int) -> None:
        with app.app_context():  # a session of its own, as each request has
            start.wait(timeout=30)
            try:
                users.create_first_admin(db.session, f"owner{i}", PASSWORD, PASSWORD)
                outcome = "created"
            except Conflict as exc:
                outcome = exc.code
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(outcomes) == ["created"] + ["setup_done"] * (THREADS - 1)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
