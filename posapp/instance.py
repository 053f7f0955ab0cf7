"""One TillBook per data dir: an OS lock, the running instance's port, and a show-window call."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from posapp.winfs import replace_with_retry
from posapp.winsys import allow_set_foreground

LOCK_NAME = "instance.lock"
INFO_NAME = "instance.json"
SHOW_PATH = "/desktop/show"
TOKEN_HEADER = "X-TillBook-Instance-Token"  # noqa: S105 (a header name)


@dataclass(frozen=True)
class InstanceInfo:
    """What the running instance publishes in instance.json."""

    pid: int
    port: int
    token: str


class InstanceLock:
    """A non-blocking, exclusive OS lock on `<data dir>/instance.lock`.

    The OS drops the lock when the process ends, however it ends (a crash, SIGKILL, power
    loss), so a lock is never stale. Binding a fixed port is no substitute: the desktop app
    listens on a random port, and a port says nothing about which data folder is served.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._file: IO[bytes] | None = None
        self.token = secrets.token_urlsafe(32)

    def acquire(self) -> bool:
        """Take the lock; False if another process holds it."""
        handle = self.path.open("a+b")  # never truncates: the other holder may be writing
        try:
            _lock(handle)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    @property
    def held(self) -> bool:
        """Tell whether this process holds the lock."""
        return self._file is not None

    def publish(self, port: int) -> None:
        """Write instance.json (pid, port, per-run token) atomically, readable by us only."""
        info = {"pid": os.getpid(), "port": port, "token": self.token}
        tmp = self.data_dir / f"{INFO_NAME}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(info, out)
        # A second TillBook reading instance.json (to find our port) holds it open a moment.
        replace_with_retry(tmp, self.data_dir / INFO_NAME)

    def release(self) -> None:
        """Remove our instance.json and drop the lock (the OS would drop it at exit anyway)."""
        if self._file is None:
            return
        info = read_info(self.data_dir)
        if info is not None and info.pid == os.getpid():
            with contextlib.suppress(OSError):
                (self.data_dir / INFO_NAME).unlink()
        with contextlib.suppress(OSError):
            _unlock(self._file)
        self._file.close()
        self._file = None


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # OSError when held elsewhere

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError when held

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_info(data_dir: Path) -> InstanceInfo | None:
    """Read instance.json; None if it is missing or not (yet) valid."""
    try:
        raw = json.loads((data_dir / INFO_NAME).read_text(encoding="utf-8"))
        return InstanceInfo(pid=int(raw["pid"]), port=int(raw["port"]), token=str(raw["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ask_to_show(
    info: InstanceInfo, timeout: float = 5.0, platform: str = sys.platform, user32: Any = None
) -> bool:
    """Ask the running instance (loopback only) to bring its window forward; True if it did.

    The opener has no proxies: a system or environment proxy would otherwise be asked for
    127.0.0.1 too, and it cannot reach this computer's loopback (or refuses it).
    """
    allow_set_foreground(info.pid, platform, user32)  # else Windows only flashes its button
    request = urllib.request.Request(
        f"http://127.0.0.1:{info.port}{SHOW_PATH}",
        data=b"",
        method="POST",
        headers={TOKEN_HEADER: info.token},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return bool(response.status == 204)
    except (OSError, urllib.error.URLError):
        return False
