"""Whether the database has every migration this code needs. gunicorn started by hand, without
`manage.py migrate` first (the image's entrypoint and `make serve` run it), answered every
request with a traceback ("no such table"); now the log says once, per process, what to run,
customers get the "not set up yet" page (503), and /readyz says not ready
(docs/decisions/0125-an-unmigrated-database-at-start.md).

Asked until the answer is "migrated", then never again in this process: a later migration
comes with new code, and so with a restart. While migrations are missing each request asks
again (a few milliseconds: one query and the migration graph, its modules imported once), so the first
request after `migrate` is served, without a restart.

A database it cannot ask (unreachable) is not asked again until a connection to it is made
(by a request, or /readyz): each request of an outage would otherwise wait on one more connect
(PORTAL_DATABASE_CONNECT_TIMEOUT), a page the caches serve without the database included.
"""

from __future__ import annotations

import logging
import threading

from django.db import connection
from django.db.backends.signals import connection_created
from django.db.migrations.executor import MigrationExecutor
from django.dispatch import receiver

logger = logging.getLogger("portal.migration_state")

_lock = threading.Lock()
_migrated = False
_reported: int | None = None  # how many were missing when the log last said so
_asking = True  # False from a failed ask until a connection is made again


def unapplied() -> list[str]:
    """The migrations this code has and the database has not applied ("app.name"), in the
    order `migrate` would apply them."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def missing_migrations() -> list[str]:
    """The migrations still to apply; [] once the database has them all, or when the database
    cannot say (unreachable: the request, and /readyz, then fail as they did)."""
    global _migrated, _reported, _asking
    if _migrated or not _asking:
        return []
    try:
        missing = unapplied()
    except Exception:  # noqa: BLE001  # a database it cannot ask: nothing changes for the request
        # Not even connected (unreachable): asked again once a connection is made. An error
        # on an open connection (a query that failed) is asked again at the next request.
        _asking = connection.connection is not None
        return []
    with _lock:
        if not missing:
            _migrated = True
            if _reported is not None:
                logger.info("database migrated: serving")
        elif _reported != len(missing):
            _reported = len(missing)
            logger.error("%s", not_migrated(missing))
    return missing


@receiver(connection_created)
def ask_again(sender, connection, **kwargs) -> None:
    """A connection was made: the database can be asked again."""
    global _asking
    _asking = True


def not_migrated(missing: list[str]) -> str:
    """The one line for the log and /readyz."""
    return (
        f"database not migrated: run `manage.py migrate` with the server's environment"
        f" ({len(missing)} migrations not applied, the first {missing[0]});"
        " every page answers 503 until then"
    )
