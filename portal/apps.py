from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Support portal")

    def ready(self):
        from portal import signals  # noqa: F401  (cache invalidation on admin changes)
        from portal.admin import security  # noqa: F401  (a log line per failed admin sign-in)
        from portal.tokens import connect_invalidation

        connect_invalidation()  # API token memo: revoked or changed means refused at once
