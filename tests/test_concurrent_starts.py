"""Under concurrent load every start has exactly one StartRequest row: none lost, none doubled.

gunicorn as shipped (gunicorn.conf.py: gthread workers) on 127.0.0.1 with its own on-disk
SQLite database, as `make serve` runs it; 8 client threads post key and survey starts, each
with a unique external key, and the rows are then counted in the database file itself.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from django.core import signing

from portal import guards
from tests.server.portal_server import SECRET_KEY, portal_under_gunicorn

THREADS, STARTS_PER_THREAD = 8, 25


@pytest.fixture
def server(tmp_path):
    with portal_under_gunicorn(tmp_path) as running:
        yield running


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
            if response.status_code != 303 or key not in unquote(response.headers["Location"]):
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
