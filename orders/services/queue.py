"""The priority purchase queue (DESIGN.md flow 6): intake, and allocation in batches.

Intake (``ticket_request_create``) checks the request against the sale it
reads in one query and inserts one row: no inventory lock, so an on-sale
takes requests far faster than direct booking can reserve them.

Allocation (``ticket_requests_process``) decides a batch of requests in one
transaction: it locks the event's ticket types in id order, takes the next
queued requests in queue order (``-priority, id``: VIP first, then arrival)
with ``FOR UPDATE SKIP LOCKED``, decides each in memory against what is
left (all or nothing per request), then writes the batch at once: one
INSERT each for the orders, lines and tickets (columns as arrays), one
counter UPDATE per ticket type, one UPDATE for the fulfilled requests.
The ticket types are locked before the requests are taken (DESIGN.md
lists them the other way round): two workers on one event then decide
their batches one after the other, each after the other's commit, so the
second never takes a ticket that an earlier request of the first batch
fitted. They would wait on that lock anyway. The status filter
re-read under ``SKIP LOCKED`` means no request is decided twice or skipped.

Processing is started on enqueue, debounced: the first request of a burst
sets a short-lived cache key (``SET NX``) and sends one message; the actor
drains the event's queue, then clears the key and looks once more, so a
request that arrived meanwhile is either seen or sends a new message. The
minute tick (``ticket_requests_process_task`` via cron) serves whatever a
lost message left.
"""

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from events.models import Event, TicketType
from orders.models import Order, OrderLine, TicketRequest, new_order_codes
from orders.selectors import ticket_request_position
from orders.services import reservation_sql
from orders.services.limits import check_order_limits, check_quantity
from orders.services.reservation import hold_seconds
from orders.signals import orders_reserved
from orders.tasks import orders_expire_task, ticket_requests_process_task
from tickets.services import tickets_issue_many
from tixxety import fast_insert
from tixxety.business_metrics import QUEUE_REQUESTS
from tixxety.exceptions import Conflict, DomainError, NotFound, NotOnSale
from tixxety.fast_insert import POSTGRESQL_MAX_PARAMS
from tixxety.jobs import run_after_commit, send_on_commit

logger = logging.getLogger(__name__)

# Requests decided per transaction; bench/queue_sale.py measured the choice.
DEFAULT_BATCH = 2000
# How long one enqueue message stands for every request of a burst.
KICK_WINDOW_SECONDS = 5


class Decided(NamedTuple):
    fulfilled: int = 0
    rejected: int = 0

    def __add__(self, other):
        return Decided(self.fulfilled + other.fulfilled, self.rejected + other.rejected)


def ticket_request_create(*, user: User, event_id: int, items: Iterable[tuple[int, int]]) -> TicketRequest:
    """Queue a request for ``items`` (ticket type id, quantity) of a queue-mode event.

    Raises NotFound (event or ticket type), NotOnSale (not published, over,
    or sold directly: ``direct_sale``), DomainError (quantities, limits,
    seated types) and Conflict ``already_queued`` when the user has a
    queued request for this event already. Processing is started on commit.
    """
    quantities = Counter()
    for ticket_type_id, quantity in items:
        check_quantity(quantity)
        quantities[ticket_type_id] += quantity
    if not quantities:
        raise DomainError("Choose at least one ticket.", code="empty_order")
    event_types = reservation_sql.select_ticket_types(event_id)
    event = (
        next(iter(event_types.values())).event if event_types else Event.objects.filter(pk=event_id).first()
    )
    if event is None:
        raise NotFound("Event not found")
    _check_queue_open(event)
    if missing := sorted(set(quantities) - set(event_types)):
        raise NotFound(
            f"Ticket type {', '.join(map(str, missing))} not found for this event.",
            code="ticket_type_not_found",
        )
    ticket_types = {pk: event_types[pk] for pk in quantities}
    check_order_limits(ticket_types, quantities)
    for ticket_type in ticket_types.values():
        if ticket_type.seated:
            raise DomainError(
                f"'{ticket_type.name}' is sold by seat, which the queue does not allocate.",
                code="seats_required",
            )
    request = TicketRequest(
        user=user,
        event=event,
        items=[{"ticket_type": pk, "quantity": n} for pk, n in sorted(quantities.items())],
        priority=max(ticket_type.priority for ticket_type in ticket_types.values()),
    )
    try:
        # One statement needs no transaction of its own; inside one (``@idempotent``) a savepoint.
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            request.position = _insert_with_position(request)
    except IntegrityError:  # the partial unique constraint: one queued request per user and event
        raise Conflict("You already have a queued request for this event.", code="already_queued") from None
    run_after_commit(lambda: _kick(event.pk), what="kick the ticket queue")
    return request


def _insert_with_position(request: TicketRequest) -> int:
    """INSERT the request and return its position: on PostgreSQL in one statement.

    The count runs in the INSERT's snapshot (it does not see the new row,
    which is never ahead of itself); one round trip and no ORM query to
    compile on the hottest path of an on-sale. Elsewhere: the insert, then
    ``ticket_request_position``.
    """
    if connection.vendor != "postgresql":
        fast_insert.insert([request])
        return ticket_request_position(request)
    table = fast_insert.quoted_table(TicketRequest)
    insert_sql, fields = fast_insert.insert_sql(TicketRequest, 1)
    sql = (
        f"WITH new AS ({insert_sql}, priority) "  # noqa: S608
        f"SELECT new.id, (SELECT count(*) FROM {table} q WHERE q.event_id = %s "
        "AND q.status = %s AND (q.priority > new.priority OR (q.priority = new.priority AND q.id < new.id))) "
        "FROM new"
    )
    params = [field.get_db_prep_save(field.pre_save(request, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, request.event_id, TicketRequest.Status.QUEUED.value])
        request.pk, position = cursor.fetchone()
    request._state.adding = False
    request._state.db = connection.alias
    return position


def _check_queue_open(event: Event) -> None:
    if event.status != Event.Status.PUBLISHED or event.ends_at <= timezone.now():
        raise NotOnSale()
    if event.sale_mode != Event.SaleMode.QUEUE:
        raise NotOnSale("This event sells directly: book tickets instead.", code="direct_sale")


def _kick_key(event_id: int) -> str:
    return f"ticket-queue:kick:{event_id}"


def _kick(event_id: int) -> None:
    """Send one processing message per burst: only the enqueue that sets the key sends."""
    if cache.add(_kick_key(event_id), 1, timeout=KICK_WINDOW_SECONDS):
        ticket_requests_process_task.send(event_id)


def ticket_requests_drain(*, event_id: int, batch: int = DEFAULT_BATCH) -> Decided:
    """What the enqueue message runs: process the event's queue until it is empty.

    Then the kick key is cleared and the queue read once more: a request
    committed before the key went is seen here, one committed after it sends
    its own message.
    """
    decided = ticket_requests_process(event_id=event_id, batch=batch)
    try:
        cache.delete(_kick_key(event_id))
    except Exception as error:  # the key then lapses on its own; the tick serves the rest
        logger.warning("ticket queue: could not clear the kick key: %s: %s", type(error).__name__, error)
    return decided + ticket_requests_process(event_id=event_id, batch=batch)


def ticket_requests_process(*, event_id: int | None = None, batch: int = DEFAULT_BATCH) -> Decided:
    """Decide queued requests, ``batch`` per transaction, until none is left (of one event, or all)."""
    if event_id is None:
        event_ids = sorted(
            set(
                TicketRequest.objects.filter(status=TicketRequest.Status.QUEUED).values_list(
                    "event_id", flat=True
                )
            )
        )
    else:
        event_ids = [event_id]
    decided = Decided()
    for pk in event_ids:
        while True:
            step = _process_batch(pk, batch)  # committed: count its outcomes
            if step == Decided():
                break
            QUEUE_REQUESTS.labels(outcome="fulfilled").inc(step.fulfilled)
            QUEUE_REQUESTS.labels(outcome="rejected").inc(step.rejected)
            decided += step
    return decided


class _Fulfilment(NamedTuple):
    request_id: int
    user_id: int
    holder_name: str
    quantities: dict[int, int]


def _process_batch(event_id: int, batch: int) -> Decided:
    with transaction.atomic():
        ticket_types = {
            ticket_type.pk: ticket_type
            for ticket_type in TicketType.objects.select_for_update().filter(event_id=event_id).order_by("pk")
        }
        requests = list(
            TicketRequest.objects.filter(event_id=event_id, status=TicketRequest.Status.QUEUED)
            .order_by("-priority", "id")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", "user_id", "user__name", "items")[:batch]
        )
        if not requests:
            return Decided()
        event = Event.objects.get(pk=event_id)
        now = timezone.now()
        closed = _closed_reason(event, now)
        available = {pk: ticket_type.available for pk, ticket_type in ticket_types.items()}
        fulfilments, rejections = [], {}
        for request_id, user_id, holder_name, items in requests:
            quantities = {int(item["ticket_type"]): int(item["quantity"]) for item in items}
            reason = closed or _shortfall(quantities, available, ticket_types)
            if reason:
                rejections[request_id] = reason
                continue
            for pk, quantity in quantities.items():
                available[pk] -= quantity
            fulfilments.append(_Fulfilment(request_id, user_id, holder_name, quantities))
        order_ids = _reserve(event, ticket_types, fulfilments, now)
        _record(fulfilments, order_ids, rejections, now)
    return Decided(len(fulfilments), len(rejections))


def _closed_reason(event: Event, now: datetime) -> str:
    """Why nothing of this event can be allocated now, or ''."""
    if event.status == Event.Status.DEACTIVATED:
        return "Event deactivated"
    if event.status == Event.Status.CANCELLED:
        return "Event cancelled"
    if event.status != Event.Status.PUBLISHED:
        return "Event is not on sale"
    if event.ends_at <= now:
        return "Event is over"
    if event.sale_mode != Event.SaleMode.QUEUE:
        return "The event no longer sells through the queue"
    return ""


def _shortfall(quantities: dict[int, int], available: dict[int, int], ticket_types: dict) -> str:
    """Why the request does not fit what is left, or '' when it does (all or nothing)."""
    for pk, quantity in sorted(quantities.items()):
        if pk not in ticket_types:
            return "Ticket type no longer on sale"
        if available[pk] >= quantity:
            continue
        if available[pk] > 0:
            return f"Only {available[pk]} '{ticket_types[pk].name}' tickets left"
        if any(left > 0 for left in available.values()):
            return f"'{ticket_types[pk].name}' is sold out"
        return "Event is sold out"
    return ""


def _reserve(event: Event, ticket_types: dict, fulfilments: list[_Fulfilment], now: datetime) -> list[int]:
    """Insert the batch's reserved orders, lines and tickets, take the tickets off sale; the order ids.

    One INSERT per table for the whole batch, its columns built directly:
    a model instance per order, line and ticket cost more than PostgreSQL's
    work on them. The ids come back matched by code (unique), as RETURNING
    promises no order.
    """
    if not fulfilments:
        return []
    hold = hold_seconds(event)
    codes = new_order_codes(len(fulfilments))
    returned = dict(
        fast_insert.insert_columns(
            Order,
            {
                "code": codes,
                "user_id": [fulfilment.user_id for fulfilment in fulfilments],
                "total": [
                    sum(ticket_types[pk].price * n for pk, n in fulfilment.quantities.items())
                    for fulfilment in fulfilments
                ],
                "currency": [
                    ticket_types[next(iter(fulfilment.quantities))].currency for fulfilment in fulfilments
                ],
                "event_id": event.pk,
                "status": Order.Status.RESERVED.value,
                "source": Order.Source.QUEUE.value,
                "expires_at": now + timedelta(seconds=hold),
                "created_at": now,
                "updated_at": now,
            },
            returning=("code", "id"),
        )
    )
    order_ids = [returned[code] for code in codes]
    lines = [
        (order_id, pk, n)
        for order_id, fulfilment in zip(order_ids, fulfilments, strict=True)
        for pk, n in sorted(fulfilment.quantities.items())
    ]
    fast_insert.insert_columns(
        OrderLine,
        {
            "order_id": [order_id for order_id, _, _ in lines],
            "ticket_type_id": [pk for _, pk, _ in lines],
            "quantity": [n for _, _, n in lines],
            "unit_price": [ticket_types[pk].price for _, pk, _ in lines],
        },
    )
    tickets_issue_many(
        orders=[
            (order_id, fulfilment.quantities, fulfilment.holder_name)
            for order_id, fulfilment in zip(order_ids, fulfilments, strict=True)
        ]
    )
    taken = Counter()
    for fulfilment in fulfilments:
        taken.update(fulfilment.quantities)
    for pk in sorted(taken):  # the rows are locked: the check constraint is the only guard needed
        TicketType.objects.filter(pk=pk).update(reserved_count=F("reserved_count") + taken[pk])
    send_on_commit(orders_expire_task, order_ids, delay_ms=hold * 1000)
    orders_reserved.send_on_commit(sender=Order, order_ids=order_ids, ticket_type_ids=sorted(taken))
    return order_ids


def _record(fulfilments: list[_Fulfilment], order_ids: list[int], rejections: dict[int, str], now) -> None:
    """Write each request's outcome: its order, or why it was rejected."""
    pairs = [(fulfilment.request_id, pk) for fulfilment, pk in zip(fulfilments, order_ids, strict=True)]
    if connection.vendor == "postgresql":
        _set_orders_unnest(pairs, now)
    else:
        per_statement = ((connection.features.max_query_params or POSTGRESQL_MAX_PARAMS) - 2) // 3
        for start in range(0, len(pairs), per_statement):
            _set_orders_case(pairs[start : start + per_statement], now)
    by_reason = {}
    for request_id, reason in rejections.items():
        by_reason.setdefault(reason, []).append(request_id)
    for reason, request_ids in by_reason.items():
        TicketRequest.objects.filter(pk__in=request_ids).update(
            status=TicketRequest.Status.REJECTED, reason=reason, decided_at=now
        )


def _set_orders_unnest(pairs: list[tuple[int, int]], now: datetime) -> None:
    """Mark requests fulfilled by their orders, ``pairs`` of (request id, order id): PostgreSQL's UPDATE.

    The pairs go in as two arrays joined to the table: a CASE of a
    thousand branches is tested branch by branch for every row (quadratic;
    3x this statement's time in one profile of 6,000 requests), and psycopg
    re-parsed its thousands of placeholders on every batch.
    """
    if not pairs:
        return
    table = fast_insert.quoted_table(TicketRequest)
    sql = (
        f"UPDATE {table} SET status = %s, decided_at = %s, order_id = v.order_id "  # noqa: S608
        f"FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, order_id) WHERE {table}.id = v.id"
    )
    request_ids, order_ids = zip(*pairs, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, [TicketRequest.Status.FULFILLED.value, now, list(request_ids), list(order_ids)])


def _set_orders_case(pairs: list[tuple[int, int]], now: datetime) -> None:
    """The same on databases without arrays (SQLite, zero-setup mode), in one UPDATE.

    What ``bulk_update`` writes (a CASE on the id), without compiling a
    query per row.
    """
    table = fast_insert.quoted_table(TicketRequest)
    cases = " ".join(["WHEN %s THEN %s"] * len(pairs))
    ids = ", ".join(["%s"] * len(pairs))
    sql = (
        f"UPDATE {table} SET status = %s, decided_at = %s, order_id = CASE id {cases} END "  # noqa: S608
        f"WHERE id IN ({ids})"
    )
    decided_at = TicketRequest._meta.get_field("decided_at").get_db_prep_save(now, connection)
    params = [TicketRequest.Status.FULFILLED.value, decided_at]
    params += [value for pair in pairs for value in pair]
    params += [request_id for request_id, _ in pairs]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
