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
from pathlib import Path

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


# gunicorn's numbers, as the environment or .env may set them: each refused before gunicorn
# listens, with one line naming the variable, the value and what it must be
# (docs/decisions/0086-settings-defaults-in-portal-conf.md).
GUNICORN_NUMBERS = ("WEB_CONCURRENCY", "PORTAL_THREADS", "GUNICORN_TIMEOUT", "PORTAL_RUN_ALONE_MS")
REFUSED_NUMBERS = [
    ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY is 0; it must be at least 1."),
    ("PORTAL_THREADS", "0", "PORTAL_THREADS is 0; it must be at least 1."),
    ("PORTAL_THREADS", "-1", "PORTAL_THREADS is -1; it must be at least 1."),
    ("PORTAL_THREADS", "abc", "PORTAL_THREADS is 'abc'; it must be a whole number, e.g. 120."),
    ("PORTAL_THREADS", "4.0", "PORTAL_THREADS is '4.0'; it must be a whole number, e.g. 120."),
    ("GUNICORN_TIMEOUT", "0", "GUNICORN_TIMEOUT is 0; it must be at least 2."),
    (
        "GUNICORN_TIMEOUT",
        "30s",
        "GUNICORN_TIMEOUT is '30s' (text after the number; it takes no unit); "
        "it must be a whole number, e.g. 120.",
    ),
    ("PORTAL_RUN_ALONE_MS", "-1", "PORTAL_RUN_ALONE_MS is -1; it must be at least 0."),
    (
        "PORTAL_RUN_ALONE_MS",
        "1_0",
        "PORTAL_RUN_ALONE_MS is '1_0' (a separator between digits); it must be a whole number, e.g. 120.",
    ),
    ("PORTAL_REQUEST_HEAD_SECONDS", "0", "PORTAL_REQUEST_HEAD_SECONDS is 0; it must be more than 0."),
]


def gunicorn_exit(env: dict, config: Path | str = "gunicorn.conf.py") -> tuple[int | None, str, bool]:
    """gunicorn started as `make serve` and the image start it, with `env` over this process's
    environment (less gunicorn's numbers): its exit status once it stopped by itself (None when
    it was still running after BOUND seconds, then stopped), its standard error, and whether
    anything answered on its port meanwhile."""
    port = free_port()
    base = {k: v for k, v in os.environ.items() if k not in GUNICORN_NUMBERS}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(config), "tests.server.runtime_app"]
        + ["--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**base, "GUNICORN_ACCESS_LOG": "/dev/null", **env},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _out, err = process.communicate(timeout=BOUND)
        status: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        _out, err = process.communicate(timeout=BOUND)
        status = None
    with contextlib.suppress(OSError):
        get(port, "/")
        return status, err, True
    return status, err, False


@pytest.mark.parametrize(("name", "value", "message"), REFUSED_NUMBERS)
def test_gunicorn_stops_at_start_on_a_number_it_cannot_use(name, value, message):
    """WEB_CONCURRENCY=0 started a master with no worker, serving nothing; PORTAL_THREADS=0 a
    worker crash loop; `abc` a bare traceback. Now gunicorn exits 1 with one line, and never
    listens."""
    status, err, answered = gunicorn_exit({name: value})
    assert status == 1
    assert err.strip().splitlines() == [f"gunicorn.conf.py: {message}"]
    assert "Listening at" not in err and not answered


def test_a_bad_number_in_the_env_file_stops_gunicorn_too(tmp_path):
    """.env beside the configuration file is read there, so its numbers are checked the same
    way; here one gunicorn itself never reads (it reads WEB_CONCURRENCY from the environment
    only, with a bare int(), before its configuration file)."""
    config = tmp_path / "gunicorn.conf.py"
    config.write_text((ROOT / "gunicorn.conf.py").read_text())
    (tmp_path / ".env").write_text("WEB_CONCURRENCY=two\n")
    status, err, answered = gunicorn_exit({}, config)
    assert status == 1
    assert err.strip().splitlines() == [
        "gunicorn.conf.py: WEB_CONCURRENCY is 'two'; it must be a whole number, e.g. 120."
    ]
    assert not answered


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "WEB_CONCURRENCY is 'abc'; it must be a whole number, e.g. 120."),
        ("-2", "WEB_CONCURRENCY is -2; it must be at least 1."),
        ("0", "WEB_CONCURRENCY is 0; it must be at least 1."),
        # Written as a float, a number of 4,000 digits was an OverflowError's traceback.
        ("-" + "9" * 4000, f"WEB_CONCURRENCY is -{'9' * 19}... (4000 digits); it must be at least 1."),
    ],
)
def test_the_configuration_checks_its_numbers_alone_before_gunicorn_reads_web_concurrency(value, message):
    """gunicorn reads WEB_CONCURRENCY from the environment itself when it starts, before the
    configuration file: with a bare int() (`abc` is its traceback) and its own check (`-2`:
    "Value must be positive", not which value). `make serve` and the image's entrypoint run
    `python gunicorn.conf.py` first, which says what is wrong in one line."""
    base = {k: v for k, v in os.environ.items() if k not in GUNICORN_NUMBERS}
    checked = subprocess.run(
        [sys.executable, "gunicorn.conf.py"],
        cwd=ROOT,
        env={**base, "WEB_CONCURRENCY": value},
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert checked.returncode == 1
    assert checked.stderr.strip().splitlines() == [f"gunicorn.conf.py: {message}"]
    fine = subprocess.run(
        [sys.executable, "gunicorn.conf.py"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert (fine.returncode, fine.stderr) == (0, "")
    makefile = (ROOT / "Makefile").read_text()
    serve = makefile[makefile.index("\nserve:") :].split("\n\n")[0]
    assert serve.index("$(PY) gunicorn.conf.py") < serve.index("/bin/gunicorn --config gunicorn.conf.py")
    entrypoint = (ROOT / "docker-entrypoint.sh").read_text()
    assert 'if [ "$1" = gunicorn ]; then python gunicorn.conf.py; fi' in entrypoint
    assert entrypoint.index("python gunicorn.conf.py") < entrypoint.index('exec "$@"')


def test_gunicorn_takes_its_numbers_in_the_accepted_forms(tmp_path, monkeypatch):
    """Within their bounds, as plain decimal numbers: what gunicorn is given."""
    import runpy

    config = tmp_path / "gunicorn.conf.py"  # without a developer's .env beside it
    config.write_text((ROOT / "gunicorn.conf.py").read_text())
    for name, value in {"WEB_CONCURRENCY": "1", "PORTAL_THREADS": "1", "GUNICORN_TIMEOUT": "2"}.items():
        monkeypatch.setenv(name, value)
    values = runpy.run_path(str(config))
    assert (values["workers"], values["threads"], values["timeout"]) == (1, 1, 2)
    monkeypatch.setenv("WEB_CONCURRENCY", "")  # empty, as .env.example leaves it: the default
    monkeypatch.delenv("GUNICORN_TIMEOUT")
    values = runpy.run_path(str(config))
    assert (values["workers"], values["timeout"]) == (max(2, os.cpu_count() or 1), 30)


def test_an_empty_access_log_variable_is_the_default_standard_output():
    """GUNICORN_ACCESS_LOG= (an empty line) was the file "", which gunicorn could not open: no
    worker served. As every empty variable, it is its default (docs/decisions/0086)."""
    with shipped_gunicorn(access_log="") as port:
        assert get(port, "/healthz")[0] == 200


def test_gunicorn_stops_at_start_on_a_log_level_it_does_not_know():
    """gunicorn read any level it did not know (`verbose`, `warn `) as info, saying nothing."""
    status, err, answered = gunicorn_exit({"GUNICORN_LOG_LEVEL": "verbose"})
    assert status == 1
    assert err.strip().splitlines() == [
        "gunicorn.conf.py: GUNICORN_LOG_LEVEL is 'verbose'; "
        "it must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
    ]
    assert not answered
