"""The waitlist and the priority queue in a real browser (Debian's Chromium) against the live server.

Both journeys end in an order that the customer did not book directly: the
waitlist's is made by another user's cancellation, the queue's by the worker
allocating the request in the background.
"""

import re

import dramatiq
import pytest

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory
from orders.models import Order, TicketRequest, WaitlistEntry
from orders.services import order_reserve
from orders.services.queue import ticket_request_create
from orders.tests.browser import ORDER_URL, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def start_worker(broker):
    """Start a real Dramatiq worker on the stub broker when the test says so; stopped after it."""
    workers = []

    def start() -> dramatiq.Worker:
        worker = dramatiq.Worker(broker, worker_timeout=100)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def test_sold_out_join_the_waitlist_another_cancels_and_the_order_is_reserved(
    open_page, live_server, invariants
):
    # Given a sold-out type: Bob holds both tickets
    event = EventFactory(title="Sold Out Strings")
    regular = TicketTypeFactory(event=event, name="Regular", price="20.00", capacity=2)
    UserFactory(email="ann@example.com")
    bob = UserFactory(email="bob@example.com")
    held = order_reserve(user=bob, event_id=event.pk, items=[(regular.pk, 2)])
    ann, bobs = open_page(), open_page()
    sign_in(ann, live_server.url, "ann@example.com")
    sign_in(bobs, live_server.url, "bob@example.com")

    # When Ann joins the waitlist for two from the event page
    ann.goto(f"{live_server.url}/events/{event.pk}/")
    ann.get_by_label("Tickets of Regular to wait for").fill("2")
    ann.get_by_role("button", name="Join the waitlist").click()
    ann.wait_for_url(f"{live_server.url}/waitlist/")
    ann.get_by_text("You are on the waitlist").wait_for()
    assert ann.locator("td[data-label=Status]").inner_text() == "Waiting"

    # And Bob cancels his reservation on his order page
    bobs.goto(f"{live_server.url}/orders/{held.code}/")
    bobs.get_by_role("button", name="Cancel reservation").click()
    bobs.locator("[data-order-status]", has_text="Cancelled").wait_for()

    # Then Ann's orders page, opened from the navigation, lists a reserved order made by the waitlist
    ann.get_by_role("navigation", name="Main").get_by_role("link", name="My orders").click()
    ann.wait_for_url(f"{live_server.url}/orders/")
    row = ann.locator("tbody tr")
    assert row.count() == 1
    assert row.locator("td[data-label=Status] .status").inner_text() == "Reserved"
    assert row.locator("[data-order-source]").inner_text() == "via waitlist"
    assert row.locator("td[data-label=Tickets]").inner_text() == "2"
    order = Order.objects.get(user__email="ann@example.com")
    assert order.source == Order.Source.WAITLIST and order.status == Order.Status.RESERVED
    assert WaitlistEntry.objects.get(user__email="ann@example.com").status == WaitlistEntry.Status.OFFERED

    # And the order opens from the list, ready to pay
    row.get_by_role("link", name=order.code).click()
    ann.wait_for_url(ORDER_URL)
    assert ann.get_by_role("button", name=re.compile(r"^Pay 40\.00")).is_enabled()
    assert ann.problems == [] and bobs.problems == []


def test_a_queue_request_follows_its_position_live_until_fulfilled(
    open_page, live_server, start_worker, broker, invariants
):
    # Given a queued sale with one Regular request already waiting, and no worker running yet
    event = EventFactory(title="Queue Gala", sale_mode=Event.SaleMode.QUEUE)
    regular = TicketTypeFactory(event=event, name="Regular", price="30.00", capacity=10, priority=0)
    vip = TicketTypeFactory(event=event, name="VIP", price="90.00", capacity=5, priority=10)
    ticket_request_create(user=UserFactory(), event_id=event.pk, items=[(regular.pk, 1)])
    UserFactory(email="queuer@example.com")
    page = open_page()
    sign_in(page, live_server.url, "queuer@example.com")

    # When she joins the queue for two Regular tickets from the event page
    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.get_by_label("Quantity of Regular").fill("2")
    page.get_by_role("button", name="Join the queue").click()
    page.wait_for_url(re.compile(r"/queue/\d+/$"))
    position = page.locator("[data-queue-position]")
    assert position.inner_text() == "1"
    page.evaluate("window.notReloaded = true")

    # And a VIP request arrives: it goes ahead of hers, and the page says so without a reload
    ticket_request_create(user=UserFactory(), event_id=event.pk, items=[(vip.pk, 1)])
    page.locator("[data-queue-position]", has_text="2").wait_for()
    assert page.evaluate("window.notReloaded") is True

    # And the worker allocates the queue in the background
    start_worker()
    page.get_by_text("Fulfilled").wait_for(timeout=15_000)

    # Then her page shows the request fulfilled and links to its order, which is reserved
    mine = TicketRequest.objects.get(user__email="queuer@example.com")
    assert mine.status == TicketRequest.Status.FULFILLED
    assert TicketRequest.objects.filter(status=TicketRequest.Status.QUEUED).count() == 0
    page.get_by_role("link", name=f"Pay for order {mine.order.code}").click()
    page.wait_for_url(ORDER_URL)
    assert page.locator("[data-order-status]").inner_text() == "Reserved"
    assert page.get_by_role("button", name=re.compile(r"^Pay 60\.00")).is_enabled()
    assert mine.order.source == Order.Source.QUEUE and mine.order.tickets.count() == 2
    assert page.problems == []
