"""Waitress in a thread, stopped gracefully: no new connections, in-flight requests finish."""

from __future__ import annotations

import ctypes
import errno
import gc
import logging
import os
import platform
import signal
import socket
import sys
import threading
import time
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from posapp.services.display_mirror import close_all_boards

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 15.0  # a sale takes milliseconds; a PDF a second or two
MALLOC_ARENAS = 1
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
# winsock2.h: #define SO_EXCLUSIVEADDRUSE ((int)(~SO_REUSEADDR)), SO_REUSEADDR being 4 there.
WINDOWS_SO_EXCLUSIVEADDRUSE = ~4
WSAEADDRINUSE = 10048
WSAEACCES = 10013
BACKLOG = 1024  # waitress's default; it calls listen() again with its own


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas before the request threads start; True if it was set.

    glibc gives each thread that allocates its own arena (up to 8 per core) and keeps what a
    thread frees in that arena: after one request per thread builds a large report, the
    server holds the peak of every thread at once (+40 MB measured after the year's sales by
    product and by category, see docs/BENCHMARKS.md). The GIL already serialises nearly all
    allocation, so one shared arena cost no measurable throughput (checkout with 1, 4 and 8
    clients within noise). An explicit MALLOC_ARENA_MAX in the environment wins; other C
    libraries (Windows, macOS, musl) are left alone.
    """
    if "MALLOC_ARENA_MAX" in os.environ or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


# Allocations between young-generation collections (CPython's default is 700).
GC_FIRST_THRESHOLD = 50_000
_FROZEN = False


def tune_gc(first: int = GC_FIRST_THRESHOLD) -> None:
    """Make the cyclic garbage collector run less often; freeze what the start made.

    A request that parses a large JSON body (an HQ push of 200 sales: ~100 000 lists and
    dicts) makes CPython collect again and again, each older-generation pass walking every
    other request's objects too: ~25 % of an HQ's CPU under a bench load (perf), the one
    core the GIL allows. Parsed JSON has no cycles, so reference counting frees it anyway;
    collecting every 50 000 allocations instead of 700 keeps the rare cyclic garbage
    bounded. `gc.freeze` moves the modules, app and templates loaded at start out of every
    collection's walk. A higher threshold already set, or a collector switched off, is kept.
    """
    global _FROZEN
    if not _FROZEN:
        # Once per process: a later freeze would also keep whatever cyclic garbage the
        # process had made by then from ever being collected.
        gc.freeze()
        _FROZEN = True
    current, second, third = gc.get_threshold()
    if 0 < current < first:
        gc.set_threshold(first, second, third)


def listening_socket(
    host: str, port: int, *, platform: str | None = None, sockets: Any = socket
) -> socket.socket:
    """Bind and listen on host:port, the port this program's alone; OSError saying why not.

    waitress sets SO_REUSEADDR on the sockets it makes. On POSIX that only lets a restart bind
    while old connections sit in TIME_WAIT, so it is kept. On Windows it means something else:
    another program setting it may bind the same port and take the till's connections; there
    SO_EXCLUSIVEADDRUSE is set instead (the two exclude each other), which refuses any other
    bind to this port. `platform` and `sockets` stand for sys.platform and the socket module.
    """
    # The option exists only in Windows' socket layer: decide on the real OS unless told.
    windows = platform == "win32" if platform is not None else os.name == "nt"
    family, kind, proto, _, address = sockets.getaddrinfo(
        host, port, sockets.AF_UNSPEC, sockets.SOCK_STREAM, 0, sockets.AI_PASSIVE
    )[0]
    sock = sockets.socket(family, kind, proto)
    try:
        if windows:
            exclusive = getattr(sockets, "SO_EXCLUSIVEADDRUSE", WINDOWS_SO_EXCLUSIVEADDRUSE)
            sock.setsockopt(sockets.SOL_SOCKET, exclusive, 1)
        else:
            sock.setsockopt(sockets.SOL_SOCKET, sockets.SO_REUSEADDR, 1)
        if family == sockets.AF_INET6:
            sock.setsockopt(sockets.IPPROTO_IPV6, sockets.IPV6_V6ONLY, 1)  # as waitress does
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        code = getattr(exc, "winerror", None) or exc.errno
        if code in (errno.EADDRINUSE, WSAEADDRINUSE, WSAEACCES):
            # WSAEACCES: a port Windows reserves (Hyper-V, WSL) or another program's exclusive one.
            reason = f"port {port} is already in use by another program"
            advice = "close that program or choose another port"
        else:
            reason = " ".join(str(exc.strerror or exc).split())
            advice = "check the address"
        raise OSError(exc.errno, f"Cannot listen on {host}:{port}: {reason}; {advice}.") from exc
    return sock


class Server:
    """A waitress server on its own thread, with a graceful `stop()`."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, threads: int = 6):
        limit_malloc_arenas()  # before create_server starts the request threads
        tune_gc()
        sock = listening_socket(host, port)
        try:
            # With `sockets`, waitress binds nothing and must not be given host or port. It
            # still calls set_reuse_addr() on the socket: Windows refuses SO_REUSEADDR on a
            # socket with SO_EXCLUSIVEADDRUSE (the two exclude each other) and waitress ignores
            # that OSError; on POSIX it is already set.
            self._server = create_server(app, sockets=[sock], threads=threads, ident="TillBook")
        except BaseException:
            sock.close()
            raise
        self._map: dict[int, Any] = getattr(self._server, "_map", None) or self._server.map
        self._thread = threading.Thread(target=self._server.run, name="waitress", daemon=True)
        self.port: int = int(self._server.effective_port)

    def start(self) -> None:
        """Serve from the background thread."""
        self._thread.start()

    @property
    def running(self) -> bool:
        """Tell whether the serving thread is alive."""
        return self._thread.is_alive()

    def _listeners(self) -> list[BaseWSGIServer]:
        return [d for d in list(self._map.values()) if isinstance(d, BaseWSGIServer)]

    def _channels(self) -> list[HTTPChannel]:
        return [d for d in list(self._map.values()) if isinstance(d, HTTPChannel)]

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> bool:
        """Stop accepting, let requests in flight finish (up to `grace` s); True if all did."""
        if not self._thread.is_alive():
            self._server.task_dispatcher.shutdown(timeout=1)
            return True
        listeners = self._listeners()
        trigger = (listeners[0] if listeners else self._server).trigger

        def stop_accepting() -> None:
            for listener in listeners:
                listener.accepting = False
                wasyncore.dispatcher.close(listener)  # closes the listening socket only

        def close_idle() -> None:
            for channel in self._channels():
                idle = not channel.requests and not channel.total_outbufs_len
                if idle and channel.request is None:
                    channel.will_close = True  # an idle keep-alive connection

        trigger.pull_trigger(stop_accepting)
        close_all_boards()  # customer displays' long polls answer now, not in 25 s
        deadline = time.monotonic() + grace
        drained = False
        while time.monotonic() < deadline:
            trigger.pull_trigger(close_idle)
            time.sleep(0.05)
            if not self._channels():
                drained = True
                break
        if not drained:
            busy = len(self._channels())
            log.warning("%d connection(s) still busy after %.0f s; closing", busy, grace)

        def close_all() -> None:
            wasyncore.close_all(self._map)  # the trigger too: the loop ends with an empty map

        trigger.pull_trigger(close_all)
        self._thread.join(timeout=5)
        self._server.task_dispatcher.shutdown(timeout=5)
        log.info("server stopped (%s)", "drained" if drained else "forced")
        return drained


def stop_on_signals(stop: threading.Event) -> None:
    """Set `stop` on Ctrl+C and SIGTERM (and Ctrl+Break on Windows) instead of dying mid-sale.

    SIGTERM exists only on POSIX (systemd, docker stop, kill). Windows sends no SIGTERM: in a
    console, Ctrl+C and Ctrl+Break arrive as SIGINT and SIGBREAK and stop gracefully; the
    desktop window stops gracefully when it is closed; `taskkill` without /F sends WM_CLOSE,
    which only a program with a window receives; `taskkill /F` (and Task Manager's End task
    on a console) kills at once, without the final WAL checkpoint, which SQLite replays from
    the -wal file at the next start, so no committed sale is lost.
    """

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signals = [signal.SIGINT, signal.SIGTERM]
    if sys.platform == "win32":
        signals.append(signal.SIGBREAK)
    for signum in signals:
        signal.signal(signum, handler)


def wait_for_stop(stop: threading.Event, server: Server) -> None:
    """Block the main thread until a stop signal (short waits, so signals are handled)."""
    while not stop.wait(0.25):
        if not server.running:
            return
