"""The portal's URLs plus one view that fails for real: a genuine server error for the tests
of the logging (tests/test_quiet_logs.py), without touching portal code."""

from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


class ServerBug(Exception):
    pass


def broken_view(request):
    raise ServerBug("the database said no")


urlpatterns = [
    path("test-only/broken/", broken_view),
    path("api/v1/test-only/broken/", broken_view),  # under the API's mount point
    *urlpatterns,
]
