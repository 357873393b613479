from django.conf import settings
from django.core.management.commands.runserver import Command as RunserverCommand

from tixxety.jobs import start_inprocess_jobs, uses_inprocess_broker


class Command(RunserverCommand):
    help = (
        "Development server. In zero-setup mode (no REDIS_URL) it also runs a Dramatiq "
        "worker and the periodic scheduler in-process; otherwise start `rundramatiq` and `crontab`."
    )
    default_port = str(settings.PORT)

    def inner_run(self, *args, **options):
        # inner_run is the process that serves requests (the autoreloader's child).
        if uses_inprocess_broker():
            start_inprocess_jobs()
            self.stdout.write("Background jobs: in-process worker and scheduler (development only).")
        else:
            self.stdout.write("Background jobs: Redis broker; run `rundramatiq` and `crontab` alongside.")
        super().inner_run(*args, **options)
