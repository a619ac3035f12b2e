from django.utils.translation import gettext_lazy as _

from portal.models import StartRequest


class CustomerRecord(StartRequest):
    """The start records that hold customer data, as the admin's privacy page lists them."""

    class Meta:
        proxy = True
        verbose_name = _("customer record")
        verbose_name_plural = _("customer records")
