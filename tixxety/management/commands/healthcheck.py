from django.core.management.base import BaseCommand, CommandError

from tixxety.health import failing, run_checks, verdict


class Command(BaseCommand):
    help = "Run /healthz's checks (dependencies, static files, expiry sweep); exit 1 when one fails."

    def handle(self, *args, **options):
        results = run_checks()
        for name, result in results.items():
            self.stdout.write(f"{name}: {result}")
        if down := failing(results):
            label = "Degraded" if verdict(down) == "degraded" else "Unavailable"
            raise CommandError(f"{label}: {', '.join(down)}")
