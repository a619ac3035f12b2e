from django.core.management.base import BaseCommand

from portal.analytics import tasks
from portal.analytics.services import fold_all


class Command(BaseCommand):
    help = (
        "Fold closed days' start records and the cache's page-view counters into the daily "
        "analytics tables. With --schedule (run at each worker start), also enqueue the "
        "worker's periodic fold unless one is waiting."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Enqueue the periodic fold task for the worker unless one is already waiting.",
        )

    def handle(self, *args, **options):
        days, moved = fold_all()
        scheduled = options["schedule"] and tasks.schedule_next()
        if options["verbosity"] > 0:
            self.stdout.write(
                f"portal_analytics_fold: folded {days} day(s) and {moved} view(s)/submission(s)"
                + ("; next fold enqueued." if scheduled else ".")
            )
