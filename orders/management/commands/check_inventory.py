"""Compare ticket-type counters with the tickets, for operators and their alerts."""

from django.core.management.base import BaseCommand, CommandError

from events.models import TicketType
from orders.services.recount import Drift, inventory_recount

COLUMNS = ("Event", "Ticket type", "Counter", "Stored", "Actual", "Result")


def _result(drift: Drift, *, fixing: bool) -> str:
    if drift.fixed:
        return "fixed"
    outcome = "NOT FIXED" if fixing else "drift"
    return f"{outcome}: {drift.error}" if drift.error else outcome


def _counters(drifts: list[Drift]) -> str:
    types = len({d.ticket_type_id for d in drifts})
    return f"{len(drifts)} counter{'s' * (len(drifts) != 1)} of {types} ticket type{'s' * (types != 1)}"


def format_table(drifts: list[Drift], *, fixing: bool) -> list[str]:
    """The drift as aligned text columns, numbers to the right."""
    rows = [COLUMNS] + [
        (d.event, d.ticket_type, d.counter, str(d.stored), str(d.actual), _result(d, fixing=fixing))
        for d in drifts
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    numeric = {3, 4}

    def line(row):
        cells = [
            cell.rjust(width) if column in numeric else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    return [line(rows[0]), "  ".join("-" * width for width in widths), *(line(row) for row in rows[1:])]


class Command(BaseCommand):
    help = (
        "Recount every ticket type's reserved_count and sold_count from its tickets and report "
        "drift; --fix repairs it. Exits with status 1 while drift remains."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Set drifting counters to the recount (refused where the tickets exceed capacity).",
        )

    def handle(self, *args, fix=False, **options):
        drifts = inventory_recount(fix=fix)
        if not drifts:
            self.stdout.write(f"No drift: {TicketType.objects.count()} ticket types checked.")
            return
        for text in format_table(drifts, fixing=fix):
            self.stdout.write(text)
        self.stdout.write("")
        fixed = [d for d in drifts if d.fixed]
        remaining = [d for d in drifts if not d.fixed]
        if fixed:
            self.stdout.write(self.style.SUCCESS(f"Fixed {_counters(fixed)}."))
        if remaining and fix:
            raise CommandError(f"Could not fix {_counters(remaining)}: see the table.", returncode=1)
        if remaining:
            raise CommandError(f"Drift in {_counters(remaining)}; run with --fix to repair.", returncode=1)
