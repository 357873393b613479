"""Cart and order pages: the same services as the API, refusals in the API's words."""

import pytest
from django.test import Client
from django.utils.html import escape

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory, catalogue, seated_event
from orders.models import Order, TicketRequest, WaitlistEntry
from orders.services import order_pay, order_reserve
from orders.tests.factories import on_sale_event
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MAX_PAGE_QUERIES = 10


@pytest.fixture
def buyer(client):
    user = UserFactory()
    client.force_login(user)
    return user


def book(client, event, **fields):
    return client.post(f"/events/{event.pk}/book/", {"action": "book", **fields})


def test_book_now_reserves_and_opens_the_order_page(client, buyer, invariants):
    event, types = on_sale_event(Regular=10)

    response = book(client, event, **{f"qty_{types['Regular'].pk}": 2})

    order = Order.objects.get(user=buyer)
    assert response["Location"] == f"/orders/{order.code}/"
    page = client.get(response["Location"]).content.decode()
    assert "Reserved" in page and "data-countdown" in page and "tok_declined" in page


def test_book_a_sold_out_type_shows_the_apis_words(client, buyer, customer_api):
    event, types = on_sale_event(Regular=1)
    body = {"ticket_type": types["Regular"].pk, "quantity": 2}
    api = customer_api.post(f"/api/events/{event.pk}/book", body, format="json")

    response = book(client, event, **{f"qty_{types['Regular'].pk}": 2})

    assert api.status_code == 409 and response.status_code == 200
    assert escape(api.json()["detail"]) in response.content.decode()
    assert not Order.objects.exists()


def test_book_a_seat_someone_took_meanwhile_says_it_is_taken(client, buyer):
    event, _ = seated_event(rows=1, seats_per_row=2)
    seat = event.seats.first()
    order_reserve(user=UserFactory(), event_id=event.pk, seat_ids=[seat.pk])

    response = book(client, event, seats=[seat.pk])

    assert response.status_code == 200
    assert f"Seat {seat.label} is already taken" in response.content.decode()


def test_book_nothing_is_a_form_error(client, buyer):
    event, _ = on_sale_event(Regular=5)

    response = book(client, event)

    assert response.status_code == 200
    assert "Choose at least one ticket or seat." in response.content.decode()


def test_booking_needs_a_signed_in_user(client):
    event, types = on_sale_event(Regular=5)

    response = book(client, event, **{f"qty_{types['Regular'].pk}": 1})

    assert response["Location"].startswith("/accounts/login/")


def test_cart_add_update_remove_and_checkout(client, buyer, invariants):
    event, types = on_sale_event(VIP=5, Regular=10)
    vip, regular = types["VIP"].pk, types["Regular"].pk

    client.post(f"/events/{event.pk}/book/", {"action": "cart", f"qty_{vip}": 1, f"qty_{regular}": 2})
    cart = client.get("/cart/")
    items = {item.ticket_type_id: item for item in cart.context["cart"]["items"]}
    client.post(f"/cart/items/{items[regular].pk}/", {"quantity": 3})
    client.post(f"/cart/items/{items[vip].pk}/remove/")
    cart = client.get("/cart/")
    checkout = client.post("/cart/checkout/")

    assert cart.context["cart"]["total"] == 75
    assert cart.context["cart_count"] == 3
    order = Order.objects.get(user=buyer)
    assert checkout["Location"] == f"/orders/{order.code}/"
    assert [(line.ticket_type_id, line.quantity) for line in order.lines.all()] == [(regular, 3)]
    assert client.get("/cart/").context["cart"]["items"] == []


def test_cart_refusal_is_flashed(client, buyer):
    event, types = on_sale_event(Regular=10)
    client.post(f"/events/{event.pk}/book/", {"action": "cart", f"qty_{types['Regular'].pk}": 1})
    item = client.get("/cart/").context["cart"]["items"][0]

    response = client.post(f"/cart/items/{item.pk}/", {"quantity": 11}, follow=True)

    assert "At most 10 &#x27;Regular&#x27; tickets per order." in response.content.decode()


def test_pay_declined_then_paid_shows_the_qr_codes(client, buyer, invariants):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 2)])

    declined = client.post(f"/orders/{order.code}/pay/", {"token": "tok_declined"})
    paid = client.post(f"/orders/{order.code}/pay/", {"token": "tok_visa"}, follow=True)

    assert declined.status_code == 200
    assert "Your card was declined." in declined.content.decode()
    body = paid.content.decode()
    tickets = list(Ticket.objects.filter(order=order))
    assert all(t.status == Ticket.Status.VALID for t in tickets)
    assert body.count("/qr.svg") == 2
    qr = client.get(f"/tickets/{tickets[0].pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_refund_voids_the_tickets_and_hides_their_codes(client, buyer, invariants):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 1)])
    order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")
    ticket = order.tickets.get()

    page = client.post(f"/orders/{order.code}/refund/", follow=True).content.decode()

    assert "Refunded" in page and "/qr.svg" not in page
    assert client.get(f"/tickets/{ticket.pk}/qr.svg").status_code == 404


def test_cancel_releases_the_reservation(client, buyer, invariants):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 3)])

    client.post(f"/orders/{order.code}/cancel/")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    types["Regular"].refresh_from_db()
    assert types["Regular"].available == 10


def test_refunding_a_reserved_order_shows_the_services_words(client, buyer):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 1)])

    page = client.post(f"/orders/{order.code}/refund/", follow=True).content.decode()

    assert "Only a paid order can be refunded; this one is reserved." in page


def test_another_users_order_and_ticket_are_404(client, buyer):
    event, types = on_sale_event(Regular=10)
    other = UserFactory()
    order = order_reserve(user=other, event_id=event.pk, items=[(types["Regular"].pk, 1)])
    order_pay(order_id=order.pk, by=other, provider="test", token="tok_visa")

    assert client.get(f"/orders/{order.code}/").status_code == 404
    assert client.post(f"/orders/{order.code}/refund/").status_code == 404
    assert client.get(f"/tickets/{order.tickets.get().pk}/qr.svg").status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_my_orders_lists_only_mine_with_status(client, buyer):
    event, types = on_sale_event(Regular=10)
    mine = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    theirs = order_reserve(user=UserFactory(), event_id=event.pk, items=[(types["Regular"].pk, 1)])

    body = client.get("/orders/").content.decode()

    assert mine.code in body and theirs.code not in body
    assert "Reserved" in body


def test_expired_hold_shows_the_order_expired(client, buyer, settings):
    settings.RESERVATION_HOLD_SECONDS = 0
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 1)])

    body = client.get(f"/orders/{order.code}/").content.decode()

    assert "This reservation has expired" in body and "Pay " not in body


def test_order_actions_check_csrf(buyer):
    event, types = on_sale_event(Regular=10)
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 1)])
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer)

    response = client.post(f"/orders/{order.code}/cancel/")

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.RESERVED


def test_api_errors_stay_json(client):
    response = client.get("/api/nope/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("status", ["reserved", "paid"])
def test_order_pages_stay_within_the_query_budget(client, buyer, django_assert_max_num_queries, status):
    events = catalogue(events=3)
    seated = events[-1]
    order = order_reserve(
        user=buyer,
        event_id=seated.pk,
        seat_ids=list(seated.seats.values_list("pk", flat=True)[:4]),
    )
    if status == "paid":
        order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")
    for other in events[:2]:
        order_reserve(user=buyer, event_id=other.pk, items=[(other.ticket_types.first().pk, 2)])

    for url in (f"/orders/{order.code}/", "/orders/", "/cart/"):
        with django_assert_max_num_queries(MAX_PAGE_QUERIES):
            assert client.get(url).status_code == 200


def test_booking_pages_share_the_apis_booking_limit(client, buyer, client_for, rate_limits, invariants):
    # given a limit of two bookings a minute, one of them spent through the API
    rate_limits(booking="2/m")
    event, types = on_sale_event(Regular=10)
    api = client_for(buyer).post(
        f"/api/events/{event.pk}/book", {"ticket_type": types["Regular"].pk, "quantity": 1}, format="json"
    )
    page = book(client, event, **{f"qty_{types['Regular'].pk}": 1})

    # when the buyer books a third time on the page
    refused = book(client, event, **{f"qty_{types['Regular'].pk}": 1})

    # then the page answers 429 and nothing more is reserved
    assert (api.status_code, page.status_code, refused.status_code) == (201, 302, 429)
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Order.objects.filter(user=buyer).count() == 2


def test_queue_and_waitlist_pages_count_against_the_booking_limit(client, buyer, rate_limits, invariants):
    # given a limit of two a minute, spent by joining a queue and a waitlist from their pages
    rate_limits(booking="2/m")
    queued = EventFactory(sale_mode=Event.SaleMode.QUEUE)
    queued_type = TicketTypeFactory(event=queued, capacity=10)
    event, types = on_sale_event(Regular=1)
    order_reserve(user=UserFactory(), event_id=event.pk, items=[(types["Regular"].pk, 1)])  # sold out
    joined_queue = client.post(f"/events/{queued.pk}/queue/", {f"qty_{queued_type.pk}": 1})
    join = {"ticket_type": types["Regular"].pk, f"waitlist_qty_{types['Regular'].pk}": 1}
    joined_waitlist = client.post(f"/events/{event.pk}/waitlist/", join)

    # when the buyer joins another event's queue from its page
    other = EventFactory(sale_mode=Event.SaleMode.QUEUE)
    other_type = TicketTypeFactory(event=other, capacity=10)
    refused = client.post(f"/events/{other.pk}/queue/", {f"qty_{other_type.pk}": 1})

    # then the page answers 429 and nothing more is queued
    assert (joined_queue.status_code, joined_waitlist.status_code, refused.status_code) == (302, 302, 429)
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert TicketRequest.objects.filter(user=buyer).count() == 1
    assert WaitlistEntry.objects.filter(user=buyer).count() == 1
