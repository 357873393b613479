from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.models import (
    MAX_TICKETS_PER_ORDER,
    CartItem,
    Order,
    OrderLine,
    Payment,
    TicketRequest,
    WaitlistEntry,
)
from orders.payments import PROVIDERS
from tickets.models import Ticket
from tickets.serializers import TicketEventSerializer, TicketSecretField, viewer_id

# The order's serializers write ``to_representation`` out. DRF builds every
# declared field anew for each serializer instance: for one order with its
# lines, tickets and payments that cost more CPU than the booking's SQL. The
# declared fields still describe the schema, these shared instances format
# values exactly as those fields do, and a test holds each written-out form
# equal to DRF's generic one.
_MONEY = serializers.DecimalField(max_digits=12, decimal_places=2)
_DATETIME = serializers.DateTimeField()


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


def line_data(line: OrderLine) -> dict:
    """``OrderLineSerializer``'s representation of ``line``."""
    return {
        "ticket_type": line.ticket_type_id,
        "name": line.ticket_type.name,
        "quantity": line.quantity,
        "unit_price": _MONEY.to_representation(line.unit_price),
        "subtotal": _MONEY.to_representation(line.subtotal),
    }


def order_ticket_data(ticket: Ticket, *, viewer_id: int | None) -> dict:
    """``OrderTicketSerializer``'s representation of ``ticket`` for the user ``viewer_id``."""
    return {
        "id": ticket.pk,
        "ticket_type": ticket.ticket_type_id,
        "seat": ticket.seat.label if ticket.seat_id else None,
        "holder_name": ticket.holder_name,
        "status": str(ticket.status),
        "secret": TicketSecretField.value_for(ticket, viewer_id=viewer_id),
        "checked_in_at": _datetime(ticket.checked_in_at),
    }


def payment_data(payment: Payment) -> dict:
    """``PaymentSerializer``'s representation of ``payment``."""
    return {
        "id": payment.pk,
        "order": payment.order.code,
        "kind": str(payment.kind),
        "amount": _MONEY.to_representation(payment.amount),
        "currency": payment.currency,
        "status": str(payment.status),
        "provider": payment.provider,
        "reference": payment.reference,
        "failure_reason": payment.failure_reason,
        "created_at": _datetime(payment.created_at),
    }


def order_event_data(order: Order) -> dict:
    return {"id": order.event_id, "title": order.event.title, "starts_at": _datetime(order.event.starts_at)}


def order_representation(order: Order, *, viewer_id: int | None) -> dict:
    """``OrderSerializer``'s representation of ``order`` for the user ``viewer_id``, without a serializer.

    A booking's 201 is built here directly: the four serializer instances
    and DRF's ``ReturnDict`` around the same dict were a cost of every booking.
    """
    return {
        "id": order.pk,
        "code": order.code,
        "status": str(order.status),
        "source": str(order.source),
        "event": order_event_data(order),
        "user": order.user.email,
        "total": _MONEY.to_representation(order.total),
        "currency": order.currency,
        "expires_at": _datetime(order.expires_at),
        "created_at": _datetime(order.created_at),
        "paid_at": _datetime(order.paid_at),
        "lines": [line_data(line) for line in order.lines.all()],
        "tickets": [order_ticket_data(ticket, viewer_id=viewer_id) for ticket in order.tickets.all()],
        "payments": [payment_data(payment) for payment in order.payments.all()],
    }


class OrderLineSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="ticket_type.name")
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = OrderLine
        fields = ["ticket_type", "name", "quantity", "unit_price", "subtotal"]

    def to_representation(self, line: OrderLine) -> dict:
        return line_data(line)


class OrderTicketSerializer(serializers.ModelSerializer):
    seat = serializers.CharField(source="seat.label", default=None, allow_null=True)
    secret = TicketSecretField()

    class Meta:
        model = Ticket
        fields = ["id", "ticket_type", "seat", "holder_name", "status", "secret", "checked_in_at"]

    def to_representation(self, ticket: Ticket) -> dict:
        return order_ticket_data(ticket, viewer_id=viewer_id(self.context))


class PaymentSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.code")

    class Meta:
        model = Payment
        fields = [
            "id",
            "order",
            "kind",
            "amount",
            "currency",
            "status",
            "provider",
            "reference",
            "failure_reason",
            "created_at",
        ]

    def to_representation(self, payment: Payment) -> dict:
        return payment_data(payment)


class OrderSerializer(serializers.ModelSerializer):
    event = serializers.SerializerMethodField()
    user = serializers.EmailField(source="user.email")
    lines = OrderLineSerializer(many=True)
    tickets = OrderTicketSerializer(many=True)
    payments = PaymentSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "id", "code", "status", "source", "event", "user", "total", "currency", "expires_at",
            "created_at", "paid_at", "lines", "tickets", "payments",
        ]  # fmt: skip

    @extend_schema_field(TicketEventSerializer)
    def get_event(self, order) -> dict:
        return order_event_data(order)

    def to_representation(self, order: Order) -> dict:
        return order_representation(order, viewer_id=viewer_id(self.context))


class BookItemSerializer(serializers.Serializer):
    ticket_type = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_TICKETS_PER_ORDER)


class BookSerializer(serializers.Serializer):
    """One of: ``{ticket_type, quantity}``, ``{items: [...]}`` or ``{seat_ids: [...]}``."""

    ticket_type = serializers.IntegerField(min_value=1, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_TICKETS_PER_ORDER, required=False)
    items = BookItemSerializer(many=True, required=False, allow_empty=False, max_length=20)
    seat_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=MAX_TICKETS_PER_ORDER,
    )

    def validate(self, attrs):
        single = "ticket_type" in attrs or "quantity" in attrs
        shapes = [single, "items" in attrs, "seat_ids" in attrs]
        if sum(shapes) != 1:
            raise serializers.ValidationError(
                "Send one of {ticket_type, quantity}, {items: [...]} or {seat_ids: [...]}.",
                code="invalid_shape",
            )
        if single and not ("ticket_type" in attrs and "quantity" in attrs):
            raise serializers.ValidationError("Send both ticket_type and quantity.", code="invalid_shape")
        return attrs

    @classmethod
    def reservation_from(cls, data) -> dict:
        """``order_reserve``'s keyword arguments from a request body, or ValidationError.

        The body of nearly every booking, ``{"ticket_type": n, "quantity": n}``
        with plain integers in range, is read directly: validating it through
        the declared fields cost 0.87 M instructions a request, a tenth of a
        whole booking. Any other body goes through the fields, which say what
        is wrong with it.
        """
        if type(data) is dict and data.keys() == {"ticket_type", "quantity"}:
            ticket_type, quantity = data["ticket_type"], data["quantity"]
            plain_integers = type(ticket_type) is int and type(quantity) is int  # not bool, str, float
            if plain_integers and ticket_type >= 1 and 1 <= quantity <= MAX_TICKETS_PER_ORDER:
                return {"items": [(ticket_type, quantity)]}
        booking = cls(data=data)
        booking.is_valid(raise_exception=True)
        return booking.to_reservation()

    def to_reservation(self) -> dict:
        """The keyword arguments of ``order_reserve``."""
        data = self.validated_data
        if "seat_ids" in data:
            return {"seat_ids": data["seat_ids"]}
        items = data.get("items") or [{"ticket_type": data["ticket_type"], "quantity": data["quantity"]}]
        return {"items": [(item["ticket_type"], item["quantity"]) for item in items]}


class PaySerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=sorted(PROVIDERS), default="test")
    token = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
    event = serializers.IntegerField(min_value=1, required=False)
    user = serializers.IntegerField(min_value=1, required=False, help_text="Staff only.")


class CartItemSerializer(serializers.ModelSerializer):
    """A cart line at today's price (the cart holds no price; checkout charges the current one)."""

    name = serializers.CharField(source="ticket_type.name")
    event = serializers.IntegerField(source="ticket_type.event_id")
    seat = serializers.CharField(source="seat.label", default=None, allow_null=True)
    unit_price = serializers.DecimalField(source="ticket_type.price", max_digits=10, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = CartItem
        fields = [
            "id", "ticket_type", "name", "event", "seat", "seat_id", "quantity", "unit_price", "line_total",
            "added_at",
        ]  # fmt: skip


class CartSerializer(serializers.Serializer):
    """The cart: its event (null while empty), lines, total and currency."""

    event = serializers.IntegerField(allow_null=True)
    items = CartItemSerializer(many=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(allow_null=True)


class CartItemAddSerializer(serializers.Serializer):
    """One of: ``{ticket_type, quantity}`` (quantity defaults to 1) or ``{seat_id}``."""

    ticket_type = serializers.IntegerField(min_value=1, required=False, source="ticket_type_id")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_TICKETS_PER_ORDER, required=False)
    seat_id = serializers.IntegerField(min_value=1, required=False)

    def validate(self, attrs):
        if ("ticket_type_id" in attrs) == ("seat_id" in attrs):
            raise serializers.ValidationError(
                "Send one of {ticket_type, quantity} or {seat_id}.", code="invalid_shape"
            )
        if "seat_id" in attrs and attrs.get("quantity", 1) != 1:
            raise serializers.ValidationError(
                {"quantity": ["A seat is one ticket: leave out the quantity."]}, code="seat_quantity"
            )
        return attrs


class CartItemUpdateSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_TICKETS_PER_ORDER)


class WaitlistJoinSerializer(serializers.Serializer):
    ticket_type = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_TICKETS_PER_ORDER, default=1)


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """A waitlist entry as its owner sees it: where it stands, and the order it was offered."""

    ticket_type_name = serializers.CharField(source="ticket_type.name", read_only=True)
    event = serializers.IntegerField(source="ticket_type.event_id", read_only=True)
    position = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="1 = next to be served; only while waiting."
    )
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)
    order_code = serializers.CharField(source="order.code", read_only=True, allow_null=True, default=None)
    order_expires_at = serializers.DateTimeField(
        source="order.expires_at", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = WaitlistEntry
        fields = [
            "id", "event", "ticket_type", "ticket_type_name", "quantity", "status", "position",
            "created_at", "offered_at", "order", "order_code", "order_expires_at",
        ]  # fmt: skip
        read_only_fields = fields


class TicketRequestCreateSerializer(BookSerializer):
    """A queue request: ``{ticket_type, quantity}`` or ``{items: [...]}``; the queue allocates no seats."""

    seat_ids = None

    def validate(self, attrs):
        single = "ticket_type" in attrs or "quantity" in attrs
        if single == ("items" in attrs):
            raise serializers.ValidationError(
                "Send one of {ticket_type, quantity} or {items: [...]}.", code="invalid_shape"
            )
        if single and not ("ticket_type" in attrs and "quantity" in attrs):
            raise serializers.ValidationError("Send both ticket_type and quantity.", code="invalid_shape")
        return attrs


class TicketRequestSerializer(serializers.ModelSerializer):
    """A queue request as its owner sees it; ``position`` counts the queued requests ahead of it."""

    position = serializers.SerializerMethodField()

    class Meta:
        model = TicketRequest
        fields = [
            "id",
            "event",
            "items",
            "priority",
            "status",
            "position",
            "order",
            "reason",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_position(self, ticket_request) -> int | None:
        """Queued requests of the event ahead of this one (0: next); null once decided."""
        return getattr(ticket_request, "position", None)
