"""gunicorn.conf.py's worker hook runs in every worker: real gunicorn with the shipped
configuration file and tests/server/runtime_app.py, which reports each worker's runtime
settings. Every wait is on an event (gunicorn's "Booting worker" lines, a reply) and bounded
by a timeout that only a fault reaches."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys

import pytest

from tests.server.test_balanced_worker import BOUND, ROOT, free_port

pytestmark = pytest.mark.gunicorn
WORKERS = 2


@contextlib.contextmanager
def shipped_gunicorn(*, workers: int = 1, access_log: str = "/dev/null"):
    """gunicorn with the shipped gunicorn.conf.py and tests/server/runtime_app.py on a free
    port, once every worker has booted; yields the port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "tests.server.runtime_app"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=ROOT,
        env={**os.environ, "GUNICORN_ACCESS_LOG": access_log},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        booted = 0
        for line in process.stderr:
            booted += "Booting worker" in line
            if booted == workers:
                break
        else:
            raise AssertionError("gunicorn did not start")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=BOUND)


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=BOUND)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_every_worker_freezes_its_startup_objects_and_switches_threads_every_millisecond():
    """docs/decisions/0089-frozen-startup-objects.md and gunicorn.conf.py's post_worker_init."""
    with shipped_gunicorn(workers=WORKERS) as port:
        seen: dict[int, dict] = {}
        for _ in range(200):  # fresh connections until each worker has answered (a fault ends it)
            answer = json.loads(get(port, "/")[1])
            seen[answer["pid"]] = answer
            if len(seen) == WORKERS:
                break
    assert len(seen) == WORKERS
    for answer in seen.values():
        assert answer["frozen"] > 1000  # gunicorn's and the app's objects, at the least
        assert answer["switch_interval"] == pytest.approx(0.001)


def test_the_access_log_never_carries_a_query_string_or_a_referer(tmp_path):
    """docs/privacy.md: prefill links carry a customer's name, email and ticket number in their
    query; gunicorn's default access line logs it (and the Referer, the same link again). Real
    gunicorn with the shipped file, its access log in a file: a prefilled page's line has the
    path and the status, and none of the values."""
    log = tmp_path / "access.log"
    with shipped_gunicorn(access_log=str(log)) as port:
        status, _body = get(
            port,
            "/survey/?name=Jane%20Marker&email=jane.marker%40example.com&external_key=INC-MARKER",
            {"Referer": "http://127.0.0.1/survey/?name=Jane%20Marker"},
        )
        assert status == 200
    line = log.read_text()
    assert '"GET /survey/ HTTP/1.1" 200' in line
    assert "Marker" not in line and "MARKER" not in line and "marker" not in line


def test_a_script_name_header_moves_no_link():
    """A hostile test: `SCRIPT_NAME: /key` from gunicorn's trusted address (127.0.0.1, a proxy
    on the same machine) put `/key/` before every link of the page, and the page cache handed
    that page to every visitor for 30 s. The shipped file trusts no such header."""
    with shipped_gunicorn() as port:
        answer = json.loads(get(port, "/key/", {"SCRIPT_NAME": "/key"})[1])
    assert (answer["script_name"], answer["path_info"]) == ("", "/key/")


def test_gunicorn_reads_the_env_file_beside_its_config_and_the_environment_wins(tmp_path, monkeypatch):
    """.env.example lists WEB_CONCURRENCY, PORTAL_THREADS and PORTAL_RUN_ALONE_MS for .env;
    gunicorn reads its config in the master, before any worker has loaded Django's settings
    (which read .env too), so the config reads it itself."""
    import runpy

    config = tmp_path / "gunicorn.conf.py"
    config.write_text((ROOT / "gunicorn.conf.py").read_text())
    (tmp_path / ".env").write_text("PORTAL_THREADS=7\nWEB_CONCURRENCY=5\n")
    monkeypatch.delenv("PORTAL_THREADS", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")  # set by whoever starts it: stronger than .env
    saved = dict(os.environ)
    try:
        values = runpy.run_path(str(config))
    finally:  # read_env writes into this process's environment
        os.environ.clear()
        os.environ.update(saved)
    assert values["threads"] == 7
    assert values["workers"] == 3
