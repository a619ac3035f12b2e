"""Health probes (answered before host validation by middleware.HealthCheckMiddleware)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from portal.cache_backend import degraded
from portal.http import PortalRequest


@require_GET
def healthz(request: PortalRequest) -> JsonResponse:
    """The process is up. Touches nothing else, so a slow database never restarts workers."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: PortalRequest) -> JsonResponse:
    """Database and cache reachable: 200, else 503 with what failed.

    A Redis outage is `"cache": "degraded"` with 200: this process serves customers from its own
    memory meanwhile, and a shared Redis down would otherwise take every instance out of the
    load balancer at once (docs/decisions/0101-serving-through-a-redis-outage.md)."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # any driver error means not ready
        checks["database"] = "error"
    try:
        cache.set("portal:readyz", "1", 5)
        checks["cache"] = "ok" if cache.get("portal:readyz") == "1" else "error"
    except Exception:
        checks["cache"] = "error"
    if checks["cache"] == "ok" and degraded(cache):
        checks["cache"] = "degraded"
    if any(value == "error" for value in checks.values()):
        return JsonResponse({"status": "error", **checks}, status=503)
    status = "degraded" if "degraded" in checks.values() else "ok"
    return JsonResponse({"status": status, **checks})
