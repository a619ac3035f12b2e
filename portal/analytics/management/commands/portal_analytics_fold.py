from django.core.management.base import BaseCommand

from portal.analytics.services import fold_all


class Command(BaseCommand):
    help = (
        "Fold closed days' start records and the cache's page-view counters into the daily "
        "analytics tables (run hourly or daily; the dashboard also folds on every read)."
    )

    def handle(self, *args, **options):
        days, moved = fold_all()
        self.stdout.write(f"portal_analytics_fold: folded {days} day(s) and {moved} view(s)/submission(s).")
