"""Shared fixtures: a real app on a real SQLite file in a temp data dir, clients, a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from posapp import create_app
from posapp.extensions import db
from tests.factories import PASSWORD, make_user


def build_app(data_dir: Path, **overrides: Any) -> Flask:
    """Create the real app on a data dir (migrations run, as at every start)."""
    # API_CHECK_RESPONSES: every API answer in the suite is checked against its documented model.
    config = {
        "DATA_DIR": str(data_dir),
        "TESTING": True,
        "LOG_TO_FILE": False,
        "API_CHECK_RESPONSES": True,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def app(data_dir: Path) -> Iterator[Flask]:
    """The app with CSRF off for plain form tests (CSRF has its own tests)."""
    application = build_app(data_dir, WTF_CSRF_ENABLED=False)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_app(data_dir: Path) -> Iterator[Flask]:
    """The app exactly as shipped: CSRF on."""
    application = build_app(data_dir)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app: Flask):  # type: ignore[no-untyped-def]
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(app: Flask):  # type: ignore[no-untyped-def]
    return make_user(db.session, "admin", "admin")


@pytest.fixture
def cashier(app: Flask):  # type: ignore[no-untyped-def]
    return make_user(db.session, "cashier", "cashier")


class ApiClient:
    """Calls the API with a bearer token obtained through /api/auth/login."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def api(client: FlaskClient) -> ApiClient:
    return ApiClient(client)


@pytest.fixture
def admin_headers(api: ApiClient, admin) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return api.token("admin")


@pytest.fixture
def cashier_headers(api: ApiClient, cashier) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return api.token("cashier")


class LiveServer:
    """The real waitress server, on a free loopback port, in a thread."""

    def __init__(self, app: Flask) -> None:
        from waitress.server import create_server

        self.app = app
        self.server = create_server(app, host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        # Join the worker threads first: a worker finishing a response pokes the server's
        # trigger, which close() would already have closed (OSError in that thread).
        self.server.task_dispatcher.shutdown(timeout=5)
        self.server.close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(data_dir: Path) -> Iterator[LiveServer]:
    """A running server on a fresh data dir (CSRF on, as shipped)."""
    application = build_app(data_dir)
    server = LiveServer(application).start()
    yield server
    server.stop()
    with application.app_context():
        db.engine.dispose()
