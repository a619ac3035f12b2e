"""`make run`'s server (`manage.py runserver`) refuses a request line over gunicorn's limit as
gunicorn does (414), so a prefill link longer than the shipped server takes fails on a laptop
too, not only in production (portal/devserver/, tests/server/test_request_line.py for gunicorn)."""

from __future__ import annotations

import subprocess
import sys

from portal.conf import REQUEST_LINE_MAX
from tests.server.test_make_run import ROOT, STARTED, free_port
from tests.server.test_request_line import get
from tests.test_data_folders import portal_environment


def status_of(port: int, target: str) -> tuple[int, str]:
    return get(f"http://127.0.0.1:{port}", target)


def test_runserver_answers_414_one_byte_over_gunicorns_request_line(tmp_path):
    port = free_port()
    environment = portal_environment(PORTAL_DATA_DIR=str(tmp_path), DJANGO_DEBUG="true", PYTHONUNBUFFERED="1")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    try:
        for line in server.stdout:
            if STARTED in line:
                break
        room = REQUEST_LINE_MAX - len("GET /healthz? HTTP/1.1")
        at_limit, over = f"/healthz?{'x' * room}", f"/healthz?{'x' * (room + 1)}"
        assert len(f"GET {at_limit} HTTP/1.1") == REQUEST_LINE_MAX
        assert status_of(port, at_limit)[0] == 200
        status, answer = status_of(port, over)
        assert status == 414
        assert f"Request Line is too large ({REQUEST_LINE_MAX + 1} &gt; {REQUEST_LINE_MAX})" in answer
        assert status_of(port, "/healthz")[0] == 200  # the server goes on
    finally:
        server.terminate()
        server.wait(timeout=30)
