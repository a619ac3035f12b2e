from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("key/", views.session_key, name="session_key"),
    path("survey/", views.survey, name="survey"),
    path("reps/", views.reps, name="reps"),
    path("reps.json", views.reps_json, name="reps_json"),
    path("technicians/", views.technicians, name="technicians"),
    path("queued/", views.takecontrol_queued, name="takecontrol_queued"),
    path("theme.css", views.theme_css, name="theme_css"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path(settings.ADMIN_URL, admin.site.urls),  # DJANGO_ADMIN_URL
    path("api/v1/", include("portal.api")),
    path("button/", include("portal.button.urls")),  # the "get remote help" button's data
    # Uploaded logos. whitenoise serves no media, so the portal does, with cache headers;
    # behind a CDN or nginx, serve MEDIA_ROOT there instead.
    re_path(r"^media/(?P<path>logos/.+)$", views.media, name="media"),
]

handler400 = "portal.error_handlers.bad_request"
handler403 = "portal.error_handlers.forbidden"
handler404 = "portal.error_handlers.not_found"
handler500 = "portal.error_handlers.server_error"
