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

from posapp.serving import Server

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


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's arenas only")
def test_the_server_keeps_one_malloc_arena_for_all_its_threads() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}

    def heaps(mode: str) -> int:
        probe = [sys.executable, "-c", ARENA_PROBE, mode]
        done = subprocess.run(probe, capture_output=True, text=True, env=env, check=True)
        return int(done.stdout)

    assert heaps("default") > 2  # glibc: an arena per allocating thread (8 per core at most)
    assert heaps("limited") == 1
