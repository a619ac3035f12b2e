"""`make run` stops everything it started however it is stopped: Ctrl-C in a terminal (SIGINT to
the whole process group) or a SIGTERM to make alone (a process manager, `kill <make's pid>`).
The server and the task worker run under one shell; nothing of them may outlive it."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
STARTED = "Starting development server at"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def still_running(session: int) -> list[str]:
    """The processes of the session that are still running (a zombie has ended: it only waits
    for a parent, perhaps this container's init, to collect its status)."""
    listing = subprocess.run(
        ["ps", "-o", "stat=,pid=,args=", "-s", str(session)], capture_output=True, text=True
    ).stdout
    return [
        line.strip() for line in listing.splitlines() if line.strip() and not line.strip().startswith("Z")
    ]


def left_running(session: int, *, timeout: float = 30) -> list[str]:
    """`still_running` once each of those processes has had `timeout` seconds to end. Its output
    ends before the process does: one that has closed its files may still be exiting (listed
    as "R [python]", its arguments already gone). Each is awaited through a pidfd, which turns
    readable when the process has ended: no polling."""
    deadline = time.monotonic() + timeout
    for line in still_running(session):
        try:
            descriptor = os.pidfd_open(int(line.split()[1]))
        except ProcessLookupError:  # ended meanwhile
            continue
        try:
            select.select([descriptor], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(descriptor)
    return still_running(session)


def restore_sigint() -> None:
    """A terminal's Ctrl-C reaches processes whose SIGINT is not ignored; a test runner's
    children may inherit it ignored, which a shell can then not trap."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(
    ("name", "stop"),
    [
        ("Ctrl-C", lambda make: os.killpg(make.pid, signal.SIGINT)),
        ("SIGTERM to make alone", lambda make: make.send_signal(signal.SIGTERM)),
    ],
)
def test_make_run_leaves_nothing_running(tmp_path, name, stop):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PORTAL_"))}
    env.pop("DATABASE_URL", None)
    env.pop("CACHE_URL", None)
    env.update({"PORTAL_DATA_DIR": str(tmp_path), "PYTHON": sys.executable})
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={free_port()}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: everything it starts is in it
        preexec_fn=restore_sigint,
    )
    started, output = threading.Event(), []

    def read() -> None:
        assert make.stdout is not None
        for line in make.stdout:
            output.append(line)
            if STARTED in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(timeout=180), "".join(output[-30:])
        stop(make)
        make.wait(timeout=30)
        reader.join(timeout=30)  # the output ends when the last process holding it has ended
        assert not reader.is_alive(), f"{name}: still running:\n" + "\n".join(still_running(make.pid))
        assert left_running(make.pid) == []
    finally:
        if still_running(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
