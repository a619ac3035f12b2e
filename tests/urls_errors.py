"""The portal's URLs plus views that fail for real: a genuine server error for the tests of
the logging (tests/test_quiet_logs.py), and a refusal (PermissionDenied) for those of the 403
page (tests/test_error_pages.py), without touching portal code."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


class ServerBug(Exception):
    pass


def broken_view(request):
    raise ServerBug("the database said no")


def refusing_view(request):
    raise PermissionDenied


urlpatterns = [
    path("test-only/broken/", broken_view),
    path("test-only/forbidden/", refusing_view),
    path("api/v1/test-only/broken/", broken_view),  # under the API's mount point
    *urlpatterns,
]
