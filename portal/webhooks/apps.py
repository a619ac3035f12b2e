from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "portal.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # What a privacy request finds and erases in this app (portal/privacy/).
        from portal.privacy import holders
        from portal.webhooks import privacy

        holders.register(
            "webhook_events", export=privacy.export, erase=privacy.erase, describe=privacy.describe
        )
