"""Health probes (answered before host validation by middleware.HealthCheckMiddleware)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from portal.http import PortalRequest


@require_GET
def healthz(request: PortalRequest) -> JsonResponse:
    """The process is up. Touches nothing else, so a slow database never restarts workers."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: PortalRequest) -> JsonResponse:
    """Database and cache reachable: 200, else 503 with what failed."""
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
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)
