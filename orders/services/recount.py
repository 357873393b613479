"""Recount ticket-type counters from the tickets themselves, and repair drift.

``reserved_count`` must equal the type's reserved tickets and ``sold_count``
its valid ones; the services keep them so in the same transaction as the
tickets. This is the check behind ``manage.py check_inventory`` for when
something went around them (a manual UPDATE, a restored backup, a bug).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q

from events.models import TicketType
from orders.signals import counters_repaired
from tickets.models import Ticket

COUNTERS = (("reserved_count", Ticket.Status.RESERVED), ("sold_count", Ticket.Status.VALID))


@dataclass(frozen=True)
class Drift:
    """One counter of one ticket type that disagrees with its tickets."""

    ticket_type_id: int
    event: str
    ticket_type: str
    counter: str
    stored: int
    actual: int
    fixed: bool = False
    error: str = ""


def _capacity_error(capacity: int, actual: dict[str, int]) -> str:
    booked = sum(actual.values())
    if booked <= capacity:
        return ""
    return f"tickets exceed capacity: {booked} reserved and sold > {capacity}"


def _drifts(row: dict, actual: dict[str, int], **outcome) -> list[Drift]:
    return [
        Drift(
            ticket_type_id=row["pk"],
            event=row["event__title"],
            ticket_type=row["name"],
            counter=counter,
            stored=row[counter],
            actual=actual[counter],
            **outcome,
        )
        for counter, _ in COUNTERS
        if row[counter] != actual[counter]
    ]


def inventory_recount(*, fix: bool) -> list[Drift]:
    """Compare every ticket type's counters with its tickets; with ``fix``, repair them.

    The comparison is one aggregate query. To fix, the drifting ticket types
    are locked in id order and recounted under the lock (a booking may have
    moved both counter and tickets since the first look), then set to the
    recount, all in one transaction. A type whose tickets alone exceed its
    capacity is not touched: the check constraint would refuse the UPDATE,
    and it needs a person, so its drift comes back with ``error`` set.
    Returns the drift found (under the lock, when fixing), by event and type.
    """
    recounts = {
        f"actual_{counter}": Count("tickets", filter=Q(tickets__status=status))
        for counter, status in COUNTERS
    }
    rows = (
        TicketType.objects.values("pk", "name", "event__title", "capacity", "reserved_count", "sold_count")
        .annotate(**recounts)
        .order_by("event_id", "pk")
    )
    drifting = {}
    for row in rows:
        actual = {counter: row[f"actual_{counter}"] for counter, _ in COUNTERS}
        if any(row[counter] != actual[counter] for counter, _ in COUNTERS):
            drifting[row["pk"]] = (row, actual)
    if not fix:
        return [
            drift
            for row, actual in drifting.values()
            for drift in _drifts(row, actual, error=_capacity_error(row["capacity"], actual))
        ]
    return _repair(drifting) if drifting else []


@transaction.atomic
def _repair(drifting: dict[int, tuple[dict, dict]]) -> list[Drift]:
    # Id order, as every service locks ticket types, so no deadlock with a booking.
    locked = list(
        TicketType.objects.select_for_update()
        .filter(pk__in=drifting)
        .order_by("pk")
        .values("pk", "capacity", "reserved_count", "sold_count")
    )
    # Under the lock no service can move these counters, and a booking that
    # already inserted tickets but not yet counted them is not committed: its
    # tickets are invisible here and its increment lands on the recount.
    counts = {
        row["ticket_type"]: row
        for row in Ticket.objects.filter(ticket_type__in=drifting)
        .values("ticket_type")
        .annotate(**{counter: Count("pk", filter=Q(status=status)) for counter, status in COUNTERS})
        .order_by()
    }
    found = []
    for current in locked:
        first_look, _ = drifting[current["pk"]]
        row = {**first_look, **current}
        actual = {counter: counts.get(row["pk"], {}).get(counter, 0) for counter, _ in COUNTERS}
        if all(row[counter] == actual[counter] for counter, _ in COUNTERS):
            continue  # repaired meanwhile
        error = _capacity_error(row["capacity"], actual)
        if not error:
            # Absolute values, not F() increments: they come from the tickets
            # counted under the lock. The stored values in the filter make it
            # a no-op, reported, on a database whose locks are advisory.
            updated = TicketType.objects.filter(
                pk=row["pk"], **{counter: row[counter] for counter, _ in COUNTERS}
            ).update(**actual)
            if not updated:
                error = "changed while fixing; run again"
        found += _drifts(row, actual, fixed=not error, error=error)
    repaired = sorted({drift.ticket_type_id for drift in found if drift.fixed})
    if repaired:
        counters_repaired.send_on_commit(sender=TicketType, ticket_type_ids=repaired)
    position = {pk: index for index, pk in enumerate(drifting)}
    found.sort(key=lambda drift: position[drift.ticket_type_id])
    return found
