"""Shared fixtures: a real app on a real database in a temp data dir, clients, a live server.

The database is a real SQLite file in the data dir. When a PostgreSQL and/or MariaDB server is
configured (see tests/databases.py), every test under tests/services and tests/api that uses the
database runs once more against each server, on a fresh database of its own; tests marked
`sqlite_only` are skipped there with their reason.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings

from posapp import create_app
from posapp.extensions import db
from tests import databases
from tests.factories import PASSWORD, make_user

# Property tests draw the same examples on every run (a failure can be reproduced, a green run
# means the same thing each time) and are never failed for one slow example on a busy machine.
hypothesis_settings.register_profile("tillbook", derandomize=True, deadline=None, database=None)
hypothesis_settings.load_profile("tillbook")

# Only these folders hold the service and API tests that run on every configured backend.
MULTI_BACKEND_DIRS = ("services", "api")


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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run database tests of tests/services and tests/api once per configured backend."""
    if "database" not in metafunc.fixturenames:
        return
    servers = databases.configured_backends()
    folder = Path(str(metafunc.definition.path)).relative_to(Path(__file__).parent).parts[0]
    # A module whose subject is not the database (documents, printers, parsing, the network)
    # says so; running it on each server would test the same rendering three times.
    one_backend = metafunc.definition.get_closest_marker("one_backend") is not None
    if servers and folder in MULTI_BACKEND_DIRS and not one_backend:
        metafunc.parametrize("database", ["sqlite", *servers], indirect=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    databases.close_all()


@pytest.fixture
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The backend of this test: SQLite in the data dir, or a fresh database on a server.

    A server database is handed over as DATABASE_URL, exactly as a shop configures it, so apps
    the test builds itself (and processes it starts) use it too.
    """
    name = getattr(request, "param", "sqlite")
    if name == "sqlite":
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield name
        return
    marker = request.node.get_closest_marker("sqlite_only")
    if marker is not None:
        pytest.skip(f"SQLite only: {marker.args[0] if marker.args else 'no reason given'}")
    server = databases.backend(name)
    db_name, url = server.fresh()
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        yield name
    finally:
        # Apps a test built for itself may leave pooled connections behind; SQLite's close
        # silently, the server drivers warn when collected. Collect them here, then drop.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        server.drop(db_name)


@pytest.fixture
def data_dir(tmp_path: Path, database: str) -> Path:
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
        from posapp.serving import Server

        self.app = app
        self.server = Server(app, host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.port}"

    def start(self) -> LiveServer:
        self.server.start()
        return self

    def stop(self) -> None:
        # The app's own graceful stop: it closes sockets on waitress's loop thread. Closing
        # them from here raced the loop's select() (EBADF) while keep-alive clients lingered.
        self.server.stop()


@pytest.fixture
def live_server(data_dir: Path) -> Iterator[LiveServer]:
    """A running server on a fresh data dir (CSRF on, as shipped)."""
    application = build_app(data_dir)
    server = LiveServer(application).start()
    yield server
    server.stop()
    with application.app_context():
        db.engine.dispose()
