from django.core.management.base import BaseCommand

from portal.analytics.services import fold_closed_days
from portal.services import purge_old_start_requests
from portal.webhooks.services import purge_old_events


class Command(BaseCommand):
    help = "Delete start records and webhook events older than each site's retention period (run daily)."

    def handle(self, *args, **options):
        # The dashboard's daily counts outlive the records (docs/decisions/0080-analytics-daily-rollup.md).
        fold_closed_days()
        deleted = purge_old_start_requests()
        events = purge_old_events()
        self.stdout.write(f"portal_purge: deleted {deleted} start record(s) and {events} webhook event(s).")
