"""The priority queue: send a ticket request to a queue-mode event, follow it until it is decided."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors
from orders.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from orders.serializers import TicketRequestCreateSerializer, TicketRequestSerializer
from orders.services.queue import ticket_request_create
from tixxety.ratelimits import rate_limit


class TicketRequestCreateView(APIView):
    """Join the event's queue: answered 202 at once, allocated in the background (VIP first)."""

    @rate_limit("booking")
    @extend_schema(
        request=TicketRequestCreateSerializer,
        responses={202: TicketRequestSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Send a ticket request",
    )
    @idempotent(atomic=True)
    def post(self, request, event_id):
        items = TicketRequestCreateSerializer.reservation_from(request.data)["items"]
        ticket_request = ticket_request_create(user=request.user, event_id=int(event_id), items=items)
        return Response(_accepted_data(ticket_request), status=status.HTTP_202_ACCEPTED)


def _accepted_data(ticket_request) -> dict:
    """``TicketRequestSerializer``'s answer for a request just queued, built directly.

    Intake is the hot path of an on-sale; the serializer's field machinery
    cost more than the insert. ``test_queue`` holds the two answers equal.
    """
    return {
        "id": ticket_request.pk,
        "event": ticket_request.event_id,
        "items": ticket_request.items,
        "priority": ticket_request.priority,
        "status": ticket_request.status,
        "position": ticket_request.position,
        "order": None,
        "reason": "",
        "created_at": serializers.DateTimeField().to_representation(ticket_request.created_at),
        "decided_at": None,
    }


class TicketRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's own ticket requests: status, position while queued, the order or the reason."""

    serializer_class = TicketRequestSerializer

    def get_queryset(self):
        return selectors.ticket_request_list(user=self.request.user)
