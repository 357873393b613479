"""Cart and order pages: book, cart, checkout, my orders, an order with pay, cancel and refund; the waitlist.

Each action is a form posted to its own URL that calls the same service as
the API; a refusal is shown with the service's words (``call_service``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from events.views import booking_form, event_page_context
from orders import selectors, services
from orders.forms import CartQuantityForm, ConfirmForm, PayForm, WaitlistJoinForm
from orders.models import Order, WaitlistEntry
from orders.services import waitlist
from orders.services.queue import ticket_request_create
from tickets.models import Ticket
from tixxety.pages import REFUSED, call_service
from tixxety.ratelimits import rate_limit

ORDERS_PER_PAGE = 20


def _own_order(request, code: str) -> Order:
    """The signed-in user's order by code; another user's, staff included, is a 404 here."""
    return get_object_or_404(selectors.order_list(user=request.user).filter(user=request.user), code=code)


@login_required
@require_POST
@rate_limit("booking")
def event_book(request, pk: int):
    """Book now (a reserved order) or add to the cart, from an event page's form."""
    form = booking_form(request, pk, request.POST)
    to_cart = request.POST.get("action") == "cart"
    if form.is_valid():
        if to_cart:
            if _add_to_cart(request, form):
                return redirect("cart")
        else:
            order = call_service(
                form,
                services.order_reserve,
                user=request.user,
                event_id=pk,
                items=form.items(),
                seat_ids=form.seat_ids(),
            )
            if order is not REFUSED:
                messages.success(request, "Your tickets are reserved: pay before the time runs out.")
                return redirect("order-detail", code=order.code)
    return render(request, "events/detail.html", event_page_context(request, pk, form))


@login_required
@require_POST
@rate_limit("booking")
def event_queue_join(request, pk: int):
    """Join a queue-mode event's queue from its page's form; then follow the request's page."""
    form = booking_form(request, pk, request.POST)
    if form.is_valid():
        ticket_request = call_service(
            form, ticket_request_create, user=request.user, event_id=pk, items=form.items()
        )
        if ticket_request is not REFUSED:
            messages.success(request, "You are in the queue.")
            return redirect("ticket-request-detail", pk=ticket_request.pk)
    return render(request, "events/detail.html", event_page_context(request, pk, form))


@login_required
@require_GET
def ticket_request_detail(request, pk: int):
    """A queue request's live position, then its order or the reason it was refused."""
    ticket_request = get_object_or_404(
        selectors.ticket_request_list(user=request.user).select_related("event", "order"), pk=pk
    )
    return render(request, "orders/ticket_request.html", {"ticket_request": ticket_request})


@login_required
@require_GET
def ticket_request_list(request):
    requests = selectors.ticket_request_list(user=request.user).select_related("event").order_by("-id")
    page = Paginator(requests, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "orders/ticket_request_list.html", {"page": page})


def _add_to_cart(request, form) -> bool:
    """Add each chosen line; stop at the first refusal (lines added before it stay in the cart)."""
    lines = [{"ticket_type_id": pk, "quantity": n} for pk, n in form.items()]
    lines += [{"seat_id": seat_id} for seat_id in form.seat_ids()]
    for line in lines:
        if call_service(form, services.cart_add_item, user=request.user, **line) is REFUSED:
            return False
    messages.success(request, "Added to your cart.")
    return True


@login_required
@require_GET
def cart(request):
    return render(request, "orders/cart.html", {"cart": selectors.cart_get(user=request.user)})


@login_required
@require_POST
def cart_item_update(request, item_id: int):
    form = CartQuantityForm(request.POST)
    if form.is_valid():
        call_service(form, services.cart_update_item, user=request.user, item_id=item_id, **form.cleaned_data)
    if not _flash_errors(request, form):
        messages.success(request, "Quantity updated.")
    return redirect("cart")


@login_required
@require_POST
def cart_item_remove(request, item_id: int):
    form = ConfirmForm(request.POST)
    if call_service(form, services.cart_remove_item, user=request.user, item_id=item_id) is REFUSED:
        _flash_errors(request, form)
    else:
        messages.success(request, "Removed from your cart.")
    return redirect("cart")


@login_required
@require_POST
@rate_limit("booking")
def cart_checkout(request):
    form = ConfirmForm(request.POST)
    order = call_service(form, services.cart_checkout, user=request.user)
    if order is REFUSED:
        _flash_errors(request, form)
        return redirect("cart")
    messages.success(request, "Your tickets are reserved: pay before the time runs out.")
    return redirect("order-detail", code=order.code)


@login_required
@require_GET
def order_list(request):
    orders = (
        Order.objects.filter(user=request.user)
        .select_related("event")
        .annotate(ticket_count=Count("tickets"))
        .order_by("-created_at", "-id")
    )
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "orders/list.html", {"page": page})


@login_required
@require_GET
def order_detail(request, code: str):
    return _render_order(request, _own_order(request, code))


def _render_order(request, order: Order, pay_form: PayForm | None = None):
    types = {line.ticket_type_id: line.ticket_type for line in order.lines.all()}
    context = {
        "order": order,
        # Shown as expired from the moment the hold runs out; the expiry job may come a little later.
        "hold_over": order.hold_is_over(),
        "pay_form": pay_form or PayForm(),
        # Ticket types come from the lines already read: no query per ticket.
        "valid_tickets": [
            (ticket, types[ticket.ticket_type_id])
            for ticket in order.tickets.all()
            if ticket.status == Ticket.Status.VALID
        ],
    }
    return render(request, "orders/detail.html", context)


@login_required
@require_POST
def order_pay(request, code: str):
    order = _own_order(request, code)
    form = PayForm(request.POST)
    if form.is_valid():
        paid = call_service(
            form, services.order_pay, order_id=order.pk, by=request.user, provider="test", **form.cleaned_data
        )
        if paid is not REFUSED:
            messages.success(request, "Payment received: your tickets are below.")
            return redirect("order-detail", code=code)
    return _render_order(request, _own_order(request, code), form)


@login_required
@require_POST
def order_cancel(request, code: str):
    return _order_command(request, code, services.order_cancel, "Your reservation is cancelled.")


@login_required
@require_POST
def order_refund(request, code: str):
    return _order_command(request, code, services.order_refund, "Refunded: your tickets are void.")


def _order_command(request, code: str, service, success: str):
    order = _own_order(request, code)
    form = ConfirmForm(request.POST)
    if call_service(form, service, order_id=order.pk, by=request.user) is REFUSED:
        _flash_errors(request, form)
    else:
        messages.success(request, success)
    return redirect("order-detail", code=code)


def _flash_errors(request, form) -> bool:
    """Show a refused form's errors as flash messages; True when there were any."""
    errors = [error for field_errors in form.errors.values() for error in field_errors]
    for error in errors:
        messages.error(request, error)
    return bool(errors)


@login_required
@require_POST
@rate_limit("booking")
def waitlist_join(request, pk: int):
    """Join the waitlist of a sold-out type: the event page's button names it, its field the quantity."""
    ticket_type = request.POST.get("ticket_type", "")
    form = WaitlistJoinForm(
        {"ticket_type": ticket_type, "quantity": request.POST.get(f"waitlist_qty_{ticket_type}", 1)}
    )
    if not form.is_valid() or (
        call_service(
            form,
            waitlist.waitlist_join,
            user=request.user,
            event_id=pk,
            ticket_type_id=form.cleaned_data["ticket_type"],
            quantity=form.cleaned_data["quantity"],
        )
        is REFUSED
    ):
        _flash_errors(request, form)
        return redirect("event-detail", pk=pk)
    messages.success(request, "You are on the waitlist: we e-mail you as soon as tickets are held for you.")
    return redirect("waitlist")


@login_required
@require_GET
def waitlist_page(request):
    entries = selectors.waitlist_entry_list(user=request.user)
    return render(
        request, "orders/waitlist.html", {"entries": entries, "active": WaitlistEntry.ACTIVE_STATUSES}
    )


@login_required
@require_POST
def waitlist_leave(request, entry_id: int):
    form = ConfirmForm(request.POST)
    if call_service(form, waitlist.waitlist_leave, entry_id=entry_id, by=request.user) is REFUSED:
        _flash_errors(request, form)
    else:
        messages.success(request, "You have left the waitlist.")
    return redirect("waitlist")
