"""A small HQ for the shop's tests: a WSGI app on a thread speaking the sync protocol over HTTP.

It keeps what it was sent, applies changesets as the protocol says (skips seq <= acked, 409
`sync_gap` past a hole, keeps the highest seq of each record, drops a deleted one), and fails
on request: queue "500", "401", "drop" (close the connection without an answer, nothing stored) or
"drop_after" (store, then close without the answer) for the next push requests.
The real HQ comes with the HQ helper's work; this one proves the shop's side on its own.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

GOOD_CODE = "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345-6789"
CREDENTIAL = "c" * 40 + "-test-credential"
SHOP_ID = "5f0c6a3e-1b2d-4c8e-9f00-123456789abc"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _Drop(Exception):
    """Raised by the app to close the connection without an answer."""


class _Handler(ServerHandler):
    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], _Drop):
            return  # no bytes at all: the client sees the connection closed
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    def log_message(self, *_args: Any) -> None:
        return  # quiet tests

    def handle(self) -> None:
        # wsgiref's own handle(), with the handler above.
        self.raw_requestline = self.rfile.readline(65537)
        if not self.parse_request():
            return
        handler = _Handler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=False
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]


@dataclass
class FakeHq:
    """The fake HQ's state; `url` once started."""

    url: str = ""
    acked: int = 0
    records: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    deleted: set[tuple[str, str]] = field(default_factory=set)  # every deletion it was sent
    failures: list[str] = field(default_factory=list)
    sent_seqs: Counter[int] = field(default_factory=Counter)  # every seq in every push body
    bodies: list[dict[str, Any]] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    contacted: threading.Event = field(default_factory=threading.Event)

    def fail_next(self, *kinds: str) -> None:
        self.failures.extend(kinds)

    def restore_to(self, acked: int) -> None:
        """HQ restored from an older backup: it holds only what it had acked up to `acked`."""
        self.acked = acked
        self.records = {k: v for k, v in self.records.items() if v[0] <= acked}

    def app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(size) if size else b""

        def answer(status: str, body: dict[str, Any]) -> list[bytes]:
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]

        def error(status: str, code: str, message: str, **details: Any) -> list[bytes]:
            return answer(status, {"error": {"code": code, "message": message, "details": details}})

        if path == "/hq/api/v1/enrol" and method == "POST":
            body = json.loads(raw)
            self.enrolments.append(body)
            if "".join(c for c in body.get("code", "") if c.isalnum()) != GOOD_CODE.replace(
                "-", ""
            ):
                return error("403 Forbidden", "enrolment_code_invalid", "Unknown code.")
            return answer(
                "201 Created",
                {"shop_id": SHOP_ID, "credential": CREDENTIAL, "hq_name": "Sharma Stores HQ"},
            )
        self.contacted.set()
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {CREDENTIAL}":
            return error("401 Unauthorized", "hq_credential_invalid", "Unknown credential.")
        failure = self.failures.pop(0) if self.failures else ""
        if failure == "401":
            return error("401 Unauthorized", "hq_credential_invalid", "Unknown credential.")
        if failure == "500":
            return error("500 Internal Server Error", "internal", "HQ fell over.")
        if failure == "drop":
            raise _Drop
        if path == "/hq/api/v1/sync/status" and method == "GET":
            return answer("200 OK", {"acked": self.acked})
        if path != "/hq/api/v1/sync/push" or method != "POST":
            return error("404 Not Found", "not_found", "No such page.")
        body = json.loads(raw)
        self.bodies.append(body)
        changesets = body["changesets"]
        self.sent_seqs.update(c["seq"] for c in changesets)
        new = [c for c in changesets if c["seq"] > self.acked]
        if new and new[0]["seq"] > self.acked + 1:
            return error("409 Conflict", "sync_gap", "Changesets are missing.", acked=self.acked)
        for changeset in new:
            for record in changeset["records"]:
                key = (record["kind"], record["id"])
                if record.get("deleted") is True:
                    self.records.pop(key, None)
                    self.deleted.add(key)
                elif key not in self.records or self.records[key][0] < changeset["seq"]:
                    self.records[key] = (changeset["seq"], record["data"])
            self.acked = changeset["seq"]
        if failure == "drop_after":
            raise _Drop
        return answer("200 OK", {"acked": self.acked})


@contextmanager
def running_hq() -> Iterator[FakeHq]:
    """Serve a FakeHq on a free loopback port for the block."""
    hq = FakeHq()
    server: WSGIServer = make_server("127.0.0.1", 0, hq.app, handler_class=_RequestHandler)
    hq.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="fake-hq", daemon=True)
    thread.start()
    try:
        yield hq
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def opener() -> urllib.request.OpenerDirector:
    """A plain opener: loopback, never through a proxy the machine may have set."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))
