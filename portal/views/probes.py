"""Health probes (answered before host validation by middleware.HealthCheckMiddleware)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from portal import migration_state
from portal.cache_backend import degraded
from portal.error_reports import configured_secrets
from portal.http import PortalRequest
from portal.log import duration

logger = logging.getLogger("portal.probes")

# While /readyz keeps failing for the same reason, the reason is logged again this often (per
# process): a load balancer probes every few seconds, and one line per probe buried the log.
READINESS_REMINDER_SECONDS = 600


def why(error: Exception) -> str:
    """An error fit for a log line: its class and its message's first line, short, with every
    configured password replaced by ***."""
    message = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    for secret in configured_secrets():
        message = message.replace(secret, "***")
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class Readiness:
    """What /readyz last logged in this process: one ERROR line when it starts failing (with why),
    again only when the reason changes or every `reminder` seconds while it lasts, and one INFO
    line when it is ready again. Django's own "Service Unavailable: /readyz" line per probe,
    which said nothing of why, is not written."""

    def __init__(
        self, reminder: float = READINESS_REMINDER_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self.reminder, self.clock = reminder, clock
        self._lock = threading.Lock()
        self.failing: str | None = None  # what failed, as last logged; None while ready
        self.since = self.logged_at = 0.0

    def observe(self, failing: str | None, reason: str = "") -> None:
        """`failing` names what failed and how (the checks and the errors' classes): the same
        outage while it stays the same, whatever the errors' messages say; `reason` is the line."""
        now = self.clock()
        with self._lock:
            previous, since = self.failing, self.since
            if failing is None:
                self.failing = None
            elif failing != previous:
                self.failing, self.logged_at = failing, now
                if previous is None:
                    self.since = now
            elif now - self.logged_at >= self.reminder:
                self.logged_at = now
            else:
                return
        if failing is None:
            if previous is not None:
                logger.info("/readyz: ready again after %s", duration(now - since))
        elif failing == previous:
            logger.error("/readyz: still not ready after %s: %s", duration(now - since), reason)
        else:
            logger.error(
                "/readyz: not ready: %s (said again every %s while it lasts, once per process)",
                reason,
                duration(self.reminder),
            )


readiness = Readiness()


@require_GET
def healthz(request: PortalRequest) -> JsonResponse:
    """The process is up. Touches nothing else, so a slow database never restarts workers."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: PortalRequest) -> JsonResponse:
    """Database and cache reachable, and the database migrated: 200, else 503 with what failed
    (`"database": "not migrated"` until `manage.py migrate` has run, portal/migration_state.py).

    A Redis outage is `"cache": "degraded"` with 200: this process serves customers from its own
    memory meanwhile, and a shared Redis down would otherwise take every instance out of the
    load balancer at once (docs/decisions/0101-serving-through-a-redis-outage.md)."""
    checks = {}
    failing, reasons = [], []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
        if missing := migration_state.missing_migrations():
            checks["database"] = "not migrated"
            failing.append("database not migrated")
            reasons.append(migration_state.not_migrated(missing))
    except Exception as error:  # any driver error means not ready
        checks["database"] = "error"
        failing.append(f"database {type(error).__name__}")
        reasons.append(f"database unreachable ({why(error)})")
    try:
        cache.set("portal:readyz", "1", 5)
        checks["cache"] = "ok" if cache.get("portal:readyz") == "1" else "error"
        if checks["cache"] == "error":
            failing.append("cache unread")
            reasons.append("cache unreachable (a value just stored could not be read back)")
    except Exception as error:
        checks["cache"] = "error"
        failing.append(f"cache {type(error).__name__}")
        reasons.append(f"cache unreachable ({why(error)})")
    if checks["cache"] == "ok" and degraded(cache):
        checks["cache"] = "degraded"
    readiness.observe(", ".join(failing) or None, "; ".join(reasons))
    if failing:
        response = JsonResponse({"status": "error", **checks}, status=503)
        # Said once above, with why; not again by django.request on every probe.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
    status = "degraded" if "degraded" in checks.values() else "ok"
    return JsonResponse({"status": status, **checks})
