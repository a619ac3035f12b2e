"""Counts customer page views and form submissions per site, flow and day
(docs/decisions/0081-cookie-free-view-counting.md).

It sits above the customer page cache (settings.MIDDLEWARE), so a page served from the cache
is counted like a rendered one. No cookie is read or set and nothing is written to the
database: a view is one atomic `incr` in the shared cache (portal/analytics/counters.py).
"""

from __future__ import annotations

from django.urls import reverse

from portal.analytics import counters
from portal.models import StartRequest
from portal.views.rendering import enabled_flows

# Which flow's form a page shows, by URL name. The landing page shows the one flow there is,
# else the choice, which holds the session-key form (templates/portal/home.html).
FLOW_PAGES = {
    "session_key": StartRequest.Flow.KEY,
    "survey": StartRequest.Flow.SURVEY,
    "reps": StartRequest.Flow.REP,
    "technicians": StartRequest.Flow.REP,
}
LANDING_FLOWS = {
    "key": StartRequest.Flow.KEY,
    "survey": StartRequest.Flow.SURVEY,
    "reps": StartRequest.Flow.REP,
    "technicians": StartRequest.Flow.REP,
}


class PageViewCountMiddleware:
    """Counts a GET answered 200 as a view, and a POST as a submission, of the flow whose form
    the page holds. Override `flow_for` to count other pages; a response with
    `shows_no_flow = True` (the closed page) is not a view, and one with
    `not_a_submission = True` (a POST the guards refused unread: too many, from another site)
    is not a submission."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: dict[str, str] | None = None

    def paths(self) -> dict[str, str]:
        """Path -> URL name of the counted pages, built on the first request (URLs are loaded)."""
        if self._paths is None:
            self._paths = {reverse(name): name for name in [*FLOW_PAGES, "home"]}
        return self._paths

    def flow_for(self, request) -> str | None:
        name = self.paths().get(request.path_info)
        if name is None or getattr(request, "site", None) is None:
            return None
        if name != "home":
            return FLOW_PAGES[name]
        flows = enabled_flows(request.site)
        if len(flows) == 1:
            return LANDING_FLOWS[flows[0]]
        return StartRequest.Flow.KEY if "key" in flows else None

    def __call__(self, request):
        response = self.get_response(request)
        if request.META.get("REQUEST_METHOD") == "HEAD":  # uptime monitors (portal.middleware.HeadMiddleware)
            return response
        if getattr(response, "shows_no_flow", False):
            return response
        if request.method == "GET" and response.status_code == 200:
            kind = "views"
        elif request.method == "POST" and not getattr(response, "not_a_submission", False):
            kind = "submissions"
        else:
            return response
        flow = self.flow_for(request)
        if flow is not None:
            counters.count(kind=kind, site_id=request.site.pk, flow=flow)
        return response
