from django.core.management.base import BaseCommand

from portal.webhooks.services import requeue_lost


class Command(BaseCommand):
    help = (
        "Puts webhook deliveries whose worker stopped mid-request back in the queue "
        "(run before starting the worker)."
    )

    def handle(self, *args, **options):
        count = requeue_lost()
        if count or options["verbosity"] > 1:
            self.stdout.write(f"{count} webhook deliveries put back in the queue.")
