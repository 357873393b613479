"""The door page in a real browser (Debian's Chromium) on a phone-sized screen, against the live server."""

import base64

import pytest

from accounts.tests.factories import UserFactory
from orders.services import order_pay, order_reserve
from orders.tests.browser import check_page, new_page, scrolls_sideways, sign_in
from orders.tests.factories import on_sale_event
from tickets import qr
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PHONE = {"width": 360, "height": 740}


def test_staff_type_a_code_see_green_then_red_and_the_count_move(browser, live_server, invariants):
    event, types = on_sale_event(Regular=10)
    buyer = UserFactory()
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 2)])
    order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")
    ticket = order.tickets.first()
    staff = UserFactory(role="staff", name="Dora Door")
    page = new_page(browser, viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        sign_in(page, live_server.url, staff.email)
        page.get_by_role("link", name="Check-in").click()
        page.get_by_label("Event").select_option(label=f"{event.title} · {event.starts_at:%-d %b, %H:%M}")
        page.get_by_role("button", name="Choose").click()
        page.get_by_text("0 checked in of 2 sold").wait_for()

        page.get_by_label("Ticket code").fill(ticket.secret)
        page.get_by_role("button", name="Check in").click()
        page.locator(".verdict-ok").get_by_text("Admit").wait_for()
        page.get_by_text("1 checked in of 2 sold").wait_for()
        assert page.get_by_label("Ticket code").input_value() == ""  # ready for the next scan

        page.get_by_label("Ticket code").fill(ticket.secret)
        page.get_by_role("button", name="Check in").click()
        page.locator(".verdict-bad").get_by_text("Already checked in at").wait_for()
        assert "Dora Door" in page.locator(".verdict-bad").inner_text()

        assert "/checkin/" in page.url  # answered in place, through the API
        assert Ticket.objects.get(pk=ticket.pk).checked_in_by == staff
        assert not scrolls_sideways(page)
        assert check_page(page, "checkin-phone") == []
        # Chromium logs every 4xx response as a console error; the second scan's 409 is the expected one.
        assert [p for p in page.problems if "status of 409" not in p] == []
    finally:
        page.context.close()


def test_the_vendored_decoder_reads_a_ticket_qr_code(browser, live_server):
    """The camera fallback: jsQR, as the page loads it, decodes the PNG a ticket's owner is shown."""
    event, types = on_sale_event(Regular=10)
    buyer = UserFactory()
    order = order_reserve(user=buyer, event_id=event.pk, items=[(types["Regular"].pk, 1)])
    order_pay(order_id=order.pk, by=buyer, provider="test", token="tok_visa")
    ticket = order.tickets.get()
    png = base64.b64encode(qr.qr_png(ticket.secret)).decode()
    page = new_page(browser)
    try:
        sign_in(page, live_server.url, UserFactory(role="staff").email)
        page.goto(f"{live_server.url}/checkin/?event={event.pk}")
        decoded = page.evaluate(
            """async (png) => {
                const form = document.querySelector("[data-checkin-form]");
                await new Promise((resolve, reject) => {
                    const script = document.createElement("script");
                    script.src = form.getAttribute("data-jsqr");
                    script.onload = resolve;
                    script.onerror = reject;
                    document.head.appendChild(script);
                });
                const image = new Image();
                image.src = "data:image/png;base64," + png;
                await image.decode();
                const canvas = document.createElement("canvas");
                canvas.width = image.width;
                canvas.height = image.height;
                const context = canvas.getContext("2d");
                context.drawImage(image, 0, 0);
                const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
                const found = jsQR(pixels.data, pixels.width, pixels.height);
                return found && found.data;
            }""",
            png,
        )
        assert decoded == ticket.secret
        assert page.problems == []
    finally:
        page.context.close()
