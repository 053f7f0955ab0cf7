"""The graceful stop: no new connections, but a request in flight gets its whole answer."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from posapp.serving import Server, listening_socket

WAIT = 30.0


def test_stop_finishes_the_request_in_flight_and_refuses_new_ones() -> None:
    entered = threading.Event()
    release = threading.Event()

    def slow_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/slow":
            entered.set()
            assert release.wait(WAIT)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"sale recorded"]

    server = Server(slow_app, threads=2)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    with urllib.request.urlopen(base + "/fast", timeout=WAIT) as response:
        assert response.read() == b"sale recorded"

    answers: list[bytes] = []

    def in_flight() -> None:
        with urllib.request.urlopen(base + "/slow", timeout=WAIT) as response:
            answers.append(response.read())

    client = threading.Thread(target=in_flight)
    client.start()
    assert entered.wait(WAIT)
    result: list[bool] = []
    stopper = threading.Thread(target=lambda: result.append(server.stop(grace=WAIT)))
    stopper.start()

    # The listening socket closes while the slow request is still running...
    def refused() -> bool:
        try:
            urllib.request.urlopen(base + "/fast", timeout=2).close()
        except (urllib.error.URLError, OSError):
            return True
        return False

    for _ in range(int(WAIT / 0.05)):
        if refused():
            break
        time.sleep(0.05)
    else:
        pytest.fail("the server kept accepting connections while stopping")
    assert stopper.is_alive(), "stop() waits for the request in flight"

    # ...and once it finishes, its client gets the whole answer and stop() reports it drained.
    release.set()
    client.join(WAIT)
    stopper.join(WAIT)
    assert answers == [b"sale recorded"]
    assert result == [True]
    assert not server.running


ARENA_PROBE = r"""
import ctypes, sys, tempfile, threading
from posapp.serving import limit_malloc_arenas

if sys.argv[1] == "limited":
    assert limit_malloc_arenas()
start = threading.Barrier(8)
done = threading.Barrier(8)
held = []

def work():
    start.wait()
    held.append([bytearray(2000) for _ in range(500)])  # past pymalloc: straight to malloc
    done.wait()  # every thread alive at once: none can take over an exited thread's arena

threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile(suffix=".xml") as out:
    stream = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    print(open(out.name).read().count("<heap nr="))
"""


@pytest.mark.process
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's arenas only")
def test_the_server_keeps_one_malloc_arena_for_all_its_threads() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}

    def heaps(mode: str) -> int:
        probe = [sys.executable, "-c", ARENA_PROBE, mode]
        done = subprocess.run(probe, capture_output=True, text=True, env=env, check=True)
        return int(done.stdout)

    assert heaps("default") > 2  # glibc: an arena per allocating thread (8 per core at most)
    assert heaps("limited") == 1


class RecordingSocket:
    """A socket of the fake socket module: it records what is asked of it."""

    def __init__(self, module: FakeSocketModule, family: int, kind: int, proto: int) -> None:
        self.module = module
        module.made.append(self)
        self.options: list[tuple[int, int, int]] = []
        self.bound: Any = None
        self.backlog: int | None = None
        self.closed = False

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.options.append((level, option, value))

    def bind(self, address: Any) -> None:
        if self.module.bind_error is not None:
            raise self.module.bind_error
        self.bound = address

    def listen(self, backlog: int) -> None:
        self.backlog = backlog

    def close(self) -> None:
        self.closed = True


class FakeSocketModule:
    """The parts of the socket module listening_socket uses, with Windows' values."""

    AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 23
    SOCK_STREAM, AI_PASSIVE = 1, 1
    SOL_SOCKET, SO_REUSEADDR = 0xFFFF, 4
    IPPROTO_IPV6, IPV6_V6ONLY = 41, 27

    def __init__(self, exclusive: bool = True, bind_error: OSError | None = None) -> None:
        if exclusive:  # Python on Windows names it; the fallback is winsock2.h's ~SO_REUSEADDR
            self.SO_EXCLUSIVEADDRUSE = -5
        self.bind_error = bind_error
        self.made: list[RecordingSocket] = []

    def getaddrinfo(self, host: str, port: int, *_: int) -> list[tuple[Any, ...]]:
        return [(self.AF_INET, self.SOCK_STREAM, 6, "", (host, port))]

    def socket(self, family: int, kind: int, proto: int) -> RecordingSocket:
        return RecordingSocket(self, family, kind, proto)


@pytest.mark.parametrize("named", [True, False])
def test_on_windows_the_port_is_exclusive_and_never_reusable(named: bool) -> None:
    sockets = FakeSocketModule(exclusive=named)
    sock = listening_socket("127.0.0.1", 8765, platform="win32", sockets=sockets)
    assert sock.options == [(0xFFFF, -5, 1)]  # SO_EXCLUSIVEADDRUSE and no SO_REUSEADDR
    assert sock.bound == ("127.0.0.1", 8765) and sock.backlog == 1024


def test_on_posix_the_port_is_reusable_after_a_restart() -> None:
    sockets = FakeSocketModule()
    sock = listening_socket("127.0.0.1", 8765, platform="linux", sockets=sockets)
    assert sock.options == [(0xFFFF, 4, 1)]


def test_a_port_in_use_on_windows_is_named_and_the_socket_closed() -> None:
    taken = OSError(10048, "Only one usage of each socket address is normally permitted")
    taken.winerror = 10048  # type: ignore[attr-defined]
    sockets = FakeSocketModule(bind_error=taken)
    with pytest.raises(OSError, match="port 8765 is already in use by another program"):
        listening_socket("127.0.0.1", 8765, platform="win32", sockets=sockets)
    assert sockets.made[0].closed


def test_two_servers_cannot_share_a_port_and_the_first_still_serves() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"till"]

    first = Server(app, threads=1)
    first.start()
    try:
        with pytest.raises(OSError, match=f"port {first.port} is already in use"):
            Server(app, port=first.port, threads=1)
        url = f"http://127.0.0.1:{first.port}/"
        with urllib.request.urlopen(url, timeout=WAIT) as response:
            assert response.read() == b"till"
    finally:
        assert first.stop(grace=WAIT)
    assert not first.running


GC_PROBE = r"""
import gc
from posapp.serving import GC_FIRST_THRESHOLD, tune_gc

assert gc.get_threshold()[0] == 700 and gc.get_freeze_count() == 0
kept = [[] for _ in range(10)]
tune_gc()
frozen = gc.get_freeze_count()
assert frozen > 0 and gc.get_threshold()[0] == GC_FIRST_THRESHOLD
more = [[] for _ in range(10)]
tune_gc()  # a second server in the process: nothing more frozen
assert gc.get_freeze_count() == frozen
gc.set_threshold(0)
tune_gc()  # a collector someone switched off stays off
assert gc.get_threshold()[0] == 0
print("ok")
"""


def test_the_server_collects_cycles_less_often_and_freezes_the_start_once() -> None:
    # In a fresh interpreter: the test process has frozen and tuned its own collector.
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
