from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Ticket


def viewer_id(context: dict) -> int | None:
    """The id of the user a serializer's output is for (``context["request"]``), if any."""
    return getattr(getattr(context.get("request"), "user", None), "pk", None)


@extend_schema_field(OpenApiTypes.STR)
class TicketSecretField(serializers.Field):
    """The QR payload, shown only to the ticket's owner; null for anyone else and once void.

    Staff list every order, but the secret is the admission itself: whoever
    holds it can get in. Without a request in the context nobody is the owner.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, ticket) -> str | None:
        return self.value_for(ticket, viewer_id=viewer_id(self.context))

    @staticmethod
    def value_for(ticket, *, viewer_id: int | None) -> str | None:
        if ticket.status == Ticket.Status.VOID or viewer_id is None or ticket.order.user_id != viewer_id:
            return None
        return ticket.secret


class TicketOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()


class TicketEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()


class TicketTypeNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as its owner sees it, with links to its QR code."""

    order = TicketOrderSerializer()
    event = TicketEventSerializer(source="order.event")
    ticket_type = TicketTypeNameSerializer()
    seat = serializers.CharField(source="seat.label", default=None, allow_null=True)
    secret = TicketSecretField()
    qr_png = serializers.HyperlinkedIdentityField(view_name="tickets:ticket-qr-png")
    qr_svg = serializers.HyperlinkedIdentityField(view_name="tickets:ticket-qr-svg")

    class Meta:
        model = Ticket
        fields = [
            "id", "order", "event", "ticket_type", "seat", "holder_name", "status", "checked_in_at",
            "secret", "qr_png", "qr_svg",
        ]  # fmt: skip
        read_only_fields = fields


class CheckedInBySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketAtDoorSerializer(serializers.ModelSerializer):
    """A scanned ticket as the door staff see it: never its secret (they scanned it)."""

    order = serializers.CharField(source="order.code", help_text="The order's public code.")
    event = TicketEventSerializer(source="order.event")
    ticket_type = TicketTypeNameSerializer()
    seat = serializers.CharField(source="seat.label", default=None, allow_null=True)
    checked_in_by = CheckedInBySerializer(allow_null=True, help_text="Null while not checked in.")

    class Meta:
        model = Ticket
        fields = ["id", "order", "event", "ticket_type", "seat", "holder_name", "status", "checked_in_at",
                  "checked_in_by"]  # fmt: skip
        read_only_fields = fields


class CheckInCountSerializer(serializers.Serializer):
    checked_in = serializers.IntegerField()
    sold = serializers.IntegerField(help_text="Valid (paid) tickets of the event.")


class CheckInScopeSerializer(serializers.Serializer):
    event = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="Refuse tickets of any other event."
    )


class CheckInCountQuerySerializer(serializers.Serializer):
    event = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class CheckInResultSerializer(serializers.Serializer):
    """What the scanner shows: ``code`` is `checked_in` (check-in) or `ok` (verify), else why not."""

    admissible = serializers.BooleanField(help_text="True when check-in accepts (or accepted) the ticket.")
    detail = serializers.CharField()
    code = serializers.CharField()
    ticket = TicketAtDoorSerializer()


class CheckInRefusedSerializer(serializers.Serializer):
    """A refusal at the door: the API's error shape, plus the ticket it is about."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["already_checked_in", "ticket_not_valid", "wrong_event"])
    ticket = TicketAtDoorSerializer()


class DoorErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
