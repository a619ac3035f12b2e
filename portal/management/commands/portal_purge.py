from django.core.management.base import BaseCommand

from portal.services import purge_old_start_requests
from portal.webhooks.services import purge_old_events


class Command(BaseCommand):
    help = "Delete start records and webhook events older than each site's retention period (run daily)."

    def handle(self, *args, **options):
        deleted = purge_old_start_requests()
        events = purge_old_events()
        self.stdout.write(f"portal_purge: deleted {deleted} start record(s) and {events} webhook event(s).")
