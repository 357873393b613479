"""The customer pages in a real browser (Debian's Chromium) against the live server on PostgreSQL."""

import json
import re

import pytest

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory, catalogue, seated_event
from orders.models import Order
from orders.services import cart_add_item, order_pay, order_reserve
from orders.services.queue import ticket_request_create
from orders.services.waitlist import waitlist_join
from orders.tests.browser import (
    ARTIFACTS,
    ORDER_URL,
    PASSWORD,
    check_page,
    scrolls_sideways,
    sign_in,
    static_bytes,
)
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PHONE = {"width": 360, "height": 740}
MAX_STATIC_BYTES = 150_000


def test_sign_up_find_book_two_pay_see_two_codes_and_refund(open_page, live_server, invariants):
    event = EventFactory(title="Harbour Jazz Night")
    TicketTypeFactory(event=event, name="Regular", price="30.00", capacity=50)
    EventFactory(title="Rock Evening")
    page = open_page()
    base = live_server.url

    # Given a new visitor who signs up
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_text("Welcome, Ada Lovelace!").wait_for()

    # When she finds the event and books two tickets
    page.get_by_label("Search").fill("jazz")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Harbour Jazz Night").click()
    page.get_by_label("Quantity of Regular").fill("2")
    page.get_by_role("button", name="Book now").click()
    page.wait_for_url(ORDER_URL)
    assert page.locator("[data-countdown-left]").inner_text() != "…"

    # And pays
    page.get_by_label("Card token").fill("tok_visa")
    page.get_by_role("button", name=re.compile(r"^Pay 60\.00")).click()
    page.get_by_text("Payment received").wait_for()

    # Then she sees two QR codes, both loaded
    codes = page.get_by_role("img", name=re.compile("QR code of ticket"))
    assert codes.count() == 2
    page.wait_for_function(
        "[...document.querySelectorAll('.qr-list img')].every(img => img.complete && img.naturalWidth > 0)"
    )

    # And after a refund the order is refunded and the codes are gone
    page.get_by_role("button", name="Refund this order").click()
    page.get_by_text("Refunded: your tickets are void.").wait_for()
    assert codes.count() == 0
    order = Order.objects.get(user__email="ada@example.com")
    assert order.status == Order.Status.REFUNDED
    assert set(order.tickets.values_list("status", flat=True)) == {Ticket.Status.VOID}
    assert page.problems == []


def test_a_declined_card_then_a_good_one(open_page, live_server, invariants):
    buyer = UserFactory(email="bob@example.com")
    event = EventFactory()
    regular = TicketTypeFactory(event=event, name="Regular", capacity=10)
    order = order_reserve(user=buyer, event_id=event.pk, items=[(regular.pk, 1)])
    page = open_page()
    sign_in(page, live_server.url, "bob@example.com")
    page.goto(f"{live_server.url}/orders/{order.code}/")

    page.get_by_label("Card token").fill("tok_declined")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.get_by_role("alert").get_by_text("Your card was declined.").wait_for()
    assert page.locator("[data-order-status]").inner_text() == "Reserved"

    page.get_by_label("Card token").fill("tok_visa")
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.get_by_text("Payment received").wait_for()
    assert page.locator("[data-order-status]").inner_text() == "Paid"
    assert page.get_by_role("img", name=re.compile("QR code of ticket")).count() == 1
    assert page.problems == []


def test_two_browsers_race_for_one_seat_and_one_is_told_it_is_taken(open_page, live_server, invariants):
    event, _ = seated_event(rows=1, seats_per_row=4)
    for email in ("one@example.com", "two@example.com"):
        UserFactory(email=email)
    pages = [open_page() for _ in range(2)]
    for page, email in zip(pages, ("one@example.com", "two@example.com"), strict=True):
        sign_in(page, live_server.url, email)
        page.goto(f"{live_server.url}/events/{event.pk}/")
        page.get_by_label("A2").check()

    # Both submit at once: neither waits for the other's answer.
    for page in pages:
        page.evaluate("document.querySelector('button[value=book]').click()")
    for page in pages:
        page.wait_for_url(re.compile(r"/orders/TX-|/events/\d+/book/$"))

    won = [page for page in pages if ORDER_URL.search(page.url)]
    lost = [page for page in pages if not ORDER_URL.search(page.url)]
    assert len(won) == len(lost) == 1
    assert lost[0].get_by_role("alert").inner_text() == "Seat A2 is already taken"
    assert lost[0].get_by_label("A2 (held)").is_disabled()
    assert Ticket.objects.filter(seat__label="A2", status__in=Ticket.ACTIVE_STATUSES).count() == 1
    assert all(page.problems == [] for page in pages)


def test_countdown_reaching_zero_shows_the_order_expired(open_page, live_server, settings):
    settings.RESERVATION_HOLD_SECONDS = 3
    buyer = UserFactory(email="cat@example.com")
    event = EventFactory()
    regular = TicketTypeFactory(event=event, capacity=10)
    page = open_page()
    sign_in(page, live_server.url, "cat@example.com")
    page.goto(f"{live_server.url}/events/{event.pk}/")
    page.get_by_label(f"Quantity of {regular.name}").fill("1")
    page.get_by_role("button", name="Book now").click()
    page.wait_for_url(ORDER_URL)
    assert page.get_by_role("button", name=re.compile("^Pay")).is_enabled()

    page.get_by_text("This reservation has expired").wait_for(timeout=10_000)
    page.locator("[data-order-status]", has_text="Expired").wait_for(timeout=10_000)  # after the reload

    assert page.get_by_role("button", name=re.compile("^Pay")).count() == 0
    assert Order.objects.get(user=buyer).expires_at is not None
    assert page.problems == []


def test_event_page_availability_updates_by_itself(open_page, live_server):
    event = EventFactory()
    regular = TicketTypeFactory(event=event, name="Regular", capacity=10)
    page = open_page()
    page.clock.install()  # the page's timers run when the test says so
    page.goto(f"{live_server.url}/events/{event.pk}/")
    cell = page.locator(f'[data-available-for="{regular.pk}"]')
    assert cell.inner_text() == "10 left"

    order_reserve(user=UserFactory(), event_id=event.pk, items=[(regular.pk, 3)])
    page.clock.fast_forward(16_000)

    page.locator(f'[data-available-for="{regular.pk}"]', has_text="7 left").wait_for()
    assert page.problems == []


def test_near_me_uses_the_browsers_location_and_shows_distances(open_page, live_server):
    EventFactory(title="Boston show", venue=VenueFactory(latitude=42.3601, longitude=-71.0589))
    EventFactory(title="Tokyo show", venue=VenueFactory(latitude=35.68, longitude=139.69))
    page = open_page(geolocation={"latitude": 42.35, "longitude": -71.06}, permissions=["geolocation"])

    page.goto(f"{live_server.url}/events/")
    page.get_by_role("button", name="Near me").click()
    page.wait_for_url(re.compile(r"near=42\.35"))

    cards = page.locator(".cards li")
    assert cards.count() == 1
    assert "Boston show" in cards.first.inner_text() and "km away" in cards.first.inner_text()
    assert page.problems == []


@pytest.mark.parametrize("which", ["event", "order"])
def test_event_and_order_pages_fit_a_phone(open_page, live_server, which):
    buyer = UserFactory(email="dan@example.com")
    event, _ = seated_event(rows=4, seats_per_row=8)
    TicketTypeFactory(event=event, name="Standing room with a rather long name", capacity=30)
    order = order_reserve(
        user=buyer, event_id=event.pk, seat_ids=list(event.seats.values_list("pk", flat=True)[:3])
    )
    order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, live_server.url, "dan@example.com")

    page.goto(
        f"{live_server.url}/events/{event.pk}/"
        if which == "event"
        else f"{live_server.url}/orders/{order.code}/"
    )

    assert not scrolls_sideways(page)
    assert check_page(page, f"phone-{which}") == []
    assert page.problems == []


def _main_pages(live_server) -> dict[str, tuple[bool, str]]:
    """Data for every main page, signed in as a staff member (the longest navigation).

    Returns name -> (signed in, path).
    """
    events = catalogue(events=6)
    seated = events[-1]
    buyer = UserFactory(email="eve@example.com", latitude=40.71, longitude=-74.0, role="staff")
    reserved = order_reserve(
        user=buyer, event_id=events[0].pk, items=[(events[0].ticket_types.first().pk, 2)]
    )
    paid = order_reserve(
        user=buyer, event_id=seated.pk, seat_ids=list(seated.seats.values_list("pk", flat=True)[:2])
    )
    order_pay(order_id=paid.pk, by=buyer, provider="test", token="tok_visa")
    cart_add_item(user=buyer, ticket_type_id=events[1].ticket_types.first().pk, quantity=2)
    scarce = TicketTypeFactory(event=events[2], name="Last row", capacity=1)
    order_reserve(user=UserFactory(), event_id=events[2].pk, items=[(scarce.pk, 1)])
    waitlist_join(user=buyer, ticket_type_id=scarce.pk, quantity=1)
    queued = EventFactory(title="Queued Gala", sale_mode=Event.SaleMode.QUEUE)
    gala = TicketTypeFactory(event=queued, name="Regular", capacity=10)
    ticket_request_create(user=UserFactory(), event_id=queued.pk, items=[(gala.pk, 1)])
    queue_request = ticket_request_create(user=buyer, event_id=queued.pk, items=[(gala.pk, 2)])
    return {
        "home": (False, "/"),
        "home-signed-in": (True, "/"),
        "events": (False, "/events/"),
        "event": (False, f"/events/{events[0].pk}/"),
        "event-seated": (True, f"/events/{seated.pk}/"),
        "event-sold-out": (True, f"/events/{events[2].pk}/"),
        "event-queue": (True, f"/events/{queued.pk}/"),
        "signup": (False, "/accounts/signup/"),
        "login": (False, "/accounts/login/"),
        "password-reset": (False, "/accounts/password/reset/"),
        "profile": (True, "/accounts/profile/"),
        "cart": (True, "/cart/"),
        "orders": (True, "/orders/"),
        "order-reserved": (True, f"/orders/{reserved.code}/"),
        "order-paid": (True, f"/orders/{paid.code}/"),
        "waitlist": (True, "/waitlist/"),
        "queue-requests": (True, "/queue/"),
        "queue-request": (True, f"/queue/{queue_request.pk}/"),
        "not-found": (False, "/no-such-page/"),
    }


def _nav_links_off_screen(page) -> list[str]:
    """The main navigation's links and buttons that are hidden or reach past the viewport."""
    return page.evaluate(
        """width => [...document.querySelectorAll('nav[aria-label=Main] a, nav[aria-label=Main] button')]
            .filter(item => {
              const box = item.getBoundingClientRect();
              return box.width === 0 || box.height === 0 || box.left < 0 || box.right > width;
            })
            .map(item => item.textContent.trim())""",
        page.viewport_size["width"],
    )


@pytest.mark.parametrize("screen", ["laptop", "phone"])
def test_every_main_page_passes_axe_without_console_errors(open_page, live_server, screen):
    pages = _main_pages(live_server)
    base = live_server.url
    size = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if screen == "phone" else {}
    anonymous = open_page(**size)
    signed_in = open_page(**size)
    sign_in(signed_in, base, "eve@example.com")

    blocking, weights, misfits = {}, {}, {}
    for name, (is_signed_in, path) in pages.items():
        page = signed_in if is_signed_in else anonymous
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        weights[name] = static_bytes(page)
        blocking[name] = check_page(page, name if screen == "laptop" else f"phone-{name}")
        if scrolls_sideways(page) or _nav_links_off_screen(page):
            misfits[name] = _nav_links_off_screen(page) or "scrolls sideways"

    (ARTIFACTS / f"summary-{screen}.json").write_text(
        json.dumps(
            {name: {"static_bytes": weights[name], "blocking": blocking[name]} for name in pages}, indent=2
        )
    )
    assert blocking == {name: [] for name in pages}
    assert misfits == {}
    assert all(0 < weight <= MAX_STATIC_BYTES for weight in weights.values()), weights
    # The 404 page logs its own status as a console error; nothing else may.
    assert [p for p in anonymous.problems if "404" not in p] == []
    assert signed_in.problems == []


def test_the_navigation_links_every_customer_page(open_page, live_server):
    UserFactory(email="fay@example.com")
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, live_server.url, "fay@example.com")
    nav = page.get_by_role("navigation", name="Main")

    for link, path, heading in [
        ("Events", "/events/", "Events"),
        ("Cart", "/cart/", "Your cart"),
        ("My orders", "/orders/", "My orders"),
        ("My waitlist", "/waitlist/", "My waitlist"),
        ("My queue", "/queue/", "My queue requests"),
        ("Profile", "/accounts/profile/", "Your profile"),
    ]:
        nav.get_by_role("link", name=link, exact=True).tap()
        page.wait_for_url(live_server.url + path)
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert nav.get_by_role("link", name=link, exact=True).get_attribute("aria-current") == "page"
    assert page.problems == []
