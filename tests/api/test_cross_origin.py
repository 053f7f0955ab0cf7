"""The API refuses cross-origin browser requests; scripts (no Origin) and the till work."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.one_backend("cross-origin headers")


def test_a_foreign_origin_gets_403_even_with_a_good_token(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    for origin in ("http://evil.example", "http://localhost:9999", "null"):
        response = client.get("/api/products", headers={**admin_headers, "Origin": origin})
        assert response.status_code == 403, origin
        assert response.get_json()["error"]["code"] == "cross_origin_refused"
    refused = client.post(
        "/api/auth/login",
        json={"username": "admin", "password": PASSWORD},
        headers={"Origin": "http://evil.example"},
    )
    assert refused.status_code == 403


def test_scripts_without_origin_and_same_origin_calls_are_served(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    assert client.get("/api/products", headers=admin_headers).status_code == 200
    same = client.get("/api/products", headers={**admin_headers, "Origin": "http://localhost"})
    assert same.status_code == 200


def _call(server: LiveServer, path: str, headers: dict[str, str], body: dict | None = None):  # type: ignore[no-untyped-def]
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", **headers}
        connection.request("POST" if body is not None else "GET", path, payload, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def test_on_the_real_server_the_till_origin_passes_and_others_do_not(
    live_server: LiveServer,
) -> None:
    from posapp.extensions import db

    with live_server.app.app_context():
        make_user(db.session, "owner", "admin")
    status, body = _call(
        live_server, "/api/auth/login", {}, {"username": "owner", "password": PASSWORD}
    )
    assert status == 200
    auth = {"Authorization": f"Bearer {body['token']}"}
    assert _call(live_server, "/api/products", auth)[0] == 200
    assert _call(live_server, "/api/products", {**auth, "Origin": live_server.url})[0] == 200
    status, body = _call(live_server, "/api/products", {**auth, "Origin": "http://evil.example"})
    assert status == 403 and body["error"]["code"] == "cross_origin_refused"


def test_behind_an_https_proxy_the_pages_origin_is_the_proxys(data_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Render/Railway terminate HTTPS: with TILLBOOK_PROXY_HOPS the https origin is our own."""
    from posapp.extensions import db
    from tests.conftest import build_app

    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com"}
    origin = {"Origin": "https://shop.example.com"}
    for hops, expected in (("", 403), ("1", 200)):
        monkeypatch.setenv("TILLBOOK_PROXY_HOPS", hops)
        app = build_app(data_dir)
        with app.app_context():
            make_user(db.session, f"owner{hops or 0}", "admin")
            client = app.test_client()
            login = client.post(
                "/api/auth/login",
                json={"username": f"owner{hops or 0}", "password": PASSWORD},
                headers=forwarded,
            )
            token = {"Authorization": f"Bearer {login.get_json()['token']}"}
            response = client.get("/api/products", headers={**token, **forwarded, **origin})
            assert response.status_code == expected, hops
            db.session.remove()
            db.engine.dispose()
