"""Page views and form submissions are counted per site, flow and day through the real
middleware stack, page cache included, without a cookie or a database write per view, and
fold into the funnel (docs/decisions/0081-cookie-free-view-counting.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.analytics import counters, services
from portal.analytics.models import DailyPageCounts
from portal.models import Site, StartRequest
from tests.analytics.conftest import dashboard, tables
from tests.conftest import form_data

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


def funnel(admin_client, **query) -> dict[str, list[str]]:
    """Flow label -> [views, submissions, submitted %, starts, started %, overall %]."""
    return {row[0]: row[1:] for row in tables(dashboard(admin_client, **query))["funnel-table"]["body"]}


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE"}]


def test_views_submissions_and_starts_make_the_funnel(client, admin_client, site):
    first = client.get("/key/")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/key/")  # from the page cache: no query at all, still counted
    assert len(queries) == 0 and second.content == first.content
    client.get("/key/?locale=de")
    client.get("/survey/")
    started = client.post("/key/", form_data(key="1234567"))
    assert started.status_code == 303
    refused = client.post("/key/", form_data(key="12"))
    assert refused.status_code == 200
    rows = funnel(admin_client)
    assert rows["Session key"] == ["3", "2", "66.7 %", "1", "50.0 %", "33.3 %"]
    assert rows["Issue survey"] == ["1", "0", "0.0 %", "0", "—", "0.0 %"]
    assert rows["Representative list"] == ["0", "0", "—", "0", "—", "—"]
    assert StartRequest.objects.filter(flow="key").count() == 2  # the refused one is a record, not a start


def test_a_post_the_guards_refuse_unread_is_no_submission(client, admin_client, site, settings):
    """Too many attempts (429) or a form from another site (403): the form was never read, so
    the funnel's 'started per submission' does not count them."""
    settings.PORTAL_RATE_LIMIT = 2
    client.get("/key/")
    foreign = client.post("/key/", form_data(key="12"), HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403
    answers = [client.post("/key/", form_data(key="12")).status_code for _ in range(4)]
    assert answers == [200, 200, 429, 429]
    assert funnel(admin_client)["Session key"][:2] == ["1", "2"]


def test_counting_sets_no_cookie_and_writes_nothing_to_the_database(client, site):
    client.get("/key/")
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/key/")
        assert writes(queries) == [] and not response.cookies
    counters.flush()
    assert (
        cache.get(counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")) == 4
    )
    assert DailyPageCounts.objects.count() == 0


def test_the_landing_page_counts_for_the_form_it_shows(client, admin_client, site, issues):
    client.get("/")  # the choice of flows holds the session-key form
    site.show_session_key = False
    site.show_rep_list = False
    site.save()
    client.get("/")  # now it is the survey
    client.head("/survey/")  # an uptime monitor, not a visitor
    client.get("/theme.css")
    rows = funnel(admin_client)
    assert rows["Session key"][0] == "1" and rows["Issue survey"][0] == "1"


def test_the_closed_page_is_not_a_view_of_a_form(client, admin_client, site):
    from django.utils import timezone

    from portal.models import Holiday

    holiday = Holiday.objects.create(site=site, date=timezone.localdate())
    assert "We are closed right now" in client.get("/key/").content.decode()
    holiday.delete()
    assert 'name="key"' in client.get("/key/").content.decode()
    assert funnel(admin_client)["Session key"][0] == "1"


def test_views_are_counted_per_site(client, admin_client, site, backend, settings):
    settings.ALLOWED_HOSTS = ["testserver", "beta.example.com"]
    other = Site.objects.create(name="Beta Help", backend=backend)
    other.hostnames.create(hostname="beta.example.com")
    client.get("/key/")
    client.get("/key/", HTTP_HOST="beta.example.com")
    client.get("/key/", HTTP_HOST="beta.example.com")
    assert funnel(admin_client, site=site.pk)["Session key"][0] == "1"
    assert funnel(admin_client, site=other.pk)["Session key"][0] == "2"
    assert funnel(admin_client)["Session key"][0] == "3"


def test_folding_moves_counts_once_and_new_views_keep_counting(client, admin_client, site):
    client.get("/key/")
    client.get("/key/")
    assert services.fold_counters() == 2
    assert services.fold_counters() == 0  # nothing counted twice
    client.get("/key/")
    assert funnel(admin_client)["Session key"][0] == "3"
    assert funnel(admin_client)["Session key"][0] == "3"


def test_a_cache_flush_loses_only_what_was_not_folded(client, admin_client, site):
    client.get("/key/")
    services.fold_counters()
    client.get("/key/")
    counters.flush()  # the view reaches the shared counter (else the exit or the next interval)
    cache.clear()
    assert funnel(admin_client)["Session key"][0] == "1"


def test_a_counter_taken_twice_gives_the_second_taker_nothing(site):
    key = counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")
    for _ in range(5):
        counters.count(kind="views", site_id=site.pk, flow="key")
    counters.flush()
    assert counters.take(key) == 5
    assert counters.take(key) == 0
    counters.count(kind="views", site_id=site.pk, flow="key")
    counters.flush()
    assert counters.take(key) == 1


def test_units_given_back_after_a_failed_write_are_folded_later(site):
    key = counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")
    counters.count(kind="views", site_id=site.pk, flow="key")
    counters.flush()
    taken = counters.take(key)
    counters.give_back(key, taken)
    assert services.fold_counters() == 1


def test_views_reach_the_shared_counter_on_the_request_that_crosses_the_interval(client, site):
    key = counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")
    now = [1000.0]
    counters.tally = counters.Tally(every=5, clock=lambda: now[0])
    try:
        client.get("/key/")
        client.get("/key/")
        now[0] += 4.9
        client.get("/key/")
        assert cache.get(key) is None  # tallied in this process, not a cache write per view
        now[0] += 0.1
        client.get("/key/")  # crosses the interval: the whole tally goes in one incr
        assert cache.get(key) == 4
        client.get("/key/")
        assert cache.get(key) == 4
        assert counters.flush() == 1  # what exit (atexit) and every fold do
        assert cache.get(key) == 5
    finally:
        counters.tally = counters.Tally()


def test_a_fold_sees_the_views_this_process_has_not_flushed_yet(client, admin_client, site):
    client.get("/key/")
    client.get("/survey/")
    assert counters.tally.pending() == 2
    assert services.fold_counters() == 2
    assert counters.tally.pending() == 0


def process_env(data_dir) -> dict[str, str]:
    """A process of its own with the production settings on the embedded cache in `data_dir`:
    processes given the same folder share their counters, as one machine's workers do."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": "counting-test-" + "x" * 50,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_LOG_LEVEL": "ERROR",
    }
    env.pop("CACHE_URL", None)
    return env


EXIT_SCRIPT = """
import django
django.setup()
from django.core.cache import cache
from portal.analytics import counters
key = counters.counter_key(kind="views", day=counters.today(), site_id=7, flow="key")
if sys.argv[1] == "count":
    for _ in range(3):
        counters.count(kind="views", site_id=7, flow="key")
else:
    print(cache.get(key))
"""


def test_a_process_adds_its_tally_to_the_shared_counters_when_it_exits(tmp_path):
    """Two processes on one embedded cache folder: the first counts three views and exits
    normally (as a gunicorn worker does), the second reads the shared counter."""
    env = process_env(tmp_path)
    script = "import sys\n" + EXIT_SCRIPT
    run = [sys.executable, "-c", script]
    subprocess.run([*run, "count"], env=env, check=True, cwd=ROOT, timeout=120)
    read = subprocess.run(
        [*run, "read"], env=env, check=True, cwd=ROOT, timeout=120, capture_output=True, text=True
    )
    assert read.stdout.strip().splitlines()[-1] == "3"


def test_units_whose_incr_failed_stay_in_the_tally(site, monkeypatch):
    key = counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")
    counters.count(kind="views", site_id=site.pk, flow="key")

    def cache_down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    for method in ("incr", "add", "incr_or_add"):  # every way a counter is raised
        monkeypatch.setattr(counters.cache, method, cache_down, raising=False)
    assert counters.flush() == 0
    monkeypatch.undo()
    assert counters.flush() == 1
    assert cache.get(key) == 1


def test_the_first_count_of_an_interval_schedules_a_flush_so_no_count_waits_for_a_request(site):
    """A worker that gets no request after a customer's submission still adds it to the shared
    counters within the interval (the dashboard is served by another process)."""
    key = counters.counter_key(kind="submissions", day=counters.today(), site_id=site.pk, flow="key")
    scheduled = []
    tally = counters.Tally(
        every=5, clock=lambda: 1000.0, schedule=lambda delay, call: scheduled.append((delay, call))
    )
    tally.count(key)
    tally.count(key)
    assert [delay for delay, _call in scheduled] == [5]  # one timer per interval, not per count
    assert cache.get(key) is None
    scheduled[0][1]()  # the interval has passed, and no request came
    assert cache.get(key) == 2 and tally.pending() == 0
    tally.count(key)  # a new interval: a new timer
    assert [delay for delay, _call in scheduled] == [5, 5]
    scheduled[1][1]()
    assert cache.get(key) == 3


FLUSH_SCRIPT = """
import sys
import django
django.setup()
from portal.analytics import counters
counters.tally = counters.Tally(every=0.2)
counters.count(kind="submissions", site_id=7, flow="key")
print("counted", flush=True)
sys.stdin.readline()  # alive, and no further count, until the test is done
"""

READ_SCRIPT = """
import django
django.setup()
from django.core.cache import cache
from portal.analytics import counters
print(cache.get(counters.counter_key(kind="submissions", day=counters.today(), site_id=7, flow="key")))
"""


def test_a_process_that_gets_no_further_request_still_adds_its_tally(tmp_path):
    """Two processes on one embedded cache folder, as two gunicorn workers: the first counts a
    submission and then idles, alive; the second finds it in the shared counter."""
    env = process_env(tmp_path)
    with subprocess.Popen(
        [sys.executable, "-c", FLUSH_SCRIPT],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as counting:
        try:
            assert counting.stdout.readline() == "counted\n"
            seen = []
            for _attempt in range(100):  # each read is a fresh process: about 0.3 s or more
                read = subprocess.run(
                    [sys.executable, "-c", READ_SCRIPT],
                    env=env,
                    cwd=ROOT,
                    check=True,
                    timeout=120,
                    capture_output=True,
                    text=True,
                )
                seen.append(read.stdout.strip())
                if seen[-1] == "1":
                    break
            assert seen[-1] == "1", seen
            assert counting.poll() is None  # the counting process never exited
        finally:
            counting.stdin.close()
            counting.wait(timeout=60)


BOUND = 20  # seconds: only a fault waits this long


def test_later_runs_calls_at_their_time_on_one_long_lived_thread():
    """One thread per process for every scheduled flush: a thread per flush would open the
    cache's connections again every few seconds (Django's are per thread)."""
    later = counters.Later()
    ran: list[tuple[str, threading.Thread]] = []
    last = threading.Event()

    def call(name: str, then: threading.Event | None = None):
        def run():
            ran.append((name, threading.current_thread()))
            if then is not None:
                then.set()
            if name == "fails":
                raise RuntimeError("a call that fails")

        return run

    later(0.3, call("late", last))
    later(0.0, call("fails"))  # and the thread goes on
    later(0.05, call("soon"))
    assert last.wait(BOUND)
    assert [name for name, _thread in ran] == ["fails", "soon", "late"]
    assert {thread for _name, thread in ran} == {later.thread}


def test_a_forked_process_runs_its_calls_on_a_thread_of_its_own():
    later = counters.Later()
    started = threading.Event()
    later(0, started.set)
    assert started.wait(BOUND)
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread is not here
        try:
            ran = threading.Event()
            later(0, ran.set)
            os.write(writable, b"ran" if ran.wait(BOUND) else b"never")
        finally:
            os._exit(0)
    os.close(writable)
    try:
        answer = os.read(readable, 16)
    finally:
        os.close(readable)
        os.waitpid(pid, 0)
    assert answer == b"ran"


def test_counting_goes_on_when_no_flush_can_be_scheduled(site):
    key = counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")
    attempts = []

    def no_thread(delay, call):
        attempts.append(delay)
        raise RuntimeError("can't start new thread")

    tally = counters.Tally(every=5, clock=lambda: 1000.0, schedule=no_thread)
    tally.count(key)
    tally.count(key)  # tries again: the failed attempt left no flush pending
    assert tally.pending() == 2 and attempts == [5, 5]
