"""The operator console: ``manage.py tix <subcommand>``, each non-interactive, answering in plain text.

    tix availability EVENT                 per ticket type: capacity, reserved, sold, available, waitlisted
    tix waitlist EVENT                     who waits, per ticket type in the order they are served
    tix transactions [--last N]            the payments log, newest first
    tix checkin --staff EMAIL [--event ID] -- SECRET   check a ticket in, as the door does

EVENT is an event id or slug. A refused check-in exits with status 1 and
the reason, so a script can tell. Subcommands call the same services and
read the same rows as the API and the admin.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from events.models import Event, TicketType
from ops.tables import format_table
from orders.models import Payment, WaitlistEntry
from tickets import services as tickets
from tixxety.exceptions import DomainError

# The availability table's columns: (header, value for a ticket type annotated by ``_ticket_types``).
AVAILABILITY_COLUMNS = [
    ("type", lambda t: t.name),
    ("capacity", lambda t: t.capacity),
    ("reserved", lambda t: t.reserved_count),
    ("sold", lambda t: t.sold_count),
    ("available", lambda t: t.available),
    ("waitlisted", lambda t: t.waitlisted),
]


class Command(BaseCommand):
    help = "Operator console: availability, transactions, checkin (see each subcommand's --help)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        availability = commands.add_parser("availability", help="Per ticket type: capacity, reserved, sold.")
        availability.add_argument("event", help="Event id or slug.")

        waitlist = commands.add_parser("waitlist", help="Waiting and offered entries, in serving order.")
        waitlist.add_argument("event", help="Event id or slug.")

        transactions = commands.add_parser("transactions", help="The payments log, newest first.")
        transactions.add_argument("--last", type=int, default=10, help="How many (default 10, at most 1000).")

        checkin = commands.add_parser("checkin", help="Check a ticket in by its secret (the QR code).")
        checkin.add_argument("secret", help="Put `--` before it: a secret may start with '-'.")
        checkin.add_argument("--staff", required=True, metavar="EMAIL", help="The staff member at the door.")
        checkin.add_argument("--event", type=int, metavar="ID", help="Refuse tickets of any other event.")

    def handle(self, *args, subcommand: str, **options):
        getattr(self, f"_{subcommand}")(**options)

    def _availability(self, *, event: str, **_):
        found = _event(event)
        types = _ticket_types(found)
        rows = [[value(ticket_type) for _, value in AVAILABILITY_COLUMNS] for ticket_type in types]
        self.stdout.write(f"{found.title} (event {found.pk}, {found.get_status_display().lower()})")
        if not rows:
            self.stdout.write("No ticket types.")
            return
        self.stdout.write(format_table([header for header, _ in AVAILABILITY_COLUMNS], rows))

    def _waitlist(self, *, event: str, **_):
        found = _event(event)
        entries = (
            WaitlistEntry.objects.filter(ticket_type__event=found, status__in=WaitlistEntry.ACTIVE_STATUSES)
            .select_related("ticket_type", "user", "order")
            .order_by("-ticket_type__priority", "ticket_type_id", "created_at", "id")
        )
        rows, position = [], {}
        for entry in entries:
            waiting = entry.status == WaitlistEntry.Status.WAITING
            if waiting:
                position[entry.ticket_type_id] = position.get(entry.ticket_type_id, 0) + 1
            rows.append([
                entry.ticket_type.name,
                position[entry.ticket_type_id] if waiting else "-",
                entry.user.email,
                entry.quantity,
                entry.status,
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.order.code if entry.order else "-",
            ])  # fmt: skip
        self.stdout.write(f"{found.title} (event {found.pk}): waitlist")
        if not rows:
            self.stdout.write("Nobody is waiting.")
            return
        headers = ["type", "position", "user", "quantity", "status", "since", "order"]
        self.stdout.write(format_table(headers, rows))

    def _transactions(self, *, last: int, **_):
        if not 1 <= last <= 1000:
            raise CommandError("--last must be between 1 and 1000.")
        payments = Payment.objects.select_related("order").order_by("-created_at", "-id")[:last]
        rows = [
            [
                timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                p.order.code,
                p.kind,
                p.amount,
                p.currency,
                p.status,
                p.provider,
            ]
            for p in payments
        ]
        if not rows:
            self.stdout.write("No payments yet.")
            return
        headers = ["time", "order", "kind", "amount", "currency", "status", "provider"]
        self.stdout.write(format_table(headers, rows))

    def _checkin(self, *, secret: str, staff: str, event: int | None, **_):
        by = User.objects.filter(email__iexact=staff.strip()).first()
        if by is None or not by.is_active or not by.is_staff_member:
            raise CommandError(f"{staff} is not an active staff account.")
        try:
            ticket = tickets.ticket_check_in(secret=secret, by=by, event_id=event)
        except DomainError as refusal:
            raise CommandError(f"REFUSED ({refusal.code}): {refusal.detail}") from None
        seat = f", seat {ticket.seat.label}" if ticket.seat else ""
        holder = f", {ticket.holder_name}" if ticket.holder_name else ""
        self.stdout.write(
            f"CHECKED IN ticket {ticket.pk}: {ticket.ticket_type.name}{seat}{holder}, "
            f"{ticket.order.event.title}, order {ticket.order.code}"
        )


def _ticket_types(event: Event) -> list[TicketType]:
    waiting = Q(waitlist_entries__status=WaitlistEntry.Status.WAITING)
    return list(
        TicketType.objects.filter(event=event)
        .annotate(waitlisted=Count("waitlist_entries", filter=waiting))
        .order_by("-priority", "id")
    )


def _event(reference: str) -> Event:
    lookup = Q(slug=reference)
    if reference.isascii() and reference.isdigit():
        lookup |= Q(pk=int(reference))
    event = Event.objects.filter(lookup).first()
    if event is None:
        raise CommandError(f"No event with id or slug {reference!r}.")
    return event
