from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "portal.privacy"
    label = "privacy"
    verbose_name = _("Privacy requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal.privacy import holders, start_records

        holders.register(
            "start_records",
            export=start_records.export,
            erase=start_records.erase,
            describe=start_records.describe,
        )
