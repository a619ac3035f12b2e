"""The portal's URLs behind an optional regular-expression prefix: the page-cache middleware
cannot list its cached views by path here, so it resolves every GET (tests/test_page_cache.py)."""

from django.urls import include, re_path

from portal.urls import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = [re_path(r"^(?:help/)?", include("portal.urls"))]
