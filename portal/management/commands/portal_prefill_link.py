"""Print a signed prefill link for a site: its values are locked for the customer.

manage.py portal_prefill_link --site "Acme Support" --hours 24 external_key=INC0012345 name="Jane Doe"
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from portal import prefill
from portal.branding import site_origin
from portal.models import Site
from portal.prefill import sign_prefill
from portal.services import signed_link_problems


class Command(BaseCommand):
    help = "Print a signed, expiring prefill link (values locked) for a site."

    def add_arguments(self, parser):
        parser.add_argument(
            "values", nargs="+", help="name=value pairs, e.g. external_key=INC-1 cf_asset_tag=LT-4"
        )
        parser.add_argument("--site", help="site name or id (default: the default site)")
        parser.add_argument(
            "--flow",
            choices=list(prefill.LINK_PAGES),
            default="survey",
            help="the page the link opens (default survey); home is the landing page",
        )
        parser.add_argument("--hours", type=float, default=24.0, help="valid for this long (default 24)")
        parser.add_argument(
            "--base-url",
            help="e.g. https://support.example.com (default: the site's first hostname; without "
            "one the link is printed relative to the portal's address)",
        )

    def handle(self, *args, values, site, flow, hours, base_url, **options):
        queryset = Site.objects.all()
        if site:
            site_obj = (
                queryset.filter(pk=site).first() if site.isdigit() else queryset.filter(name=site).first()
            )
        else:
            site_obj = queryset.filter(is_default=True).first()
        if site_obj is None:
            raise CommandError("No such site.")
        if not prefill.LINK_TTL_MIN <= hours * 3600 <= prefill.LINK_TTL_MAX:
            raise CommandError("--hours: from one minute (0.0167) to 90 days (2160), as the API allows.")
        if not site_obj.prefill_secret:
            raise CommandError("Set the site's prefill link secret in admin (Sites > Advanced) first.")
        pairs = {}
        for item in values:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"Expected name=value, got {item!r}.")
            pairs[name] = value
        problems = signed_link_problems(site=site_obj, flow=flow, values=pairs)
        if problems:
            raise CommandError(
                "A signed value is locked for the customer, and the form would refuse these: "
                + "; ".join(f"{name}: {' '.join(messages)}" for name, messages in problems.items())
            )
        try:
            query = sign_prefill(
                secret=site_obj.prefill_secret, values=pairs, expires_at=int(time.time() + hours * 3600)
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        too_long = prefill.link_too_long(flow=flow, query=query)
        if too_long:
            raise CommandError(too_long)
        if not base_url:
            base_url = site_origin(site_obj) or ""
            if not base_url:  # the portal's address is not known here (a guessed one would be a dead link)
                self.stderr.write(
                    "The site has no hostname: the link below is relative to the portal's address "
                    "(--base-url prints a whole one)."
                )
        self.stdout.write(f"{base_url.rstrip('/')}{reverse(prefill.LINK_PAGES[flow])}?{query}")
