"""The backups page: list, backup now, off-site copies, restore (listed or uploaded), the gate."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import threading
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from urllib import request as urlrequest
from urllib.error import HTTPError
from urllib.parse import urlencode

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from posapp import winfs
from posapp.documents.filters import size_text
from posapp.extensions import db
from posapp.maintenance import database, startup
from posapp.maintenance import gate as maintenance_gate
from posapp.maintenance import jobs as maintenance_jobs
from posapp.models import AuditLog, Product, User
from posapp.models.base import utcnow, write_transaction
from posapp.services import backups
from posapp.services.integrity import run_checks
from posapp.services.settings import load_settings, save_settings
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_product, make_user
from tests.restore_files import not_tillbook_files
from tests.web.helpers import login


def forget_request_state() -> None:
    """Drop what the test's long-lived app context keeps in g between requests (production
    gets a fresh g per request): the logged-in user object, bound to a removed session."""
    g.pop("_login_user", None)
    g.pop("shop_settings", None)


def listed(data_dir: Path) -> list[str]:
    return [path.name for _moment, path in backups.list_backups(data_dir / "backups")]


def post_upload(client: FlaskClient, path: Path, filename: str) -> TestResponse:
    """POST a database file to the restore form, encoded in memory: the test client spools
    a multipart body over 500 KB to a temporary file it never closes (werkzeug 3.1
    EnvironBuilder.get_environ), which would surface as an unraisable warning in a later test."""
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(path.read_bytes()), filename=filename)}
    )
    return client.post(
        "/backups/restore", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_backup_now_writes_a_verified_copy_lists_it_and_audits_it(
    client: FlaskClient, admin: User, data_dir: Path
) -> None:
    login(client)
    assert client.post("/backups/now").status_code == 302
    (name,) = listed(data_dir)
    assert name.endswith("-manual.db")
    assert backups.integrity_ok(data_dir / "backups" / name) == []
    page = client.get("/backups/").get_data(as_text=True)
    assert name in page and "manual" in page
    # The list says the size the way the backup's own message does.
    size = (data_dir / "backups" / name).stat().st_size
    shown = size_text(size)
    assert f'<td class="text-end num" data-size>{shown}</td>' in page
    assert f"Backup written: {name} ({shown})." in page
    assert 'data-offsite="none"' in page
    assert "backup.create" in actions()


def test_every_backup_is_copied_off_site_and_the_page_warns_when_copies_stop(
    client: FlaskClient, admin: User, data_dir: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "usb stick"
    login(client)
    assert client.post("/backups/offsite", data={"folder": "relative/path"}).status_code == 422
    assert client.post("/backups/offsite", data={"folder": str(stick)}).status_code == 302
    client.post("/backups/now")
    (name,) = listed(data_dir)
    assert (stick / name).is_file() and backups.integrity_ok(stick / name) == []
    settings = load_settings(db.session)
    assert settings.offsite_last_copy
    assert 'data-offsite="ok"' in client.get("/backups/").get_data(as_text=True)
    # The automatic backup at start is copied too.
    info = startup.backup_at_start(client.application, now=utcnow() + timedelta(days=1))
    assert info is not None and (stick / info.path.name).is_file()
    # Three days without a good copy: a warning.
    old = (utcnow() - timedelta(days=3)).isoformat(timespec="seconds")
    with write_transaction(db.session):
        save_settings(db.session, offsite_last_copy=old)
    assert 'data-offsite="stale"' in client.get("/backups/").get_data(as_text=True)
    assert "settings.offsite_backup_dir" in actions()


def test_a_failing_off_site_copy_keeps_the_backup_and_the_old_time(
    client: FlaskClient, admin: User, data_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    login(client)
    client.post("/backups/offsite", data={"folder": str(blocker)})
    assert client.post("/backups/now").status_code == 302
    assert len(listed(data_dir)) == 1
    assert load_settings(db.session).offsite_last_copy == ""
    assert 'data-offsite="stale"' in client.get("/backups/").get_data(as_text=True)


def test_restore_of_a_listed_backup_brings_the_old_data_back(
    client: FlaskClient, admin: User, data_dir: Path
) -> None:
    make_product(db.session, admin.id, name="Kept")
    login(client)
    client.post("/backups/now")
    (name,) = listed(data_dir)
    make_product(db.session, admin.id, name="Made after the backup")
    db.session.remove()
    forget_request_state()
    response = client.post("/backups/restore", data={"name": name})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    names = set(db.session.scalars(select(Product.name)))
    assert names == {"Kept"}
    assert run_checks(db.session).ok
    assert actions()[-1] == "backup.restore"
    assert any(n.endswith("-before-restore.db") for n in listed(data_dir))
    forget_request_state()
    login(client)  # the restorer logs in again
    assert client.get("/backups/").status_code == 200


def test_restore_refuses_unknown_names_and_bad_uploads_and_changes_nothing(
    app: Flask, client: FlaskClient, admin: User, data_dir: Path
) -> None:
    make_product(db.session, admin.id, name="Still here")
    login(client)
    assert client.post("/backups/restore", data={"name": "../tillbook.db"}).status_code == 404
    not_sqlite = {"file": (io.BytesIO(b"<html>not a database</html>"), "x.db")}
    response = client.post("/backups/restore", data=not_sqlite)
    assert response.status_code == 422 and "not a TillBook backup" in response.get_data(
        as_text=True
    )
    damaged = {"file": (io.BytesIO(b"SQLite format 3\x00" + b"\x00" * 200), "y.db")}
    assert client.post("/backups/restore", data=damaged).status_code == 422
    app.config["RESTORE_MAX_BYTES"] = 4096
    big = {"file": (io.BytesIO(b"SQLite format 3\x00" + b"x" * 200 * 1024), "z.db")}
    assert client.post("/backups/restore", data=big).status_code == 413
    assert client.post("/backups/restore", data={}).status_code == 422
    assert set(db.session.scalars(select(Product.name))) == {"Still here"}
    assert not (data_dir / "backups" / "restore-upload.db").exists()
    assert "backup.restore" not in actions()


def test_restore_from_an_uploaded_file(
    client: FlaskClient, admin: User, data_dir: Path, tmp_path: Path
) -> None:
    make_product(db.session, admin.id, name="In the file")
    info = backups.backup_database(data_dir / "tillbook.db", tmp_path / "from-elsewhere.db")
    make_product(db.session, admin.id, name="Not in the file")
    login(client)
    db.session.remove()
    forget_request_state()
    assert post_upload(client, info.path, "from-elsewhere.db").status_code == 302
    assert set(db.session.scalars(select(Product.name))) == {"In the file"}
    entry = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert entry is not None and json.loads(entry.after or "{}")["source"] == "from-elsewhere.db"


def test_while_the_gate_is_closed_other_requests_get_503(client: FlaskClient, admin: User) -> None:
    gate = maintenance_gate.gate(client.application)
    with gate.closed(own_requests=0, timeout=1):
        page = client.get("/login")
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        api = client.get("/api/health")
        assert api.status_code == 503 and api.get_json()["error"]["code"] == "restoring"
    assert client.get("/api/health").status_code == 200


def test_a_restore_waits_for_a_request_already_inside() -> None:
    gate = maintenance_gate.MaintenanceGate()
    assert gate.enter()  # a sale in progress
    closed = threading.Event()

    def restorer() -> None:
        with gate.closed(own_requests=0, timeout=10):
            closed.set()

    thread = threading.Thread(target=restorer)
    thread.start()
    assert not closed.wait(0.2)  # held off while the sale runs
    gate.leave()
    assert closed.wait(10)
    thread.join(10)
    assert gate.enter()  # open again afterwards


class Browser:
    """A cookie-keeping HTTP client for the live server's forms (CSRF tokens included)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urlrequest.build_opener(urlrequest.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post_form(self, path: str, fields: dict[str, str], token_from: str) -> int:
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.get(token_from))
        assert token is not None
        data = urlencode({**fields, "csrf_token": token.group(1)}).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                return response.status
        except HTTPError as exc:
            return exc.code


def api_call(base: str, path: str, body: dict | None, token: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urlrequest.Request(base + path, data=data, headers=headers)
    try:
        with urlrequest.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read())
    except HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_restore_through_the_page_on_the_real_server_then_a_sale_works(
    live_server: LiveServer, data_dir: Path
) -> None:
    with live_server.app.app_context():
        owner = make_user(db.session, "owner", "admin")
        product = make_product(db.session, owner.id, name="Rice", opening_stock="10")
        product_id = product.id
        db.session.remove()
    browser = Browser(live_server.url)
    assert browser.post_form("/login", {"username": "owner", "password": PASSWORD}, "/login") == 200
    assert browser.post_form("/backups/now", {}, "/backups/") == 200
    (name,) = listed(data_dir)
    status, body = api_call(
        live_server.url, "/api/auth/login", {"username": "owner", "password": PASSWORD}
    )
    token = body["token"]
    sale = {"items": [{"product_id": product_id, "quantity": 4}]}
    assert api_call(live_server.url, "/api/invoice/create", sale, token)[0] == 201
    # Restore the backup taken before that sale, through the page, while the server runs.
    assert browser.post_form("/backups/restore", {"name": name}, "/backups/") == 200
    status, body = api_call(
        live_server.url, "/api/auth/login", {"username": "owner", "password": PASSWORD}
    )
    assert status == 200
    token = body["token"]
    status, product_json = api_call(live_server.url, f"/api/products/{product_id}", None, token)
    assert status == 200 and product_json["stock"] == "10"  # the sale after the backup is gone
    status, invoice = api_call(live_server.url, "/api/invoice/create", sale, token)
    assert status == 201, invoice
    status, product_json = api_call(live_server.url, f"/api/products/{product_id}", None, token)
    assert product_json["stock"] == "6"
    with live_server.app.app_context():
        assert run_checks(db.session).ok
        assert "backup.restore" in actions()
        db.session.remove()


def finish(client: FlaskClient, status_url: str) -> dict[str, object]:
    """Poll a backup job until it stops running (the thread copies, then verifies)."""
    for _ in range(600):
        body = client.get(status_url).get_json()
        if body["state"] != "running":
            db.session.rollback()  # read what the job's thread committed, not an old snapshot
            return body  # type: ignore[no-any-return]
        threading.Event().wait(0.05)
    raise AssertionError("the backup job never finished")


def fill(count: int) -> None:
    """Enough rows that the copy takes several steps of the backup API."""
    with write_transaction(db.session):
        for i in range(count):
            db.session.add(
                AuditLog(
                    action="filler", entity="test", after=json.dumps({"pad": "x" * 400, "i": i})
                )
            )


def test_backup_to_a_chosen_folder_with_progress_is_verified_and_audited(
    client: FlaskClient, admin: User, data_dir: Path, tmp_path: Path
) -> None:
    fill(3000)  # ~1.5 MB: more than one 256-page step
    login(client)
    usb = tmp_path / "usb"
    usb.mkdir()
    started = client.post("/backups/jobs", json={"folder": str(usb)})
    assert started.status_code == 202
    body = finish(client, started.get_json()["status_url"])
    assert body["state"] == "done" and body["percent"] == 100, body
    assert body["total"] and body["done"] == body["total"] and int(body["total"]) > 256  # type: ignore[call-overload]
    (copy,) = list(usb.iterdir())
    assert body["file"] == copy.name and body["path"] == str(copy) and "download_url" not in body
    assert backups.integrity_ok(copy) == []
    forget_request_state()
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "backup.create").order_by(AuditLog.id.desc())
    ).first()
    assert entry is not None and entry.user_id == admin.id
    assert json.loads(entry.after or "{}")["to"] == str(usb)
    assert listed(data_dir) == []  # the chosen folder only


def test_a_browser_downloads_the_finished_backup_and_that_is_audited(
    client: FlaskClient, admin: User, data_dir: Path
) -> None:
    login(client)
    started = client.post("/backups/jobs", json={})
    body = finish(client, started.get_json()["status_url"])
    assert body["state"] == "done"
    (name,) = listed(data_dir)
    assert body["download_url"] == f"/backups/file/{name}"
    download = client.get(str(body["download_url"]))
    assert download.status_code == 200
    assert download.get_data() == (data_dir / "backups" / name).read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()  # send_file streams from an open file
    forget_request_state()
    assert actions()[-2:] == ["backup.create", "backup.download"]
    assert client.get("/backups/file/tillbook.db").status_code == 404  # only listed backups
    assert client.get("/backups/file/..%2Ftillbook.db").status_code == 404


def test_backup_jobs_refuse_bad_folders_strangers_and_a_second_run(
    client: FlaskClient, admin: User, data_dir: Path, tmp_path: Path
) -> None:
    login(client)
    before = actions()
    for folder in ("relative/path", str(tmp_path / "missing")):
        refused = client.post("/backups/jobs", json={"folder": folder})
        assert refused.status_code == 422 and "does not exist" in refused.get_json()["error"]
    remote = client.post(
        "/backups/jobs", json={"folder": str(tmp_path)}, environ_base={"REMOTE_ADDR": "10.0.0.7"}
    )
    assert remote.status_code == 403  # a LAN browser never names a path on this disk
    assert client.get("/backups/jobs/nope").status_code == 404
    jobs = maintenance_jobs.backup_jobs(client.application)
    jobs._jobs["busy"] = maintenance_jobs.BackupJob("busy", None, admin.id)  # one still running
    second = client.post("/backups/jobs", json={})
    assert second.status_code == 409 and "already running" in second.get_json()["error"]
    del jobs._jobs["busy"]
    forget_request_state()
    assert actions() == before and listed(data_dir) == [] and not list(tmp_path.glob("*.db"))


def test_a_failing_backup_job_reports_why(app: Flask, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    job = maintenance_jobs.BackupJob("x", blocker / "sub", None)
    maintenance_jobs.BackupJobs._run(app, job)  # the thread's body, run here
    assert job.state == "failed" and job.error and job.as_dict()["percent"] == 0


def test_restore_is_refused_with_a_message_while_a_backup_job_runs(
    client: FlaskClient, admin: User, data_dir: Path
) -> None:
    make_product(db.session, admin.id, name="Kept")
    login(client)
    client.post("/backups/now")
    (name,) = listed(data_dir)
    make_product(db.session, admin.id, name="Made after the backup")
    jobs = maintenance_jobs.backup_jobs(client.application)
    jobs._jobs["busy"] = maintenance_jobs.BackupJob("busy", None, admin.id)  # still copying
    db.session.remove()
    forget_request_state()
    try:
        response = client.post("/backups/restore", data={"name": name})
    finally:
        del jobs._jobs["busy"]
    assert response.status_code == 409
    assert str(maintenance_gate.BACKUP_RUNNING_MESSAGE) in response.get_data(as_text=True)
    assert set(db.session.scalars(select(Product.name))) == {"Kept", "Made after the backup"}
    assert listed(data_dir) == [name]  # not even a safety backup was taken


def test_restore_is_refused_while_the_daily_backup_thread_runs(
    client: FlaskClient, admin: User, data_dir: Path
) -> None:
    login(client)
    client.post("/backups/now")
    (name,) = listed(data_dir)
    release = threading.Event()
    daily = threading.Thread(target=release.wait, daemon=True)
    client.application.extensions["tillbook_daily_backup"] = daily
    daily.start()
    forget_request_state()
    try:
        response = client.post("/backups/restore", data={"name": name})
    finally:
        release.set()
        daily.join()
    assert response.status_code == 409
    assert str(maintenance_gate.BACKUP_RUNNING_MESSAGE) in response.get_data(as_text=True)


def test_a_database_file_held_open_elsewhere_gives_the_page_a_message_not_a_500(
    client: FlaskClient, admin: User, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_product(db.session, admin.id, name="Kept")
    login(client)
    client.post("/backups/now")
    (name,) = listed(data_dir)
    make_product(db.session, admin.id, name="Made after the backup")
    real_replace = os.replace

    def held(src: object, dst: object) -> None:
        if Path(str(dst)).name == "tillbook.db":  # what Windows does while antivirus scans it
            error = PermissionError(13, "The process cannot access the file")
            error.winerror = 32  # type: ignore[attr-defined]
            raise error
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", held)
    monkeypatch.setattr(winfs.time, "sleep", lambda _s: None)
    db.session.remove()
    forget_request_state()
    response = client.post("/backups/restore", data={"name": name})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "is open in another program (antivirus, a backup); close it and try again" in page
    assert set(db.session.scalars(select(Product.name))) == {"Kept", "Made after the backup"}
    assert not (data_dir / "restore-in-progress.db").exists()
    assert "backup.restore" not in actions()


def test_a_restore_never_issues_an_invoice_number_twice(
    client: FlaskClient, admin: User, data_dir: Path
) -> None:
    from posapp.services import checkout, numbering

    admin_id = admin.id
    soap = make_product(db.session, admin.id, name="Soap", opening_stock="100")
    soap_id = soap.id

    def sell() -> str:
        user = db.session.get(User, admin_id)
        assert user is not None
        payload = {"items": [{"product_id": soap_id, "quantity": "1"}]}
        return checkout.checkout(db.session, checkout.parse_checkout(payload), user).number

    sold = [sell() for _ in range(3)]
    login(client)
    client.post("/backups/now")
    (name,) = listed(data_dir)
    sold += [sell() for _ in range(2)]
    db.session.remove()
    forget_request_state()
    assert client.post("/backups/restore", data={"name": name}).status_code == 302
    after = sell()
    assert after.endswith("-000006") and after not in sold
    # The skipped numbers are known: check passes and the page names them.
    report = run_checks(db.session)
    assert report.ok, report.problems
    (gap,) = [g for g in numbering.lost_ranges(db.session) if g.kind == "invoice"]
    assert (gap.first, gap.last, gap.source) == (4, 5, name)
    forget_request_state()
    login(client)
    page = client.get("/backups/").get_data(as_text=True)
    assert "data-lost-numbers" in page and f"Invoice numbers 4 to 5 of FY {gap.fy}" in page
    marks, _lost = numbering.load_marks(data_dir)
    assert marks[("invoice", gap.fy)] == 5  # the highest number the replaced data issued


def test_numbering_continues_after_a_database_file_copied_in_by_hand(
    app: Flask, admin: User, data_dir: Path
) -> None:
    from posapp.services import checkout, numbering

    admin_id = admin.id
    soap = make_product(db.session, admin.id, name="Soap", opening_stock="100")
    payload = {"items": [{"product_id": soap.id, "quantity": "1"}]}
    db_file = database.sqlite_file(app)
    assert db_file is not None
    checkout.checkout(db.session, checkout.parse_checkout(payload), admin)
    db.session.remove()
    db.engine.dispose()
    old_copy = data_dir / "old.db"
    backups.backup_database(db_file, old_copy)
    with app.app_context():
        checkout.checkout(
            db.session, checkout.parse_checkout(payload), db.session.get(User, admin_id)
        )
        db.session.remove()
        db.engine.dispose()
    startup.close_database(app)  # TillBook closes: the marks are kept
    backups.swap_in(old_copy, db_file)  # the owner copies an old file over the database
    lost = startup.carry_numbers_forward(app)  # what the next start does
    assert [(g.kind, g.first, g.last) for g in lost] == [("invoice", 2, 2)]
    with app.app_context():
        assert (
            checkout.checkout(
                db.session, checkout.parse_checkout(payload), db.session.get(User, admin_id)
            ).seq
            == 3
        )
        assert numbering.lost_ranges(db.session) == lost


def test_restore_refuses_a_file_that_is_not_a_whole_tillbook_database_listed_or_uploaded(
    client: FlaskClient, admin: User, data_dir: Path, tmp_path: Path
) -> None:
    make_product(db.session, admin.id, name="Still here")
    good = backups.backup_database(data_dir / "tillbook.db", tmp_path / "good.db").path
    bad = not_tillbook_files(tmp_path / "bad", good)
    for number, path in enumerate(bad.values()):
        # The same files, as listed backups of the backups folder.
        shutil.copyfile(path, data_dir / "backups" / f"tillbook-20260101-0000{number:02d}-x.db")
    login(client)
    before = listed(data_dir)
    for number, (reason, path) in enumerate(bad.items()):
        db.session.remove()
        forget_request_state()
        name = f"tillbook-20260101-0000{number:02d}-x.db"
        response = client.post("/backups/restore", data={"name": name})
        assert response.status_code == 422 and reason in response.get_data(as_text=True)
        response = post_upload(client, path, path.name)
        assert response.status_code == 422 and reason in response.get_data(as_text=True)
    db.session.remove()
    forget_request_state()
    assert set(db.session.scalars(select(Product.name))) == {"Still here"}
    assert listed(data_dir) == before and "backup.restore" not in actions()
    assert not (data_dir / "backups" / "restore-upload.db").exists()
    assert client.get("/products/").status_code == 200


def test_a_restore_upload_over_the_app_wide_8_mb_goes_through_the_shipped_app(
    csrf_app: Flask, data_dir: Path, tmp_path: Path
) -> None:
    """CSRF reads the form before any view: the restore page's own limit must already apply."""
    admin = make_user(db.session, "admin", "admin")
    make_product(db.session, admin.id, name="In the big file")
    big = backups.backup_database(data_dir / "tillbook.db", tmp_path / "big.db").path
    connection = sqlite3.connect(big)  # 9 MB of free pages: a big file, still a whole shop
    connection.execute("CREATE TABLE padding (b BLOB)")
    connection.execute("INSERT INTO padding VALUES (zeroblob(9 * 1024 * 1024))")
    connection.commit()
    connection.execute("DROP TABLE padding")
    connection.commit()
    connection.close()
    assert big.stat().st_size > 9 * 1024 * 1024 and backups.integrity_ok(big) == []
    make_product(db.session, admin.id, name="Not in the file")
    client = csrf_app.test_client()

    def token(page: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(True))
        assert found
        return found.group(1)

    fields = {"username": "admin", "password": PASSWORD, "csrf_token": token("/login")}
    assert client.post("/login", data=fields).status_code == 302
    page = client.get("/backups/").get_data(as_text=True)
    assert "up to 2048 MB" in page
    boundary, body = encode_multipart(
        {
            "csrf_token": token("/backups/"),
            "file": FileStorage(io.BytesIO(big.read_bytes()), filename="big.db"),
        }
    )
    db.session.remove()
    forget_request_state()
    response = client.post(
        "/backups/restore", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302, response.status_code
    assert set(db.session.scalars(select(Product.name))) == {"In the big file"}


def test_sizes_read_like_the_backup_message() -> None:
    # static/js/backups.js sizeText: MB with one decimal from 1 MB, whole KB rounded up below.
    assert size_text(1) == "1 KB"
    assert size_text(640 * 1024) == "640 KB"
    assert size_text(1024 * 1024 - 1) == "1024 KB"
    assert size_text(1024 * 1024) == "1.0 MB"
    assert size_text(12_900_000) == "12.3 MB"
