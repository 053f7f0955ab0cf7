"""A minimal Chrome DevTools Protocol client (stdlib only) for the real window's QtWebEngine.

QtWebEngine opens a DevTools endpoint when QTWEBENGINE_REMOTE_DEBUGGING is set. Playwright
cannot attach to it (QtWebEngine has no browser-context management), so the tests speak the
protocol themselves over a small WebSocket client: text frames, masked as a client must.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
import urllib.parse
import urllib.request
from typing import Any


def page_socket(port: int, origin: str, wait: float) -> str:
    """Return the DevTools WebSocket URL of the first page showing `origin` (polled, bounded)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
                targets = json.loads(answer.read())
            for target in targets:
                if target.get("type") == "page" and target.get("url", "").startswith(origin):
                    return str(target["webSocketDebuggerUrl"])
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise TimeoutError(f"no DevTools page on {origin}")
        time.sleep(0.1)


class Cdp:
    """One DevTools connection to a page: evaluate JavaScript in it and get the value back."""

    def __init__(self, ws_url: str, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(ws_url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self._exactly(1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.decode(errors="replace"))
        self.last_id = 0

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def _send(self, text: str) -> None:
        payload = text.encode()
        size = len(payload)
        if size < 126:
            header = bytes([0x81, 0x80 | size])
        elif size < 1 << 16:
            header = bytes([0x81, 0x80 | 126]) + struct.pack(">H", size)
        else:
            header = bytes([0x81, 0x80 | 127]) + struct.pack(">Q", size)
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _receive(self) -> str:
        message = b""
        while True:
            first, second = self._exactly(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack(">H", self._exactly(2))[0]
            elif size == 127:
                size = struct.unpack(">Q", self._exactly(8))[0]
            payload = self._exactly(size)
            if first & 0x0F in (0x9, 0xA):  # ping, pong
                continue
            message += payload
            if first & 0x80:  # the final fragment
                return message.decode()

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events in between are skipped)."""
        self.last_id += 1
        self._send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self._receive())
            if answer.get("id") == self.last_id:
                if "error" in answer:
                    raise RuntimeError(answer["error"])
                return dict(answer["result"])

    def evaluate(self, expression: str) -> Any:
        """Evaluate in the page (awaiting a promise) and return the value."""
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, wait: float) -> None:
        """Poll (bounded) until the expression is true; a page still loading counts as false."""
        deadline = time.monotonic() + wait
        while True:
            try:
                if self.evaluate(expression):
                    return
            except RuntimeError:
                pass  # the page navigated away mid-evaluation
            if time.monotonic() > deadline:
                raise TimeoutError(f"the window never showed {what}")
            time.sleep(0.1)

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()
