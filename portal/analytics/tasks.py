"""The periodic fold on the worker (django-tasks' db_worker): closed days into the rollup and
the cache's view counters into the database, off the request path
(docs/decisions/0083-analytics-fold-on-the-worker.md).

One chain of tasks: each run folds and enqueues the next run at the next EVERY boundary, so
yesterday is folded within EVERY of midnight + SETTLE (portal/analytics/services.py) and a
cache flush loses at most EVERY of views. `manage.py portal_analytics_fold --schedule` (run at
each worker start) folds and starts the chain if no run is pending.

Duplicates: a run is enqueued only if no fold task is waiting (a READY row of the database
backend) and then only by the one scheduler that claims the slot in the cache, so two workers
or a restart do not start a second chain; should two runs still be waiting (a cache flush at
the same instant), the first to run schedules the next slot and the other sees it waiting, so
the chains merge after one slot. A run schedules the next one even when its fold fails.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from portal.analytics import services

# Every 5 minutes: a cache flush loses at most 5 minutes of page views, yesterday is folded by
# 00:10, and a run that finds nothing to fold costs a few indexed queries (bench/README.md).
EVERY = dt.timedelta(minutes=5)
# Succeeded runs are deleted this long after they finished.
KEEP_FINISHED = dt.timedelta(days=1)
# A request that left days uncounted asks for one run now, at most once a minute.
CATCH_UP_CLAIM_SECONDS = 60


@task()
def fold_analytics() -> str:
    """Folds every closed day not folded yet and the view counters, then schedules the next run."""
    try:
        days, moved = services.fold_all()
    finally:  # a failed fold (the database away for a moment) must not end the chain
        schedule_next()
    prune()
    return f"folded {days} day(s) and {moved} view(s)/submission(s)"


def next_slot(now: dt.datetime) -> dt.datetime:
    """The first EVERY boundary (counted from the Unix epoch, so the same for every process)
    after `now`."""
    step = int(EVERY.total_seconds())
    seconds = (int(now.timestamp()) // step + 1) * step
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def waiting():
    """The fold runs enqueued and not started (due or not)."""
    return DBTaskResult.objects.filter(task_path=fold_analytics.module_path, status=TaskResultStatus.READY)


def prune() -> int:
    """Deletes the fold runs that succeeded more than KEEP_FINISHED ago (288 rows a day
    otherwise); failed ones stay for `prune_db_task_results`, with their traceback."""
    cutoff = timezone.now() - KEEP_FINISHED
    deleted, _ = DBTaskResult.objects.filter(
        task_path=fold_analytics.module_path, status=TaskResultStatus.SUCCESSFUL, finished_at__lt=cutoff
    ).delete()
    return deleted


def schedule_next(*, now: dt.datetime | None = None) -> bool:
    """Enqueues the run at the next slot unless a run is waiting; True if it enqueued one."""
    if waiting().exists():
        return False
    # The slot's claim: of two schedulers that both saw nothing waiting, one enqueues.
    slot = next_slot(now or timezone.now())
    claim = f"portal:analytics:fold-slot:{int(slot.timestamp())}"
    if not cache.add(claim, 1, int(2 * EVERY.total_seconds())):
        return False
    try:
        fold_analytics.using(run_after=slot).enqueue()
    except Exception:
        cache.delete(claim)  # or the next scheduler would find the slot taken and nothing waiting
        raise
    return True


def catch_up() -> bool:
    """Asks for a run now (days left uncounted by a dashboard request) unless one is due;
    True if it enqueued one."""
    if waiting().ready().exists():
        return False
    if not cache.add("portal:analytics:fold-catch-up", 1, CATCH_UP_CLAIM_SECONDS):
        return False
    fold_analytics.enqueue()
    return True
