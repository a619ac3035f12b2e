from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal import guards
from portal.models import StartRequest
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


@csrf_exempt
def bare_start(request):
    """The yardstick of a start with the two writes every start makes: the form POST read,
    the client's rate-limit counter raised (portal/guards.py) and one start record inserted
    (portal/models.py), answered with a 303, nothing else. What any view costs that counts its
    client and commits a record before it answers; a real start adds the form, its checks and
    the vendor URL to it."""
    if guards.rate_limited(request, scope="bench"):
        return HttpResponse(status=429)
    StartRequest.objects.insert(
        site_id=request.site.pk,
        flow=StartRequest.Flow.KEY,
        backend_kind=request.site.backend.kind,
        outcome=StartRequest.Outcome.STARTED,
        locale=request.POST.get("locale", ""),
    )
    response = HttpResponse(status=303)
    response["Location"] = "https://support.example.com/"
    return response


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/bare-post/", bare_post),
    path("bench/bare-start/", bare_start),
    *portal_urlpatterns,
]


class SurveyFullRender(SurveyView):
    """The survey with compiled prefilled pages off: what a prefill link cost before
    (bench/prefilled_pages.py)."""

    def compiles_prefilled_page(self) -> bool:
        return False


urlpatterns.insert(1, path("bench/survey-full-render/", SurveyFullRender.as_view()))
