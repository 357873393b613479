"""A small sales history with numbers worked out by hand, built through the real services.

Alpha (USD): VIP 100.00 x 10, Regular 25.00 x 50. Beta (EUR): GA 40.00 x 20.

=====  ========  =====  ===========================  ======  =========================
order  customer  event  lines                        total   what happened (UTC)
=====  ========  =====  ===========================  ======  =========================
1      ann       Alpha  2 VIP + 4 Regular            300.00  paid 10 Mar 10:00
2      ann       Alpha  1 Regular                     25.00  paid 11 Mar 12:00
3      bob       Alpha  1 VIP                        100.00  paid 10 Mar 23:30, refunded 11 Mar 09:00
4      bob       Beta   3 GA                         120.00  paid 11 Mar 23:59
5      cy        Alpha  2 Regular                     50.00  reserved
6      cy        Beta   1 GA                          40.00  cancelled
7      cy        Alpha  1 VIP                        100.00  expired
=====  ========  =====  ===========================  ======  =========================

Then Alpha starts (it began a minute ago and runs three hours), and order 1's two
VIP tickets and one of its Regular tickets are checked in. Ann, Bob and Cy joined on 1 and 2 March.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from events.models import Event, TicketType
from events.tests.factories import EventFactory, TicketTypeFactory
from orders.models import Order, Payment
from orders.services import order_cancel, order_expire, order_pay, order_refund, order_reserve
from tickets.models import Ticket


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@dataclass
class World:
    alpha: Event
    beta: Event
    vip: TicketType
    regular: TicketType
    ga: TicketType
    ann: User
    bob: User
    cy: User
    orders: list[Order]


def _paid(order: Order, by: User, paid_at: datetime) -> Order:
    order_pay(order_id=order.pk, by=by, provider="test", token="tok_visa")
    Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
    Payment.objects.filter(order=order, kind=Payment.Kind.CHARGE).update(created_at=paid_at)
    return order


def build_world(*, staff: User) -> World:
    alpha = EventFactory(title="Alpha")
    beta = EventFactory(title="Beta")
    vip = TicketTypeFactory(event=alpha, name="VIP", price=Decimal("100.00"), capacity=10)
    regular = TicketTypeFactory(event=alpha, name="Regular", price=Decimal("25.00"), capacity=50)
    ga = TicketTypeFactory(event=beta, name="GA", price=Decimal("40.00"), currency="EUR", capacity=20)
    ann, bob, cy = (UserFactory(name=name) for name in ("Ann", "Bob", "Cy"))
    User.objects.filter(pk=ann.pk).update(date_joined=at(1, 9))
    User.objects.filter(pk__in=[bob.pk, cy.pk]).update(date_joined=at(2, 18))

    def reserve(user, event, *items):
        return order_reserve(user=user, event_id=event.pk, items=[(t.pk, n) for t, n in items])

    first = _paid(reserve(ann, alpha, (vip, 2), (regular, 4)), ann, at(10, 10))
    second = _paid(reserve(ann, alpha, (regular, 1)), ann, at(11, 12))
    third = _paid(reserve(bob, alpha, (vip, 1)), bob, at(10, 23, 30))
    order_refund(order_id=third.pk, by=staff)
    Payment.objects.filter(order=third, kind=Payment.Kind.REFUND).update(created_at=at(11, 9))
    fourth = _paid(reserve(bob, beta, (ga, 3)), bob, at(11, 23, 59, 59))
    fifth = reserve(cy, alpha, (regular, 2))
    sixth = reserve(cy, beta, (ga, 1))
    order_cancel(order_id=sixth.pk, by=cy)
    seventh = reserve(cy, alpha, (vip, 1))
    Order.objects.filter(pk=seventh.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    order_expire(order_id=seventh.pk)

    now = timezone.now()
    Event.objects.filter(pk=alpha.pk).update(
        starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=3)
    )
    first_tickets = Ticket.objects.filter(order=first).order_by("id")
    checked_in = [
        *first_tickets.filter(ticket_type=vip).values_list("pk", flat=True),
        first_tickets.filter(ticket_type=regular).values_list("pk", flat=True).first(),
    ]
    Ticket.objects.filter(pk__in=checked_in).update(checked_in_at=now, checked_in_by=staff)
    for ticket_type in (vip, regular, ga):
        ticket_type.refresh_from_db()
    return World(
        alpha, beta, vip, regular, ga, ann, bob, cy, [first, second, third, fourth, fifth, sixth, seventh]
    )
