from django.core.management.base import BaseCommand

from portal.services import purge_old_start_requests


class Command(BaseCommand):
    help = "Delete start records older than each site's retention period (run daily)."

    def handle(self, *args, **options):
        deleted = purge_old_start_requests()
        self.stdout.write(f"portal_purge: deleted {deleted} start record(s).")
