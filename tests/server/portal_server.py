"""The portal under gunicorn as shipped (gunicorn.conf.py: 2 gthread workers × 4 threads), on
127.0.0.1 with its own on-disk SQLite database, as `make serve` runs it: one site on a
BeyondTrust backend with one issue."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.server.test_balanced_worker import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "concurrency-test-secret-key-not-used-anywhere-else-0123456789"
SETUP = """
from portal.models import Backend, FieldMode, Issue, Site
backend = Backend.objects.create(name="Appliance", kind="modern", base_url="https://support.example.com")
site = Site.objects.create(name="Acme", is_default=True, backend=backend, keep_personal_data=True,
                           external_key_field=FieldMode.OPTIONAL, details_field=FieldMode.OPTIONAL)
Issue.objects.create(site=site, code_name="vpn", display_name="VPN", order=1)
"""


# gunicorn as shipped: the repository's configuration file.
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]


def server_environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment the server runs in: production settings over plain HTTP on 127.0.0.1,
    its SQLite database and the embedded disk cache in `data_dir`, the static files from their
    source folder; `settings` are more variables, or other values."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_HTTPS": "false",
        "PORTAL_MANIFEST_STATIC": "false",
        "PORTAL_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'portal.sqlite3'}",
        "PORTAL_RATE_LIMIT": "100000",
        "WEB_CONCURRENCY": "2",
        "PORTAL_THREADS": "4",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        **settings,
    }
    env.pop("CACHE_URL", None)  # the embedded default, shared by the workers
    return env


@contextlib.contextmanager
def portal_under_gunicorn(
    data_dir: Path,
    *,
    bind: str = "",
    log: queue.Queue[str] | None = None,
    migrated: bool = True,
    **settings: str,
) -> Iterator[tuple[str, Path, int]]:
    """(base URL, database file, gunicorn master's pid); `settings` are more environment
    variables for the server. `bind`: another address than 127.0.0.1 on a free port (e.g.
    `unix:PATH`; the base URL is then "http://localhost"); `log` receives the server's error
    log lines (what it writes to stderr) as they come. `migrated=False`: gunicorn started by
    hand on an empty database, without `migrate` and the site."""
    port = free_port()
    bind = bind or f"127.0.0.1:{port}"
    env = server_environment(data_dir, **settings)
    manage = [sys.executable, str(ROOT / "manage.py")]
    if migrated:
        subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "shell", "-c", SETUP], env=env, check=True, cwd=ROOT)
    process = subprocess.Popen(
        [*GUNICORN, "--bind", bind],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        # gunicorn says when it listens; requests made before a worker runs wait in the backlog.
        lines: queue.Queue[str] = queue.Queue() if log is None else log
        for line in process.stderr:
            lines.put(line)
            if "Listening at" in line:
                break
        stderr = process.stderr

        def pass_on() -> None:  # keeps the pipe drained
            for line in stderr:
                lines.put(line)

        threading.Thread(target=pass_on, daemon=True).start()
        base_url = "http://localhost" if bind.startswith("unix:") else f"http://{bind}"
        yield base_url, data_dir / "portal.sqlite3", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
