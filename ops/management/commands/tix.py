"""The operator console: ``manage.py tix <subcommand>``, each non-interactive, answering in plain text.

    tix availability EVENT                 per ticket type: capacity, reserved, sold, available,
                                           waitlisted, queued (tickets asked by queued requests)
    tix waitlist EVENT                     who waits, per ticket type in the order they are served
    tix enqueue EVENT --type T --quantity N --user EMAIL   queue a ticket request, as the API does
    tix process-queue [--once] [--interval S]   decide queued requests, as the worker does
    tix transactions [--last N]            the payments log, newest first
    tix checkin --staff EMAIL [--event ID] -- SECRET   check a ticket in, as the door does

EVENT is an event id or slug; T a ticket type id or name (of that event).
A refused check-in or enqueue exits with status 1 and the service's reason
(the words and code the API answers with), so a script can tell.
Subcommands call the same services and read the same rows as the API and
the admin.

``process-queue --once`` makes one allocation pass: every event with queued
requests (queue-mode events; one switched to direct sale since has its
requests rejected with that reason, as the tick does) is drained, VIP
first, and the command prints what was decided per event, then exits. Without ``--once`` it repeats that pass
every ``--interval`` seconds (default 5) until Ctrl-C (or SIGTERM), which
lets the pass in progress commit, prints the totals and exits 0: what an
operator expects of a worker started by hand, for a deployment whose
workers are down. The worker and the minute tick do the same job anyway,
so running it next to them is safe (``SKIP LOCKED``: nothing is decided
twice), only redundant.
"""

import signal
import threading
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from events.models import Event, TicketType
from ops.tables import format_table
from orders.models import Payment, TicketRequest, WaitlistEntry
from orders.services.queue import ticket_request_create, ticket_requests_process
from orders.services.waitlist import MAX_BIGINT
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
    ("queued", lambda t: t.queued),
]


class Command(BaseCommand):
    help = (
        "Operator console: availability, waitlist, enqueue, process-queue, transactions, checkin "
        "(see each subcommand's --help)."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

        availability = commands.add_parser("availability", help="Per ticket type: capacity, reserved, sold.")
        availability.add_argument("event", help="Event id or slug.")

        waitlist = commands.add_parser("waitlist", help="Waiting and offered entries, in serving order.")
        waitlist.add_argument("event", help="Event id or slug.")

        enqueue = commands.add_parser("enqueue", help="Queue a ticket request for a queue-mode event.")
        enqueue.add_argument("event", help="Event id or slug.")
        enqueue.add_argument("--type", required=True, dest="ticket_type", metavar="T", help="Id or name.")
        enqueue.add_argument("--quantity", required=True, type=int, metavar="N")
        enqueue.add_argument("--user", required=True, metavar="EMAIL", help="Whose request it is.")

        process = commands.add_parser("process-queue", help="Decide queued requests of queue-mode events.")
        process.add_argument("--once", action="store_true", help="One pass, then exit.")
        process.add_argument(
            "--interval", type=float, default=5.0, metavar="S", help="Seconds between passes (default 5)."
        )

        transactions = commands.add_parser("transactions", help="The payments log, newest first.")
        transactions.add_argument("--last", type=int, default=10, help="How many (default 10, at most 1000).")

        checkin = commands.add_parser("checkin", help="Check a ticket in by its secret (the QR code).")
        checkin.add_argument("secret", help="Put `--` before it: a secret may start with '-'.")
        checkin.add_argument("--staff", required=True, metavar="EMAIL", help="The staff member at the door.")
        checkin.add_argument("--event", type=int, metavar="ID", help="Refuse tickets of any other event.")

    def handle(self, *args, subcommand: str, **options):
        getattr(self, f"_{subcommand.replace('-', '_')}")(**options)

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

    def _enqueue(self, *, event: str, ticket_type: str, quantity: int, user: str, **_):
        found = _event(event)
        chosen = _ticket_type(found, ticket_type)
        customer = User.objects.filter(email__iexact=user.strip()).first()
        if customer is None or not customer.is_active:
            raise CommandError(f"{user} is not an active account.")
        try:
            request = ticket_request_create(user=customer, event_id=found.pk, items=[(chosen.pk, quantity)])
        except DomainError as refusal:
            raise CommandError(f"REFUSED ({refusal.code}): {refusal.detail}") from None
        self.stdout.write(
            f"QUEUED request {request.pk}: {quantity} x {chosen.name} for {customer.email}, "
            f"{found.title}, status {request.status}, position {request.position}"
        )

    def _process_queue(self, *, once: bool, interval: float, **_):
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        if once:
            self._process_pass()
            return
        stop = threading.Event()
        handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        total, passes = Counter(), 0
        self.stdout.write(f"Processing the queues every {interval:g}s; Ctrl-C stops.")
        try:
            while not stop.is_set():
                total.update(self._process_pass(quiet=True))
                passes += 1
                stop.wait(interval)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        self.stdout.write(
            f"Stopped after {passes} passes: {total['fulfilled']} fulfilled, {total['rejected']} rejected."
        )

    def _process_pass(self, *, quiet: bool = False) -> Counter:
        """Drain each event's queue through the service; print one line per event that had requests."""
        event_ids = (
            TicketRequest.objects.filter(status=TicketRequest.Status.QUEUED)
            .values_list("event_id", flat=True)
            .distinct()
            .order_by("event_id")
        )
        event_ids, total = list(event_ids), Counter()
        if not event_ids and not quiet:
            self.stdout.write("No queued requests.")
        for event_id in event_ids:
            decided = ticket_requests_process(event_id=event_id)
            total.update(fulfilled=decided.fulfilled, rejected=decided.rejected)
            title = Event.objects.filter(pk=event_id).values_list("title", flat=True).first()
            self.stdout.write(
                f"{title} (event {event_id}): {decided.fulfilled} fulfilled, {decided.rejected} rejected"
            )
        return total

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
    """The event's ticket types, each with ``waitlisted`` (waiting entries) and ``queued`` (tickets asked)."""
    waiting = Q(waitlist_entries__status=WaitlistEntry.Status.WAITING)
    types = list(
        TicketType.objects.filter(event=event)
        .annotate(waitlisted=Count("waitlist_entries", filter=waiting))
        .order_by("-priority", "id")
    )
    # A request's items are one JSON column (cheap intake), so they are summed here, not in SQL.
    queued = Counter()
    for items in TicketRequest.objects.filter(event=event, status=TicketRequest.Status.QUEUED).values_list(
        "items", flat=True
    ):
        for item in items:
            queued[int(item["ticket_type"])] += int(item["quantity"])
    for ticket_type in types:
        ticket_type.queued = queued[ticket_type.pk]
    return types


def _ticket_type(event: Event, reference: str) -> TicketType:
    """One of the event's ticket types, by id or by name (case-insensitive)."""
    types = TicketType.objects.filter(event=event)
    found = None
    if reference.isascii() and reference.isdigit() and int(reference) <= MAX_BIGINT:
        found = types.filter(pk=int(reference)).first()
    if found is None:
        named = list(types.filter(name__iexact=reference.strip())[:2])
        if len(named) > 1:
            raise CommandError(f"Two ticket types of {event.title} are named {reference!r}: give the id.")
        found = named[0] if named else None
    if found is None:
        raise CommandError(f"No ticket type {reference!r} for {event.title} (event {event.pk}).")
    return found


def _event(reference: str) -> Event:
    lookup = Q(slug=reference)
    if reference.isascii() and reference.isdigit():
        lookup |= Q(pk=int(reference))
    event = Event.objects.filter(lookup).first()
    if event is None:
        raise CommandError(f"No event with id or slug {reference!r}.")
    return event
