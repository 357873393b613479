"""The priority purchase queue (DESIGN.md flow 6): intake, positions, allocation, triggers."""

import re

import pytest
from django.core.cache import cache
from django.db import connection

from accounts.models import User
from accounts.tests.factories import UserFactory
from events.models import Event, Seat
from events.tests.factories import EventFactory, TicketTypeFactory
from orders.models import CODE_ALPHABET, Order, TicketRequest
from orders.services.queue import (
    Decided,
    ticket_request_create,
    ticket_requests_drain,
    ticket_requests_process,
)
from orders.tasks import ticket_requests_process_task, ticket_requests_tick_task
from tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("invariants")


def queue_event(**types):
    """A published queue-mode event; ``types`` as name=(capacity, priority)."""
    event = EventFactory(sale_mode=Event.SaleMode.QUEUE)
    return event, {
        name: TicketTypeFactory(event=event, name=name, capacity=capacity, priority=priority)
        for name, (capacity, priority) in types.items()
    }


def _request(api, event, body, **headers):
    return api.post(f"/api/events/{event.pk}/ticket-requests", body, format="json", **headers)


def _enqueue(user, ticket_type, quantity=1, **extra):
    items = [(ticket_type.pk, quantity), *extra.get("also", [])]
    return ticket_request_create(user=user, event_id=ticket_type.event_id, items=items)


def _kick_messages(broker) -> int:
    queue = broker.queues.get(ticket_requests_process_task.queue_name)
    if queue is None:
        return 0
    return sum(1 for raw in list(queue.queue) if b"ticket_requests_process_task" in raw)


# --- intake -------------------------------------------------------------------


def test_intake_answers_202_queued_with_position_and_writes_nothing_else(customer_api, customer):
    event, types = queue_event(VIP=(5, 10), Regular=(20, 0))

    response = _request(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 2})

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["position"] == 0 and body["order"] is None
    assert body["items"] == [{"ticket_type": types["Regular"].pk, "quantity": 2}]
    request = TicketRequest.objects.get(pk=body["id"])
    assert request.user == customer and request.priority == 0
    assert not Order.objects.exists()
    types["Regular"].refresh_from_db()
    assert types["Regular"].reserved_count == 0


def test_intake_answer_is_what_reading_the_request_answers(customer_api):
    event, types = queue_event(Regular=(20, 0))

    accepted = _request(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 2}).json()

    assert accepted == customer_api.get(f"/api/ticket-requests/{accepted['id']}").json()


def test_intake_of_items_takes_the_highest_priority(customer_api):
    event, types = queue_event(VIP=(5, 10), Regular=(20, 0))

    response = _request(
        customer_api,
        event,
        {
            "items": [
                {"ticket_type": types["Regular"].pk, "quantity": 2},
                {"ticket_type": types["VIP"].pk, "quantity": 1},
            ]
        },
    )

    assert response.status_code == 202
    assert TicketRequest.objects.get().priority == 10


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"ticket_type": "x", "quantity": 1}, 400, "invalid"),
        ({"ticket_type": 1}, 400, "invalid"),
        ({"seat_ids": [1]}, 400, "invalid"),
        ({"quantity": 0, "ticket_type": 1}, 400, "invalid"),
        ({"items": []}, 400, "invalid"),
    ],
)
def test_intake_refuses_bad_shapes(customer_api, body, status, code):
    event, _ = queue_event(Regular=(20, 0))

    response = _request(customer_api, event, body)

    assert response.status_code == status
    assert "detail" in response.json() and response.json()["code"]
    assert not TicketRequest.objects.exists()


def test_intake_refuses_what_the_sale_does_not_allow(customer_api):
    event, types = queue_event(Regular=(20, 0))
    _other_event, other_types = queue_event(Other=(5, 0))
    direct = EventFactory()
    direct_type = TicketTypeFactory(event=direct)
    draft = EventFactory(sale_mode=Event.SaleMode.QUEUE, status=Event.Status.DRAFT)
    draft_type = TicketTypeFactory(event=draft)

    cases = [
        (
            _request(customer_api, event, {"ticket_type": other_types["Other"].pk, "quantity": 1}),
            404,
            "ticket_type_not_found",
        ),
        (
            customer_api.post(
                "/api/events/999999/ticket-requests", {"ticket_type": 1, "quantity": 1}, format="json"
            ),
            404,
            "not_found",
        ),
        (_request(customer_api, direct, {"ticket_type": direct_type.pk, "quantity": 1}), 409, "direct_sale"),
        (_request(customer_api, draft, {"ticket_type": draft_type.pk, "quantity": 1}), 409, "not_on_sale"),
        (
            _request(customer_api, event, {"ticket_type": types["Regular"].pk, "quantity": 11}),
            400,
            "max_per_order",
        ),
    ]

    assert [(r.status_code, r.json()["code"]) for r, _, _ in cases] == [(s, c) for _, s, c in cases]
    assert not TicketRequest.objects.exists()


def test_intake_refuses_a_seated_type(customer_api):
    event, types = queue_event(Stalls=(10, 0))
    Seat.objects.create(event=event, ticket_type=types["Stalls"], row_label="A", number=1, label="A1")

    response = _request(customer_api, event, {"ticket_type": types["Stalls"].pk, "quantity": 1})

    assert response.status_code == 400 and response.json()["code"] == "seats_required"


def test_intake_needs_a_signed_in_user(api_client):
    event, types = queue_event(Regular=(20, 0))

    response = _request(api_client, event, {"ticket_type": types["Regular"].pk, "quantity": 1})

    assert response.status_code == 401


def test_one_queued_request_per_user_and_event(customer_api, customer):
    event, types = queue_event(Regular=(20, 0))
    body = {"ticket_type": types["Regular"].pk, "quantity": 1}
    assert _request(customer_api, event, body).status_code == 202

    second = _request(customer_api, event, body)

    assert second.status_code == 409 and second.json()["code"] == "already_queued"
    # once decided, the user may queue again
    ticket_requests_process(event_id=event.pk)
    assert _request(customer_api, event, body).status_code == 202
    assert TicketRequest.objects.filter(user=customer).count() == 2


def test_idempotency_key_replays_the_first_answer(customer_api):
    event, types = queue_event(Regular=(20, 0))
    body = {"ticket_type": types["Regular"].pk, "quantity": 1}

    first = _request(customer_api, event, body, HTTP_IDEMPOTENCY_KEY="k-1")
    replay = _request(customer_api, event, body, HTTP_IDEMPOTENCY_KEY="k-1")
    other_body = _request(customer_api, event, {**body, "quantity": 2}, HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == replay.status_code == 202
    assert replay.json() == first.json() and replay["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert TicketRequest.objects.count() == 1


def test_direct_booking_of_a_queue_event_stays_refused(customer_api):
    event, types = queue_event(Regular=(20, 0))

    response = customer_api.post(
        f"/api/events/{event.pk}/book", {"ticket_type": types["Regular"].pk, "quantity": 1}, format="json"
    )

    assert response.status_code == 409 and response.json()["code"] == "queue_only"


# --- positions and reads ---------------------------------------------------------


def test_positions_follow_queue_order_vip_first_then_arrival(client_for):
    _event, types = queue_event(VIP=(5, 10), Regular=(20, 0))
    first, second, vip = UserFactory(), UserFactory(), UserFactory()
    _enqueue(first, types["Regular"])
    _enqueue(second, types["Regular"])
    _enqueue(vip, types["VIP"])

    positions = {
        user: client_for(user).get("/api/ticket-requests").json()["results"][0]["position"]
        for user in (first, second, vip)
    }

    assert positions == {vip: 0, first: 1, second: 2}


def test_a_request_is_read_by_its_owner_only(client_for, customer):
    _event, types = queue_event(Regular=(20, 0))
    request = _enqueue(customer, types["Regular"])

    mine = client_for(customer).get(f"/api/ticket-requests/{request.pk}")
    theirs = client_for(UserFactory()).get(f"/api/ticket-requests/{request.pk}")

    assert mine.status_code == 200 and mine.json()["position"] == 0
    assert theirs.status_code == 404


def test_a_decided_request_names_its_order_or_its_reason(client_for):
    event, types = queue_event(Regular=(1, 0))
    lucky, late = UserFactory(), UserFactory()
    _enqueue(lucky, types["Regular"])
    _enqueue(late, types["Regular"])

    ticket_requests_process(event_id=event.pk)

    won = client_for(lucky).get("/api/ticket-requests").json()["results"][0]
    lost = client_for(late).get("/api/ticket-requests").json()["results"][0]
    assert won["status"] == "fulfilled" and won["position"] is None
    order = Order.objects.get(pk=won["order"])
    assert (
        order.user == lucky and order.source == Order.Source.QUEUE and order.status == Order.Status.RESERVED
    )
    assert order.expires_at is not None and order.total == types["Regular"].price
    assert lost["status"] == "rejected" and lost["reason"] == "Event is sold out" and lost["order"] is None


# --- allocation ----------------------------------------------------------------------


def test_allocation_serves_vip_first_then_arrival_all_or_nothing():
    event, types = queue_event(VIP=(5, 10), Regular=(3, 0))
    r1 = _enqueue(UserFactory(), types["Regular"], 2)
    r2 = _enqueue(UserFactory(), types["Regular"], 1)
    r3 = _enqueue(UserFactory(), types["Regular"], 2, also=[(types["VIP"].pk, 1)])  # priority 10
    r4 = _enqueue(UserFactory(), types["VIP"], 1)

    decided = ticket_requests_process(event_id=event.pk, batch=2)

    assert decided == Decided(fulfilled=3, rejected=1)
    outcome = {r.pk: (r.status, r.reason) for r in TicketRequest.objects.all()}
    assert outcome == {
        r3.pk: ("fulfilled", ""),
        r4.pk: ("fulfilled", ""),
        r1.pk: ("rejected", "Only 1 'Regular' tickets left"),
        r2.pk: ("fulfilled", ""),
    }
    # orders were made in queue order
    order_of = dict(TicketRequest.objects.filter(status="fulfilled").values_list("pk", "order_id"))
    assert order_of[r3.pk] < order_of[r4.pk] < order_of[r2.pk]
    assert Ticket.objects.filter(order_id=order_of[r3.pk]).count() == 3
    for ticket_type in types.values():
        ticket_type.refresh_from_db()
    assert (types["VIP"].reserved_count, types["Regular"].reserved_count) == (2, 3)


def test_allocation_writes_the_orders_as_a_reservation_would():
    event, types = queue_event(VIP=(5, 10), Regular=(5, 0))
    user = UserFactory(name="Queue Holder")
    request = _enqueue(user, types["Regular"], 2, also=[(types["VIP"].pk, 1)])

    ticket_requests_process(event_id=event.pk)

    request.refresh_from_db()
    order = request.order
    assert (order.status, order.source, order.user, order.event) == ("reserved", "queue", user, event)
    assert (
        order.code.startswith("TX-") and len(order.code) == 11 and set(order.code[3:]) <= set(CODE_ALPHABET)
    )
    assert order.total == types["Regular"].price * 2 + types["VIP"].price
    assert order.expires_at > order.created_at <= order.updated_at
    assert sorted(order.lines.values_list("ticket_type_id", "quantity", "unit_price")) == sorted(
        [(types["Regular"].pk, 2, types["Regular"].price), (types["VIP"].pk, 1, types["VIP"].price)]
    )
    tickets = list(order.tickets.all())
    assert [(t.status, t.holder_name, t.seat) for t in tickets] == [("reserved", "Queue Holder", None)] * 3
    assert len({t.secret for t in tickets}) == 3 and all(len(t.secret) == 32 for t in tickets)


@pytest.mark.postgres
def test_a_batch_statements_do_not_grow_with_the_batch():
    """The SQL text of a batch is the same for 3 and 30 requests: psycopg converts it once.

    A VALUES list or CASE of a row per request made psycopg re-parse
    thousands of placeholders on every batch (more than half the batch's time).
    """
    event, types = queue_event(Regular=(100, 0))
    users = User.objects.bulk_create([User(email=f"g{i}@example.com", name=f"G {i}") for i in range(33)])

    def statements(count: int) -> list[str]:
        for user in users[:count]:
            _enqueue(user, types["Regular"])
        captured = []
        with connection.execute_wrapper(
            lambda execute, sql, *args: captured.append(sql) or execute(sql, *args)
        ):
            assert ticket_requests_process(event_id=event.pk, batch=count) == Decided(fulfilled=count)
        del users[:count]
        # Savepoint names and the batch's LIMIT (which Django writes into the text) aside.
        return [
            re.sub(r"LIMIT \d+", "LIMIT n", sql)
            for sql in captured
            if not sql.startswith(("SAVEPOINT", "RELEASE"))
        ]

    assert statements(3) == statements(30)


def test_deactivated_event_rejects_its_queue():
    event, types = queue_event(Regular=(10, 0))
    request = _enqueue(UserFactory(), types["Regular"])
    Event.objects.filter(pk=event.pk).update(status=Event.Status.DEACTIVATED)

    ticket_requests_process(event_id=event.pk)

    request.refresh_from_db()
    assert (request.status, request.reason, request.order) == ("rejected", "Event deactivated", None)
    assert not Order.objects.exists()


def test_the_tick_serves_every_event_whose_message_was_lost(broker):
    _first, first_types = queue_event(Regular=(10, 0))
    _second, second_types = queue_event(Regular=(10, 0))
    requests = [
        _enqueue(UserFactory(), first_types["Regular"]),
        _enqueue(UserFactory(), second_types["Regular"]),
    ]
    broker.flush_all()  # the enqueue messages are lost

    ticket_requests_tick_task()

    assert {r.status for r in TicketRequest.objects.filter(pk__in=[r.pk for r in requests])} == {"fulfilled"}


def test_a_burst_of_enqueues_sends_one_message(broker, django_capture_on_commit_callbacks):
    _event, types = queue_event(Regular=(2000, 0))
    users = User.objects.bulk_create(
        [User(email=f"burst{i}@example.com", name=f"B {i}") for i in range(1000)]
    )

    with django_capture_on_commit_callbacks(execute=True):
        for user in users:
            _enqueue(user, types["Regular"])

    assert TicketRequest.objects.filter(status="queued").count() == 1000
    assert _kick_messages(broker) == 1


def test_draining_rearms_the_kick_for_the_next_burst(broker, django_capture_on_commit_callbacks):
    event, types = queue_event(Regular=(10, 0))
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue(UserFactory(), types["Regular"])
        _enqueue(UserFactory(), types["Regular"])
    assert _kick_messages(broker) == 1

    assert ticket_requests_drain(event_id=event.pk) == Decided(fulfilled=2)
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue(UserFactory(), types["Regular"])

    assert _kick_messages(broker) == 2
    cache.clear()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_allocate_concurrently_nothing_twice_nothing_skipped(race):
    event, types = queue_event(VIP=(10, 10), Regular=(20, 0))
    users = User.objects.bulk_create([User(email=f"w{i}@example.com", name=f"W {i}") for i in range(40)])
    arrivals = [
        _enqueue(user, types["VIP"] if i % 3 == 0 else types["Regular"]) for i, user in enumerate(users)
    ]  # 14 VIP, 26 Regular, interleaved

    results = race(
        lambda: ticket_requests_process(event_id=event.pk, batch=3),
        lambda: ticket_requests_process(event_id=event.pk, batch=3),
    )

    assert all(isinstance(result, Decided) for result in results), results
    assert sum(results, Decided()) == Decided(fulfilled=30, rejected=10)
    assert not TicketRequest.objects.filter(status="queued").exists()
    by_type = {"VIP": [], "Regular": []}
    for arrival in arrivals:
        arrival.refresh_from_db()
        by_type["VIP" if arrival.priority else "Regular"].append(arrival.status)
    # first come, first served within each priority
    assert by_type["VIP"] == ["fulfilled"] * 10 + ["rejected"] * 4
    assert by_type["Regular"] == ["fulfilled"] * 20 + ["rejected"] * 6
    fulfilled_orders = TicketRequest.objects.filter(status="fulfilled").values_list("order_id", flat=True)
    assert len(set(fulfilled_orders)) == Order.objects.count() == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_enqueue_is_served_by_the_worker(client_for, broker, worker, settings):
    # A hold of 1 s: the worker also runs the expiry, so no delayed message outlives the test.
    settings.RESERVATION_HOLD_SECONDS = 1
    event, types = queue_event(Regular=(10, 0))
    user = UserFactory()

    response = _request(client_for(user), event, {"ticket_type": types["Regular"].pk, "quantity": 2})
    broker.join(ticket_requests_process_task.queue_name, fail_fast=True)  # the allocation, then the expiry
    worker.join()

    assert response.status_code == 202
    request = TicketRequest.objects.get(pk=response.json()["id"])
    assert request.status == "fulfilled" and request.order.tickets.count() == 2
    assert request.order.source == Order.Source.QUEUE


# --- pages -------------------------------------------------------------------------


def test_event_page_of_a_queue_event_offers_to_join_the_queue(client, customer):
    event, _types = queue_event(Regular=(10, 0))
    client.force_login(customer)

    page = client.get(f"/events/{event.pk}/").content.decode()

    assert "Join the queue" in page and "Book now" not in page
    assert f'action="/events/{event.pk}/queue/"' in page


def test_joining_the_queue_from_the_page_shows_the_live_position(client, customer):
    event, types = queue_event(Regular=(10, 0))
    _enqueue(UserFactory(), types["Regular"])  # one ahead
    client.force_login(customer)

    response = client.post(f"/events/{event.pk}/queue/", {f"qty_{types['Regular'].pk}": 2}, follow=True)

    request = TicketRequest.objects.get(user=customer)
    assert response.redirect_chain == [(f"/queue/{request.pk}/", 302)]
    page = response.content.decode()
    assert "<strong data-queue-position>1</strong> request ahead" in page
    assert f'data-queue-poll="/api/ticket-requests/{request.pk}"' in page


def test_the_queue_page_links_the_order_or_gives_the_reason(client, customer):
    event, types = queue_event(Regular=(1, 0))
    _enqueue(customer, types["Regular"])
    other = UserFactory()
    rejected = _enqueue(other, types["Regular"])
    ticket_requests_process(event_id=event.pk)
    client.force_login(customer)

    mine = client.get(f"/queue/{TicketRequest.objects.get(user=customer).pk}/").content.decode()
    theirs = client.get(f"/queue/{rejected.pk}/")
    client.force_login(other)
    refused = client.get(f"/queue/{rejected.pk}/").content.decode()

    order = Order.objects.get(user=customer)
    assert f'href="/orders/{order.code}/"' in mine
    assert theirs.status_code == 404
    assert "Event is sold out" in refused


def test_a_refused_join_is_shown_on_the_event_page(client, customer):
    event, types = queue_event(Regular=(10, 0))
    _enqueue(customer, types["Regular"])
    client.force_login(customer)

    response = client.post(f"/events/{event.pk}/queue/", {f"qty_{types['Regular'].pk}": 1})

    assert response.status_code == 200
    assert "You already have a queued request for this event." in response.content.decode()
