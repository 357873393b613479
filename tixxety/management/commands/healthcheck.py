from django.core.management.base import BaseCommand, CommandError

from tixxety.health import failing, run_checks


class Command(BaseCommand):
    help = "Check the database, cache and broker like /healthz; exit 1 when one is down."

    def handle(self, *args, **options):
        results = run_checks()
        for name, result in results.items():
            self.stdout.write(f"{name}: {result}")
        if down := failing(results):
            raise CommandError(f"Unavailable: {', '.join(down)}")
