"""Catalogue pages: home, the events list and an event page. Booking is posted to the orders app."""

from itertools import groupby

from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from events import selectors
from events.forms import MY_LOCATION, NEAR_RADIUS_KM, BookingForm, EventSearchForm
from events.models import Event, TicketType

EVENTS_PER_PAGE = 12
HOME_UPCOMING = 6


def homepage_stats() -> dict:
    """Upcoming published events, the cities they are in, and tickets sold for them (two queries)."""
    upcoming = Event.objects.filter(status=Event.Status.PUBLISHED, ends_at__gte=timezone.now())
    figures = upcoming.aggregate(events=Count("id"), cities=Count("venue__city", distinct=True))
    sold = TicketType.objects.filter(event__in=upcoming).aggregate(n=Sum("sold_count"))["n"] or 0
    return {**figures, "tickets_sold": sold}


@require_GET
def home(request):
    user = request.user
    upcoming = selectors.event_list(user=None, filters=selectors.EventFilters())[:HOME_UPCOMING]
    nearby = None
    if user.is_authenticated and user.has_location:
        nearby = selectors.event_list_near(
            latitude=user.latitude, longitude=user.longitude, max_distance_km=NEAR_RADIUS_KM
        )[:HOME_UPCOMING]
    context = {
        "stats": homepage_stats(),
        "upcoming": upcoming,
        "nearby": nearby,
        "near_radius": NEAR_RADIUS_KM,
    }
    return render(request, "events/home.html", context)


@require_GET
def event_list(request):
    """Upcoming published events: search, date range, near a place (distance shown), 12 a page."""
    form = EventSearchForm(request.GET or None, user=request.user)
    events = selectors.event_list(user=None, filters=form.to_filters())
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "near_active": bool(form.is_valid() and form.cleaned_data.get("near")),
        "my_location": MY_LOCATION,
        "near_radius": NEAR_RADIUS_KM,
    }
    return render(request, "events/list.html", context)


def event_page_context(request, pk: int, form: BookingForm | None = None) -> dict:
    """What the event page shows; the orders app re-renders it with a refused booking form."""
    event = selectors.event_detail_list(user=request.user).filter(pk=pk).first()
    if event is None:
        raise Http404("No such event.")
    ticket_types = list(event.ticket_types.all())
    seats = list(selectors.seat_list(event=event)) if event.is_seated else []
    if form is None:
        form = BookingForm(ticket_types=ticket_types, seats=seats)
    return {
        "event": event,
        "ticket_rows": [
            (t, form[f"qty_{t.pk}"].value() if f"qty_{t.pk}" in form.fields else None) for t in ticket_types
        ],
        "seat_rows": [
            (row, list(row_seats)) for row, row_seats in groupby(seats, key=lambda s: s["row_label"])
        ],
        "seat_types": {seat["ticket_type_id"] for seat in seats},
        "form": form,
        "chosen_seats": {str(seat) for seat in (form["seats"].value() or [])},
        "on_sale": event.status == Event.Status.PUBLISHED and event.ends_at > timezone.now(),
        "queue_only": event.sale_mode == Event.SaleMode.QUEUE,
    }


def booking_form(request, pk: int, data) -> BookingForm:
    """The event's booking form bound to ``data``.

    Every seat is a choice, taken or not: a seat someone else claimed since
    the page was drawn is refused by the service, in the API's words.
    """
    event = selectors.event_visible_list(user=request.user).filter(pk=pk).first()
    if event is None:
        raise Http404("No such event.")
    seats = list(selectors.seat_list(event=event))
    return BookingForm(data, ticket_types=list(selectors.ticket_type_list(event=event)), seats=seats)


@require_GET
def event_detail(request, pk: int):
    return render(request, "events/detail.html", event_page_context(request, pk))
