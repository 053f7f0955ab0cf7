"""Server databases (PostgreSQL, MariaDB): what differs from the shop laptop's SQLite file."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from posapp.maintenance.database import sqlite_file
from tests.factories import PASSWORD

DUMP_TOOL = {"postgresql": b"pg_dump", "mariadb": b"mariadb-dump"}


def test_backups_page_hands_backups_to_the_database_server(
    app: Flask,
    client: FlaskClient,
    admin,
    database: str,  # type: ignore[no-untyped-def]
) -> None:
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    page = client.get("/backups/")
    assert page.status_code == 200
    if database == "sqlite":
        assert sqlite_file(app) is not None
        assert b"Backup now" in page.data and b"data-server-backups" not in page.data
        return
    assert sqlite_file(app) is None
    assert b"data-server-backups" in page.data and DUMP_TOOL[database] in page.data
    assert b"Backup now" not in page.data  # no button that cannot work here
    refused = client.post("/backups/now")
    assert refused.status_code == 422
    assert b"The backup failed" in refused.data
