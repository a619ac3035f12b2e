"""The periodic fold on the worker, on the real django-tasks database backend and a frozen
clock: yesterday folded shortly after midnight in the portal's time zone, view counters moved
every few minutes, one chain of runs however many workers start, and a dashboard request on
days never folded that folds a few and says which are still being counted
(docs/decisions/0083-analytics-fold-on-the-worker.md)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Sum
from django.utils import formats
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from portal.analytics import tasks
from portal.analytics.models import DailyPageCounts, DailyStarts, FoldedDay
from portal.models import StartRequest
from tests.analytics.conftest import TODAY, add_start, dashboard, day_columns, tables
from tests.parsed_html import elements
from tests.webhooks.conftest import run_worker

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")  # UTC+2 in December: its midnight is not UTC's


def local(day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=HELSINKI)


def start_at(when: dt.datetime, site) -> None:
    record = StartRequest.objects.create(
        site=site, flow="key", outcome="started", backend_kind=site.backend.kind
    )
    StartRequest.objects.filter(pk=record.pk).update(created_at=when)


def waiting() -> list[dt.datetime]:
    """run_after of every fold run not started yet."""
    return sorted(
        row.run_after
        for row in DBTaskResult.objects.filter(
            task_path="portal.analytics.tasks.fold_analytics", status=TaskResultStatus.READY
        )
    )


def finished() -> int:
    return DBTaskResult.objects.filter(
        task_path="portal.analytics.tasks.fold_analytics", status=TaskResultStatus.SUCCESSFUL
    ).count()


def test_the_run_after_midnight_folds_yesterday_and_each_run_schedules_exactly_one_next(
    client, settings, site
):
    settings.TIME_ZONE = "Europe/Helsinki"
    with time_machine.travel(local(5, 23, 58), tick=False) as clock:
        start_at(local(5, 0, 30), site)
        start_at(local(5, 23, 57, 30), site)  # yesterday in Helsinki, today in UTC
        start_at(local(4, 23, 59), site)
        client.get("/key/")
        client.get("/key/")

        call_command("portal_analytics_fold", "--schedule", verbosity=0)  # the worker starts
        assert FoldedDay.objects.filter(day=dt.date(2026, 12, 4)).exists()
        assert not FoldedDay.objects.filter(day=dt.date(2026, 12, 5)).exists()  # still open
        assert waiting() == [local(6, 0, 0)]

        clock.move_to(local(6, 0, 0, 30))
        client.get("/key/")  # counted on the 6th
        run_worker()
        # Within SETTLE of midnight the 5th is not folded yet (a late commit may still land)...
        assert not FoldedDay.objects.filter(day=dt.date(2026, 12, 5)).exists()
        # ...but the views are moved on every run.
        views = dict(DailyPageCounts.objects.filter(site=site, flow="key").values_list("day", "views"))
        assert views == {dt.date(2026, 12, 5): 2, dt.date(2026, 12, 6): 1}
        assert waiting() == [local(6, 0, 5)] and finished() == 1

        clock.move_to(local(6, 0, 5, 1))
        run_worker()
        assert FoldedDay.objects.filter(day=dt.date(2026, 12, 5)).exists()
        folded = DailyStarts.objects.filter(day=dt.date(2026, 12, 5)).aggregate(n=Sum("count"))["n"]
        assert folded == 2
        assert waiting() == [local(6, 0, 10)] and finished() == 2

        run_worker()  # nothing due: nothing runs, nothing more is scheduled
        assert waiting() == [local(6, 0, 10)] and finished() == 2

        # A day later the next run deletes the runs that succeeded more than a day before it.
        clock.move_to(local(7, 0, 5, 30))
        run_worker()
        assert finished() == 1 and waiting() == [local(7, 0, 10)]


def test_two_workers_and_a_restart_with_a_flushed_cache_keep_one_chain(site):
    with time_machine.travel(dt.datetime(2026, 12, 6, 10, 1, tzinfo=dt.UTC), tick=False) as clock:
        call_command("portal_analytics_fold", "--schedule", verbosity=0)
        call_command("portal_analytics_fold", "--schedule", verbosity=0)  # a second worker
        assert waiting() == [dt.datetime(2026, 12, 6, 10, 5, tzinfo=dt.UTC)]

        clock.move_to(dt.datetime(2026, 12, 6, 10, 7, tzinfo=dt.UTC))
        cache.clear()  # the cache's claims are gone; the waiting (overdue) run is still there
        call_command("portal_analytics_fold", "--schedule", verbosity=0)
        assert waiting() == [dt.datetime(2026, 12, 6, 10, 5, tzinfo=dt.UTC)]

        # Should two runs wait all the same (a flush between one's claim and its enqueue),
        # both run and the chain is one again after them.
        tasks.fold_analytics.using(run_after=dt.datetime(2026, 12, 6, 10, 5, tzinfo=dt.UTC)).enqueue()
        assert len(waiting()) == 2
        run_worker()
        assert finished() == 2
        assert waiting() == [dt.datetime(2026, 12, 6, 10, 10, tzinfo=dt.UTC)]


def uncounted_note(response) -> str | None:
    found = [item.text for item in elements(response.content, "li", id="uncounted-note")]
    return found[0] if found else None


def shown(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def test_a_request_on_days_never_folded_folds_the_newest_few_and_says_the_rest_are_being_counted(
    admin_client, site
):
    with time_machine.travel(dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC), tick=False):
        for days_ago in range(11):  # one start a day, today's included
            add_start(days_ago=days_ago, site=site)

        response = dashboard(admin_client, period=30)
        totals = day_columns(tables(response)["starts-table"])["Total"]
        # Today read live, the 3 newest closed days folded on the request; the older ones are
        # left to the worker and the page says so instead of showing them as counted.
        counted = {TODAY - dt.timedelta(days=n) for n in range(4)}
        assert set(FoldedDay.objects.values_list("day", flat=True)) == counted - {TODAY}
        assert {day for day, n in totals.items() if n} == {shown(day) for day in counted}
        note = uncounted_note(response)
        assert note is not None and "still being counted" in note
        assert shown(TODAY - dt.timedelta(days=4)) in note
        assert waiting() == [get_date_max()]  # one fold run asked for now

        response = dashboard(admin_client, period=30)  # a reload: 3 more, no second run asked
        assert shown(TODAY - dt.timedelta(days=7)) in uncounted_note(response)
        assert waiting() == [get_date_max()]

        run_worker()
        assert FoldedDay.objects.count() == 10
        response = dashboard(admin_client, period=30)
        assert uncounted_note(response) is None
        totals = day_columns(tables(response)["starts-table"])["Total"]
        assert {day for day, n in totals.items() if n} == {
            shown(TODAY - dt.timedelta(days=n)) for n in range(11)
        }
        # The catch-up run scheduled the periodic one; no other run waits.
        assert waiting() == [dt.datetime(2026, 12, 6, 15, 5, tzinfo=dt.UTC)]
