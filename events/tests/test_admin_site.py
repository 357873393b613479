from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event, Seat, TicketType, Venue
from events.services import seats_generate
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/events/event/"
SEATS = "/admin/events/seat/"


def change_url(event):
    return f"{CHANGELIST}{event.pk}/change/"


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def book(ticket_type, *, reserved=0, sold=0):
    """Stand in for the order services, which own the counters."""
    TicketType.objects.filter(pk=ticket_type.pk).update(reserved_count=reserved, sold_count=sold)


def change_form_data(event, *, ticket_types=(), changes=None, **overrides):
    """The change form as the browser posts it, with ``changes`` per ticket type pk."""
    starts_at, ends_at = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    data = {
        "title": event.title,
        "slug": event.slug,
        "description": event.description,
        "venue": event.venue_id,
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M:%S"),
        "ends_at_0": ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": ends_at.strftime("%H:%M:%S"),
        "status": event.status,
        "sale_mode": event.sale_mode,
        "hold_minutes": event.hold_minutes or "",
        "ticket_types-TOTAL_FORMS": len(ticket_types),
        "ticket_types-INITIAL_FORMS": len(ticket_types),
        "ticket_types-MIN_NUM_FORMS": 0,
        "ticket_types-MAX_NUM_FORMS": 1000,
    }
    for index, ticket_type in enumerate(ticket_types):
        row = {
            "id": ticket_type.pk,
            "event": event.pk,
            "name": ticket_type.name,
            "price": ticket_type.price,
            "currency": ticket_type.currency,
            "capacity": ticket_type.capacity,
            "priority": ticket_type.priority,
            "max_per_order": ticket_type.max_per_order,
            **(changes or {}).get(ticket_type.pk, {}),
        }
        data.update({f"ticket_types-{index}-{name}": value for name, value in row.items()})
    data.update(overrides)
    return data


# --- who gets in ------------------------------------------------------------


def test_staff_view_the_event_changelist_and_change_page(client, staff):
    ticket_type = TicketTypeFactory(name="Balcony", event__title="Jazz on the Roof")
    client.force_login(staff)

    changelist = client.get(CHANGELIST)
    change = client.get(change_url(ticket_type.event))

    assert changelist.status_code == change.status_code == 200
    assert "Jazz on the Roof" in changelist.text
    assert "Balcony" in change.text
    # A view-only page: no inline formset to post, no actions to run.
    assert not change.context["has_change_permission"]
    assert changelist.context["action_form"] is None


@pytest.mark.parametrize("path", [CHANGELIST, "/admin/events/venue/", SEATS])
def test_customers_cannot_reach_the_catalogue_admin(client, customer, path):
    client.force_login(customer)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_cannot_change_an_event(client, staff):
    event = EventFactory(title="Before")
    client.force_login(staff)

    response = client.post(change_url(event), change_form_data(event, title="After"))

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.title == "Before"


def test_staff_cannot_run_the_deactivate_action(client, staff):
    event = EventFactory()
    client.force_login(staff)

    client.post(CHANGELIST, {"action": "deactivate_events", "_selected_action": [event.pk], "index": 0})

    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED


# --- the changelist ---------------------------------------------------------


def test_changelist_sums_capacity_and_bookings_per_event(client, admin):
    event = EventFactory()
    vip = TicketTypeFactory(event=event, name="VIP", capacity=20)
    TicketTypeFactory(event=event, name="Regular", capacity=80)
    book(vip, reserved=5, sold=3)
    EventFactory(title="Nothing on sale yet")
    client.force_login(admin)

    response = client.get(CHANGELIST)

    rows = {row.title: (row.capacity_total, row.booked_total) for row in response.context["cl"].result_list}
    assert rows == {event.title: (100, 8), "Nothing on sale yet": (0, 0)}


def test_changelist_filters_by_status_venue_and_date(client, admin):
    now = timezone.now()
    arena = VenueFactory(name="Arena")
    soon = EventFactory(title="Soon", venue=arena, starts_at=now + timedelta(days=3))
    EventFactory(title="Later", starts_at=now + timedelta(days=90))
    EventFactory(title="Draft", status=Event.Status.DRAFT, venue=arena, starts_at=now + timedelta(days=4))
    client.force_login(admin)

    def titles(params):
        response = client.get(CHANGELIST, params)
        assert response.status_code == 200
        return sorted(event.title for event in response.context["cl"].result_list)

    assert titles({"status__exact": "draft"}) == ["Draft"]
    assert titles({"venue__id__exact": arena.pk}) == ["Draft", "Soon"]
    # The links DateFieldListFilter builds carry aware midnights, as here.
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    next_month = {
        "starts_at__gte": str(midnight + timedelta(days=1)),
        "starts_at__lt": str(midnight + timedelta(days=30)),
    }
    assert titles(next_month) == ["Draft", "Soon"]
    assert titles({"status__exact": "published", "venue__id__exact": arena.pk}) == [soon.title]


def test_changelist_searches_title_slug_and_venue(client, admin):
    EventFactory(title="Moonlight Sonata", slug="moonlight-sonata", venue=VenueFactory(city="Vienna"))
    EventFactory(
        title="Rock Night", slug="rock-night", venue=VenueFactory(name="Steel Hall", city="Pittsburgh")
    )
    client.force_login(admin)

    def titles(query):
        return [event.title for event in client.get(CHANGELIST, {"q": query}).context["cl"].result_list]

    assert titles("sonata") == ["Moonlight Sonata"]
    assert titles("rock-night") == ["Rock Night"]
    assert titles("vienna") == ["Moonlight Sonata"]
    assert titles("steel hall") == ["Rock Night"]


def _changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


def test_changelist_query_count_does_not_grow_with_events(client, admin):
    def make_events(count):
        for _ in range(count):
            event = EventFactory()
            TicketTypeFactory.create_batch(2, event=event)

    client.force_login(admin)
    make_events(3)
    few_queries, few_rows = _changelist_queries(client)
    make_events(27)

    many_queries, many_rows = _changelist_queries(client)

    assert (few_rows, many_rows) == (3, 30)
    # Venue filter choices are one query whatever their number; rows add none.
    assert many_queries == few_queries
    assert few_queries <= 10


# --- actions ----------------------------------------------------------------


def test_deactivate_action_deactivates_through_the_service_and_reports_refusals(client, admin):
    published = EventFactory(title="Live")
    draft = EventFactory(title="Not yet", status=Event.Status.DRAFT)
    client.force_login(admin)

    response = client.post(
        CHANGELIST,
        {"action": "deactivate_events", "_selected_action": [published.pk, draft.pk], "index": 0},
        follow=True,
    )

    assert response.status_code == 200
    published.refresh_from_db()
    draft.refresh_from_db()
    assert published.status == Event.Status.DEACTIVATED
    assert draft.status == Event.Status.DRAFT
    assert messages_of(response) == [
        "Not yet: An event cannot go from draft to deactivated.",
        "Deactivated 1 event.",
    ]
    levels = {str(message): message.level_tag for message in response.context["messages"]}
    assert levels["Not yet: An event cannot go from draft to deactivated."] == "error"


def test_delete_selected_is_not_offered_for_events(client, admin):
    EventFactory()
    client.force_login(admin)

    response = client.get(CHANGELIST)

    choices = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in choices
    assert {"deactivate_events", "generate_seats"} <= set(choices)


def test_generate_seats_action_asks_for_the_grid_then_creates_the_seats(client, admin):
    event = EventFactory(title="Opera Night")
    stalls = TicketTypeFactory(event=event, name="Stalls", capacity=1)
    other_event_type = TicketTypeFactory(name="Elsewhere")
    client.force_login(admin)

    page = client.post(CHANGELIST, {"action": "generate_seats", "_selected_action": [event.pk], "index": 0})

    assert page.status_code == 200
    assert "admin/events/event/generate_seats.html" in [t.name for t in page.templates]
    form = page.context["form"]
    assert list(form.fields["ticket_type"].queryset) == [stalls]
    assert other_event_type not in form.fields["ticket_type"].queryset
    assert form.fields["seats_per_row"].initial == 10
    assert Seat.objects.count() == 0

    done = client.post(
        CHANGELIST,
        {"action": "generate_seats", "_selected_action": [event.pk], "apply": "yes",
         "ticket_type": stalls.pk, "rows": 3, "seats_per_row": 10},
        follow=True,
    )  # fmt: skip

    labels = list(Seat.objects.filter(event=event).order_by("pk").values_list("label", flat=True))
    assert len(labels) == 30
    assert labels[:3] == ["A1", "A2", "A3"] and labels[-1] == "C10"
    stalls.refresh_from_db()
    assert stalls.capacity == 30
    assert messages_of(done) == ["Generated 30 seats (A1 to C10) for Stalls of Opera Night."]


def test_generate_seats_action_refuses_several_events(client, admin):
    first, second = TicketTypeFactory().event, TicketTypeFactory().event
    client.force_login(admin)

    response = client.post(
        CHANGELIST,
        {"action": "generate_seats", "_selected_action": [first.pk, second.pk], "index": 0},
        follow=True,
    )

    assert response.status_code == 200
    assert messages_of(response) == ["Select exactly one event to generate seats for."]
    assert Seat.objects.count() == 0


def test_generate_seats_action_shows_domain_errors(client, admin):
    event = EventFactory()
    stalls = TicketTypeFactory(event=event, name="Stalls")
    seats_generate(event=event, ticket_type=stalls, rows=2)
    book(stalls, reserved=1)
    client.force_login(admin)

    response = client.post(
        CHANGELIST,
        {"action": "generate_seats", "_selected_action": [event.pk], "apply": "yes",
         "ticket_type": stalls.pk, "rows": 1, "seats_per_row": 5, "replace": "on"},
    )  # fmt: skip

    assert response.status_code == 200  # the form again, with the refusal above it
    assert messages_of(response) == ["Seats of 'Stalls' are reserved or sold: they cannot be replaced."]
    assert Seat.objects.filter(event=event).count() == 20


def test_generate_seats_action_refuses_an_event_without_ticket_types(client, admin):
    event = EventFactory(title="Empty")
    client.force_login(admin)

    response = client.post(
        CHANGELIST, {"action": "generate_seats", "_selected_action": [event.pk], "index": 0}, follow=True
    )

    assert messages_of(response) == ["Empty has no ticket types: add one first."]


# --- the change form and its ticket types -----------------------------------


def test_lowering_capacity_below_reserved_and_sold_is_refused(client, admin):
    event = EventFactory()
    balcony = TicketTypeFactory(event=event, name="Balcony", capacity=50)
    book(balcony, reserved=30, sold=10)
    client.force_login(admin)

    response = client.post(
        change_url(event),
        change_form_data(event, ticket_types=[balcony], changes={balcony.pk: {"capacity": 35}}),
    )

    assert response.status_code == 200
    inline_errors = response.context["inline_admin_formsets"][0].formset.errors
    assert inline_errors == [{"capacity": ["Capacity of 'Balcony' cannot drop below 40 (reserved + sold)."]}]
    assert "Capacity of &#x27;Balcony&#x27; cannot drop below 40" in response.text
    balcony.refresh_from_db()
    assert (balcony.capacity, balcony.reserved_count, balcony.sold_count) == (50, 30, 10)


def test_capacity_changes_are_saved_and_counters_cannot_be_posted(client, admin):
    event = EventFactory()
    balcony = TicketTypeFactory(event=event, name="Balcony", capacity=50)
    book(balcony, reserved=30, sold=10)
    client.force_login(admin)

    response = client.post(
        change_url(event),
        change_form_data(
            event,
            ticket_types=[balcony],
            changes={balcony.pk: {"capacity": 40, "price": "30.00", "reserved_count": 0, "sold_count": 0}},
        ),
    )

    assert response.status_code == 302
    balcony.refresh_from_db()
    assert (balcony.capacity, balcony.price) == (40, Decimal("30.00"))
    assert (balcony.reserved_count, balcony.sold_count) == (30, 10)


def test_a_seated_ticket_type_capacity_edit_is_refused_with_the_api_message(client, admin):
    event = EventFactory()
    stalls = TicketTypeFactory(event=event, name="Stalls", capacity=1)
    seats_generate(event=event, ticket_type=stalls, rows=3)
    stalls.refresh_from_db()
    client.force_login(admin)

    response = client.post(
        change_url(event),
        change_form_data(event, ticket_types=[stalls], changes={stalls.pk: {"capacity": 45}}),
    )

    assert response.status_code == 200
    inline_errors = response.context["inline_admin_formsets"][0].formset.errors
    assert inline_errors == [
        {"capacity": ["Capacity of 'Stalls' is its 30 seats: generate or replace seats to change it."]}
    ]
    stalls.refresh_from_db()
    assert stalls.capacity == Seat.objects.filter(ticket_type=stalls).count() == 30


def test_a_seated_ticket_type_keeps_its_other_fields_editable(client, admin):
    event = EventFactory()
    stalls = TicketTypeFactory(event=event, name="Stalls", capacity=1)
    seats_generate(event=event, ticket_type=stalls, rows=3)
    stalls.refresh_from_db()
    client.force_login(admin)

    response = client.post(
        change_url(event),
        change_form_data(event, ticket_types=[stalls], changes={stalls.pk: {"price": "80.00"}}),
    )

    assert response.status_code == 302
    stalls.refresh_from_db()
    assert (stalls.capacity, stalls.price) == (30, Decimal("80.00"))


def test_a_ticket_type_with_sales_cannot_be_deleted(client, admin):
    event = EventFactory()
    balcony = TicketTypeFactory(event=event, name="Balcony")
    book(balcony, sold=1)
    client.force_login(admin)

    response = client.post(
        change_url(event),
        change_form_data(event, ticket_types=[balcony], changes={balcony.pk: {"DELETE": "on"}}),
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "Ticket type 'Balcony' has reservations or sales: it cannot be deleted."
    ]
    assert TicketType.objects.filter(pk=balcony.pk).exists()


def test_admin_adds_an_event_with_ticket_types(client, admin):
    venue = VenueFactory()
    starts_at = datetime(2031, 5, 1, 20, 0, tzinfo=timezone.get_current_timezone())
    template = Event(title="Spring Gala", slug="spring-gala-2031", venue=venue, status=Event.Status.PUBLISHED,
                     starts_at=starts_at, ends_at=starts_at + timedelta(hours=3))  # fmt: skip
    data = change_form_data(template)
    data.update(
        {
            "ticket_types-TOTAL_FORMS": 2,
            "ticket_types-INITIAL_FORMS": 0,
            **{f"ticket_types-0-{k}": v for k, v in {"name": "VIP", "price": "99.00", "currency": "EUR",
               "capacity": 20, "priority": 10, "max_per_order": 4}.items()},
            **{f"ticket_types-1-{k}": v for k, v in {"name": "Regular", "price": "30.00", "currency": "EUR",
               "capacity": 80, "priority": 0, "max_per_order": 10}.items()},
        }
    )  # fmt: skip
    client.force_login(admin)

    response = client.post(f"{CHANGELIST}add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(title="Spring Gala")
    assert event.slug == "spring-gala-2031"
    assert event.starts_at == starts_at
    assert list(event.ticket_types.values_list("name", "capacity", "priority")) == [
        ("VIP", 20, 10),
        ("Regular", 80, 0),
    ]


def test_a_forbidden_status_change_is_a_form_error(client, admin):
    event = EventFactory(status=Event.Status.CANCELLED)
    client.force_login(admin)

    response = client.post(change_url(event), change_form_data(event, status=Event.Status.PUBLISHED))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [
        "An event cannot go from cancelled to published."
    ]
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED


def test_an_event_ending_before_it_starts_is_a_form_error(client, admin):
    event = EventFactory()
    client.force_login(admin)
    starts_at = timezone.localtime(event.starts_at)

    response = client.post(
        change_url(event),
        change_form_data(
            event, ends_at_0=starts_at.strftime("%Y-%m-%d"), ends_at_1=starts_at.strftime("%H:%M:%S")
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["ends_at"] == ["The event must end after it starts."]


def test_cancelling_an_event_with_sales_is_refused_by_the_service(client, admin):
    event = EventFactory(title="Sold Well")
    regular = TicketTypeFactory(event=event, name="Regular")
    book(regular, sold=2)
    client.force_login(admin)

    response = client.post(
        change_url(event),
        change_form_data(event, ticket_types=[regular], title="Renamed", status=Event.Status.CANCELLED),
        follow=True,
    )

    assert response.status_code == 200
    assert messages_of(response) == [
        "The event has reservations or sales: refund its orders before cancelling it."
    ]
    event.refresh_from_db()
    assert (event.title, event.status) == ("Sold Well", Event.Status.PUBLISHED)


def test_deleting_an_event_with_sales_is_refused(client, admin):
    event = EventFactory()
    book(TicketTypeFactory(event=event), sold=1)
    client.force_login(admin)

    response = client.post(f"{CHANGELIST}{event.pk}/delete/", {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == ["The event has orders: deactivate it instead of deleting it."]
    assert Event.objects.filter(pk=event.pk).exists()


# --- venues and seats -------------------------------------------------------


def test_venue_changelist_lists_and_searches(client, staff):
    VenueFactory(name="Royal Albert Hall", address="Kensington Gore", city="London", latitude=51.5009)
    VenueFactory(name="Brooklyn Steel", city="New York")
    client.force_login(staff)

    response = client.get("/admin/events/venue/", {"q": "kensington"})

    assert response.status_code == 200
    assert [venue.name for venue in response.context["cl"].result_list] == ["Royal Albert Hall"]
    assert "51.5009" in response.text


def test_seat_changelist_filters_by_event_and_searches_labels(client, admin):
    event = EventFactory()
    seats_generate(event=event, ticket_type=TicketTypeFactory(event=event), rows=2, seats_per_row=3)
    other = EventFactory()
    seats_generate(event=other, ticket_type=TicketTypeFactory(event=other), rows=1, seats_per_row=3)
    client.force_login(admin)

    filtered = client.get(SEATS, {"event__id__exact": event.pk})
    searched = client.get(SEATS, {"q": "B2"})

    assert filtered.context["cl"].result_count == 6
    assert [seat.label for seat in searched.context["cl"].result_list] == ["B2"]
    # Seats come from the generate-seats action only.
    assert client.get(f"{SEATS}add/").status_code == 403


def test_admin_adds_and_edits_a_venue(client, admin):
    client.force_login(admin)
    fields = {"name": "Uber Arena", "address": "Uber-Platz 1", "city": "Berlin",
              "latitude": "52.5053", "longitude": "13.443"}  # fmt: skip

    added = client.post("/admin/events/venue/add/", fields)
    venue = Venue.objects.get(name="Uber Arena")
    changed = client.post(
        f"/admin/events/venue/{venue.pk}/change/", {**fields, "city": "Berlin-Friedrichshain"}
    )

    assert added.status_code == changed.status_code == 302
    venue.refresh_from_db()
    assert (venue.city, venue.latitude, venue.longitude) == ("Berlin-Friedrichshain", 52.5053, 13.443)


def test_a_venue_with_events_is_not_deleted(client, admin):
    event = EventFactory()
    client.force_login(admin)

    response = client.post(f"/admin/events/venue/{event.venue_id}/delete/", {"post": "yes"})

    assert response.status_code == 200  # Django's "protected objects" page
    assert Venue.objects.filter(pk=event.venue_id).exists()
