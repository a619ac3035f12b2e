from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as portal_urlpatterns
from portal.views.flows import SurveyView


def bare(request):
    """The yardstick: the least a Django view can do through the same middleware."""
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt  # as the start views are: they check the Origin themselves (portal/guards.py)
def bare_post(request):
    """The yardstick of a start: a form POST read and answered with a 303, nothing else."""
    response = HttpResponse(status=303)
    response["Location"] = "https://support.example.com/" if request.POST else "/"
    return response


urlpatterns = [path("bench/bare/", bare), path("bench/bare-post/", bare_post), *portal_urlpatterns]


class SurveyFullRender(SurveyView):
    """The survey with compiled prefilled pages off: what a prefill link cost before
    (bench/prefilled_pages.py)."""

    def compiles_prefilled_page(self) -> bool:
        return False


urlpatterns.insert(1, path("bench/survey-full-render/", SurveyFullRender.as_view()))
