from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_receipt(order) -> None:
    """Confirm a paid order: what was bought, for how much, and the ticket codes."""
    context = {
        "order": order,
        "lines": order.lines.select_related("ticket_type"),
        "tickets": order.tickets.all(),
    }
    send_mail(
        subject=f"Your Tixxety tickets for {order.event.title} ({order.code})",
        message=render_to_string("emails/receipt.txt", context),
        from_email=None,
        recipient_list=[order.user.email],
    )


def send_waitlist_offer(order) -> None:
    """Offer a reserved waitlist order: what is held, until when, and where to pay."""
    context = {
        "order": order,
        "lines": order.lines.select_related("ticket_type"),
        "order_path": f"/orders/{order.code}/",
    }
    send_mail(
        subject=f"Tickets for {order.event.title} are held for you ({order.code})",
        message=render_to_string("emails/waitlist_offer.txt", context),
        from_email=None,
        recipient_list=[order.user.email],
    )
