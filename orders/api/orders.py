"""Orders: book, list and read, pay, cancel, refund; and the transaction log of payments."""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from orders.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from orders.exports import stream_payments_csv
from orders.serializers import (
    BookSerializer,
    OrderFilterSerializer,
    OrderSerializer,
    PaymentSerializer,
    PaySerializer,
    order_representation,
)
from tixxety.api.permissions import IsStaffRole
from tixxety.api.schema import error_response
from tixxety.business_metrics import BOOKING_SECONDS
from tixxety.ratelimits import rate_limit


class BookView(APIView):
    """Reserve tickets of one event: by quantity, across ticket types, or by seats."""

    @BOOKING_SECONDS.labels(endpoint="book").time()
    @rate_limit("booking")
    @extend_schema(
        request=BookSerializer,
        responses={201: OrderSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Book tickets",
    )
    @idempotent(atomic=True)
    def post(self, request, event_id):
        reservation = BookSerializer.reservation_from(request.data)
        order = services.order_reserve(user=request.user, event_id=int(event_id), **reservation)
        data = order_representation(order, viewer_id=request.user.pk)  # OrderSerializer's, built directly
        return Response(data, status=status.HTTP_201_CREATED)


def order_data(order, request) -> dict:
    """The order as the requesting user sees it, re-read with everything it needs in four queries."""
    order = selectors.order_get(user=request.user, order_id=order.pk)
    return OrderSerializer(order, context={"request": request}).data


@extend_schema_view(list=extend_schema(parameters=[OrderFilterSerializer]))
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A user's orders (staff: everyone's, filterable by status, event and user)."""

    serializer_class = OrderSerializer

    def get_queryset(self):
        orders = selectors.order_list(user=self.request.user)
        if self.action != "list":
            return orders
        filters = OrderFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if not self.request.user.is_staff_member:
            filters.validated_data.pop("user", None)
        lookups = {
            {"event": "event_id", "user": "user_id"}.get(k, k): v for k, v in filters.validated_data.items()
        }
        return orders.filter(**lookups)

    def _order_id(self, pk) -> int:
        return get_object_or_404(self.get_queryset().values_list("pk", flat=True), pk=pk)

    @extend_schema(
        request=PaySerializer,
        responses={200: OrderSerializer, 402: error_response("Declined; the order stays reserved.")},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def pay(self, request, pk=None):
        """Pay a reserved order: `{"provider": "test", "token": "tok_visa"}`. Declined → 402."""
        payment = PaySerializer(data=request.data)
        payment.is_valid(raise_exception=True)
        order = services.order_pay(order_id=self._order_id(pk), by=request.user, **payment.validated_data)
        return Response(order_data(order, request))

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a reserved order and release its tickets."""
        order = services.order_cancel(order_id=self._order_id(pk), by=request.user)
        return Response(order_data(order, request))

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Refund a paid order: by its owner before the event starts, by staff at any time."""
        order = services.order_refund(order_id=self._order_id(pk), by=request.user)
        return Response(order_data(order, request))


class PaymentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The transaction log: every charge and refund (a user's own; staff see all)."""

    serializer_class = PaymentSerializer

    def get_queryset(self):
        return selectors.payment_list(user=self.request.user)

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=False, methods=["get"], permission_classes=[IsStaffRole], pagination_class=None)
    def export(self, request):
        """The whole transaction log as CSV (staff)."""
        payments = self.get_queryset().order_by("created_at", "id").iterator(chunk_size=2000)
        response = StreamingHttpResponse(stream_payments_csv(payments), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="tixxety-transactions.csv"'
        return response
