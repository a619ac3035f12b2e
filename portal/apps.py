from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Support portal")

    def ready(self):
        # Cache invalidation on admin changes, API tokens included (revoked means refused at once).
        from portal import checks, signals  # noqa: F401  (checks: registered on import)
        from portal.admin import security  # noqa: F401  (a log line per failed admin sign-in)
