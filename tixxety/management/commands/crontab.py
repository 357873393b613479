"""``manage.py crontab``: dramatiq-crontab's scheduler, made to survive losing its lock.

This command replaces the library's command of the same name (``tixxety`` is
listed before ``dramatiq_crontab`` in INSTALLED_APPS, the way staticfiles
replaces ``runserver``), so every way of starting the scheduler gets it.
The library's version exits with status 0 when its Redis lock key vanishes;
this one takes the lock back (see ``tixxety.scheduling``), waits as a standby
while another scheduler holds it, and exits non-zero only when the scheduler
itself stopped unexpectedly, so a supervisor restarts it.
"""

import signal
import time

from django.conf import settings
from django.core.management.base import CommandError
from dramatiq_crontab import conf, scheduler
from dramatiq_crontab.management.commands.crontab import Command as CrontabCommand
from dramatiq_crontab.management.commands.crontab import kill_softly

from tixxety.heartbeat import SWEEP, expect_runs
from tixxety.scheduling import LockKeeper, scheduler_lock


class Command(CrontabCommand):
    help = "Run the periodic scheduler; one process holds the Redis lock, others wait as standbys."

    def handle(self, *args, **options):
        if not settings.DRAMATIQ_CRONTAB.get("REDIS_URL"):
            # No Redis, no lock to keep: the library's command runs as it is.
            return super().handle(*args, **options)
        self.load_jobs(options)
        for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, kill_softly)
        lock_settings = conf.get_settings()
        keeper = LockKeeper(
            scheduler,
            scheduler_lock(settings.DRAMATIQ_CRONTAB["REDIS_URL"], timeout=lock_settings.LOCK_TIMEOUT),
            on_acquired=lambda: expect_runs(SWEEP),
        )
        try:
            self.stdout.write("Acquiring lock…")
            if not keeper.try_acquire():
                self.stdout.write("Another scheduler holds the lock: waiting as a standby.")
                while not keeper.try_acquire():
                    time.sleep(lock_settings.LOCK_REFRESH_INTERVAL)
            keeper.schedule(every_seconds=lock_settings.LOCK_REFRESH_INTERVAL)
            self.stdout.write(self.style.SUCCESS("Starting scheduler…"))
            scheduler.start()
        except KeyboardInterrupt as stop:
            self.stdout.write(self.style.WARNING(str(stop)))
            self.stdout.write(self.style.NOTICE("Shutting down scheduler…"))
            if scheduler.running:
                scheduler.shutdown()
            return
        finally:
            keeper.release()
        raise CommandError("The scheduler stopped unexpectedly.")

    def load_jobs(self, options):
        """Register the periodic jobs as the library's command does."""
        if not options["no_task_loading"]:
            self.load_tasks(options)
        if not options["no_heartbeat"]:
            import dramatiq_crontab.tasks  # noqa: F401  (registers the library's heartbeat job)

            self.stdout.write("Scheduling heartbeat.")
