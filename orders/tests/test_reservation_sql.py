"""The booking's hand-written SQL gives what the ORM would: the same rows, complete objects."""

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Exists, Model, OuterRef

from events.models import Event, Seat, TicketType
from events.services import seats_generate
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory
from orders.services import order_reserve, reservation_sql

pytestmark = pytest.mark.usefixtures("invariants")


def _values(instance: Model) -> dict:
    """Every concrete field's value with its type: ``Decimal("1")`` and ``"1"`` must not pass as equal."""
    return {
        field.attname: (type(value), value)
        for field in instance._meta.concrete_fields
        for value in [getattr(instance, field.attname)]
    }


def _orm_ticket_types(event_id: int) -> dict[int, TicketType]:
    """What ``select_ticket_types`` stands for, written with the ORM."""
    seated = Exists(Seat.objects.filter(ticket_type_id=OuterRef("pk")))
    queryset = (
        TicketType.objects.filter(event_id=event_id).select_related("event__venue").annotate(seated=seated)
    )
    return {ticket_type.pk: ticket_type for ticket_type in queryset}


@pytest.fixture
def two_sales(db):
    """Two events with types that differ in every field the sale reads, one of them seated."""
    gala = EventFactory(
        title="Gala", description="Black tie.\nLong text " * 50, hold_minutes=5,
        venue=VenueFactory(name="Opera", address="1 Square", city="Vienna", latitude=48.2, longitude=16.37),
    )  # fmt: skip
    TicketTypeFactory(event=gala, name="VIP", price=Decimal("199.99"), priority=10, max_per_order=2)
    TicketTypeFactory(event=gala, name="Regular", price=Decimal("0.00"), currency="EUR", capacity=7)
    stalls = TicketTypeFactory(event=gala, name="Stalls", capacity=0, priority=-3)
    seats_generate(event=gala, ticket_type=stalls, rows=1, seats_per_row=4)
    matinee = EventFactory(title="Matinée ✓", description="", hold_minutes=None, status=Event.Status.DRAFT)
    TicketTypeFactory(event=matinee, name="Any")
    return gala, matinee


def test_sale_read_gives_every_field_the_orm_gives(two_sales):
    for event in two_sales:
        # given the ORM's reading of the event's ticket types with their event and venue
        expected = _orm_ticket_types(event.pk)

        # when the hand-written statement reads them
        got = reservation_sql.select_ticket_types(event.pk)

        # then the same ticket types, events and venues, field by field
        assert sorted(got) == sorted(expected)
        for pk, ticket_type in got.items():
            assert _values(ticket_type) == _values(expected[pk])
            assert ticket_type.seated is expected[pk].seated
            assert _values(ticket_type.event) == _values(expected[pk].event)
            assert _values(ticket_type.event.venue) == _values(expected[pk].event.venue)


def test_sale_read_objects_are_complete_and_share_their_event(two_sales, django_assert_num_queries):
    gala, _ = two_sales

    with django_assert_num_queries(1):
        ticket_types = list(reservation_sql.select_ticket_types(gala.pk).values())

    assert len({id(ticket_type.event) for ticket_type in ticket_types}) == 1
    event = ticket_types[0].event
    for instance in [*ticket_types, event, event.venue]:
        assert instance.get_deferred_fields() == set()
        assert not instance._state.adding
    assert {t.name: t.seated for t in ticket_types} == {"VIP": False, "Regular": False, "Stalls": True}


def test_sale_read_of_an_event_without_ticket_types_is_empty(db):
    assert reservation_sql.select_ticket_types(EventFactory().pk) == {}


def test_reading_the_booked_event_venue_and_types_costs_no_query(
    two_sales, customer, django_assert_num_queries
):
    # given an order just booked across two ticket types
    gala, _ = two_sales
    vip, regular = TicketType.objects.filter(event=gala, name__in=["VIP", "Regular"]).order_by("name")
    regular.currency = vip.currency
    regular.save(update_fields=["currency"])
    order = order_reserve(user=customer, event_id=gala.pk, items=[(vip.pk, 1), (regular.pk, 2)])

    # when a notification reads what it would show, then nothing is fetched again
    with django_assert_num_queries(0):
        shown = (
            order.event.slug,
            order.event.description,
            order.event.venue.name,
            order.event.venue.city,
            [(line.ticket_type.name, line.ticket_type.priority) for line in order.lines.all()],
            len(order.tickets.all()),
        )

    assert shown[:4] == (gala.slug, gala.description, "Opera", "Vienna")
    assert sorted(shown[4]) == [("Regular", 0), ("VIP", 10)]
    assert shown[5] == 3


def test_flash_sale_ceiling_runs_the_services_own_statements(db):
    path = Path(settings.BASE_DIR) / "bench" / "flash_sale.py"
    spec = importlib.util.spec_from_file_location("flash_sale", path)
    flash_sale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(flash_sale)

    script = flash_sale.pgbench_script()

    assert flash_sale.bind(reservation_sql.select_sql(), [":ev"]) in script
    assert flash_sale.bind(reservation_sql.claim_sql(), ["1", ":tt", "1"]) in script
    assert "%s" not in script
    assert [line.split(" (")[0] for line in script.splitlines() if line.startswith("INSERT")] == [
        'INSERT INTO "orders_order"',
        'INSERT INTO "orders_orderline"',
        'INSERT INTO "tickets_ticket"',
    ]
