from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns
from portal.views.flows import SurveyView


def bare(request):
    """The yardstick: the least a Django view can do through the same middleware."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *portal_urlpatterns]


class SurveyFullRender(SurveyView):
    """The survey with compiled prefilled pages off: what a prefill link cost before
    (bench/prefilled_pages.py)."""

    def compiles_prefilled_page(self) -> bool:
        return False


urlpatterns.insert(1, path("bench/survey-full-render/", SurveyFullRender.as_view()))
