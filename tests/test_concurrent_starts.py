"""Under concurrent load every start has exactly one StartRequest row: none lost, none doubled.

gunicorn as shipped (gunicorn.conf.py: gthread workers) on 127.0.0.1 with its own on-disk
SQLite database, as `make serve` runs it; 8 client threads post key and survey starts, each
with a unique external key, and the rows are then counted in the database file itself.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from django.core import signing

from portal import guards

ROOT = Path(__file__).resolve().parent.parent
THREADS, STARTS_PER_THREAD = 8, 25
SECRET_KEY = "concurrency-test-secret-key-not-used-anywhere-else-0123456789"
SETUP = """
from portal.models import Backend, FieldMode, Issue, Site
backend = Backend.objects.create(name="Appliance", kind="modern", base_url="https://support.example.com")
site = Site.objects.create(name="Acme", is_default=True, backend=backend, keep_personal_data=True,
                           external_key_field=FieldMode.OPTIONAL, details_field=FieldMode.OPTIONAL)
Issue.objects.create(site=site, code_name="vpn", display_name="VPN", order=1)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_HTTPS": "false",
        "PORTAL_MANIFEST_STATIC": "false",
        "PORTAL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_RATE_LIMIT": "100000",
        "WEB_CONCURRENCY": "2",
        "PORTAL_THREADS": "4",
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    env.pop("CACHE_URL", None)  # the embedded default, shared by the workers
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "shell", "-c", SETUP], env=env, check=True, cwd=ROOT)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # gunicorn says when it listens; requests made before a worker runs wait in the backlog.
        for line in process.stderr:
            if "Listening at" in line:
                break
        threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe drained
        yield f"http://127.0.0.1:{port}", tmp_path / "portal.sqlite3", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_every_concurrent_start_has_exactly_one_row(server):
    base_url, database, _master = server
    timestamp = signing.TimestampSigner(key=SECRET_KEY, salt=guards.FORM_SALT).sign("form")
    guard = {guards.TIMESTAMP_FIELD: timestamp, guards.HONEYPOT_FIELD: ""}
    failures, sent = [], []
    barrier = threading.Barrier(THREADS)

    def customer(number: int):
        session = requests.Session()
        barrier.wait()
        for start in range(STARTS_PER_THREAD):
            key = f"LOAD-{number}-{start}"
            path, fields = (
                ("/key/", {"key": "1234567"})
                if start % 2
                else ("/survey/", {"issue": "vpn", "name": f"Customer {number}"})
            )
            response = session.post(
                base_url + path,
                data={**guard, **fields, "external_key": key},
                allow_redirects=False,
                timeout=30,
            )
            sent.append(key)
            if response.status_code != 303 or key not in requests.utils.unquote(response.headers["Location"]):
                failures.append((key, response.status_code))

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(sent) == THREADS * STARTS_PER_THREAD

    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT flow, outcome, customer_data FROM portal_startrequest").fetchall()
    keys = [json.loads(data)["external_key"] for _flow, _outcome, data in rows]
    assert sorted(keys) == sorted(sent)  # each start once: none lost, none doubled
    assert {(flow, outcome) for flow, outcome, _data in rows} == {("key", "started"), ("survey", "started")}


def workers_of(master: int) -> list[int]:
    """The gunicorn worker processes (the master's children), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process has gone meanwhile
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return children


def test_a_worker_killed_mid_load_loses_no_answered_start(server):
    """docs/decisions/0066-lean-start-record.md: a start is committed before its 303 leaves, so
    killing a worker (SIGKILL: no clean-up, as an OOM kill) loses no start a customer was sent
    on. Requests the dead worker was serving fail; one of them may have committed its record
    before its answer was lost (a row without a 303), never the other way round."""
    base_url, database, master = server
    timestamp = signing.TimestampSigner(key=SECRET_KEY, salt=guards.FORM_SALT).sign("form")
    guard = {guards.TIMESTAMP_FIELD: timestamp, guards.HONEYPOT_FIELD: ""}
    answered, sent, lock = [], [], threading.Lock()
    halfway = threading.Event()

    def customer(number: int):
        session = requests.Session()
        for start in range(STARTS_PER_THREAD):
            key = f"KILL-{number}-{start}"
            with lock:
                sent.append(key)
            try:
                response = session.post(
                    base_url + "/key/",
                    data={**guard, "key": "1234567", "external_key": key},
                    allow_redirects=False,
                    timeout=30,
                )
            except requests.ConnectionError:  # served by the killed worker: the customer retries
                session = requests.Session()
                continue
            if response.status_code == 303:
                with lock:
                    answered.append(key)
                    if len(answered) == THREADS * STARTS_PER_THREAD // 3:
                        halfway.set()

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    assert halfway.wait(60)
    victims = workers_of(master)
    assert victims
    os.kill(victims[0], signal.SIGKILL)
    for thread in threads:
        thread.join()

    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT customer_data FROM portal_startrequest").fetchall()
    recorded = [json.loads(data)["external_key"] for (data,) in rows]
    assert len(recorded) == len(set(recorded))  # none doubled
    assert set(answered) <= set(recorded)  # every start a customer was sent on is there
    assert set(recorded) <= set(sent)
    assert len(answered) > THREADS * STARTS_PER_THREAD // 3  # the load went on after the kill
