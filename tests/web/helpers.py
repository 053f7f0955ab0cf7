"""Logging in and out of the web pages from tests, in one place (flaskr's `AuthActions`)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import PASSWORD


class AuthActions:
    """Log one test client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(
        self, username: str = "admin", password: str = PASSWORD, **kwargs: Any
    ) -> TestResponse:
        """Sign in through POST /login and check it worked (a redirect onwards).

        kwargs go to the request (headers, say). The fixtures' app context, and with it `g`,
        spans every request of a test, and Flask-Login caches the user there: it is forgotten
        first so this client's own cookie decides who is logged in.
        """
        g.pop("_login_user", None)
        response = self.client.post(
            "/login", data={"username": username, "password": password}, **kwargs
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def logout(self) -> TestResponse:
        """Sign out through POST /logout."""
        return self.client.post("/logout")


def login(
    client: FlaskClient, username: str = "admin", password: str = PASSWORD, **kwargs: Any
) -> TestResponse:
    """`AuthActions(client).login(...)`, for tests that log several clients in."""
    return AuthActions(client).login(username, password, **kwargs)
