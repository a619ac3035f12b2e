"""The portal's URLs with a cached view given extra keyword arguments by its route: the
page-cache middleware's table could not pass them on, so it resolves every GET
(tests/test_page_cache.py)."""

from django.urls import path

from portal import views
from portal.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401

urlpatterns = [path("help/", views.technicians, {"extra": "from the route"}), *urlpatterns]
