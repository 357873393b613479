"""The signed-in user's cart: ``/api/cart``, its items, and checkout into one reserved order.

Every route acts on the requesting user's own cart; an item id of another
user's cart is a 404. Writes go through ``orders.services.cart`` and answer
with the whole cart, so a client redraws it from one response.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from orders.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from orders.api.orders import order_data
from orders.serializers import (
    CartItemAddSerializer,
    CartItemUpdateSerializer,
    CartSerializer,
    OrderSerializer,
)
from tixxety.api.schema import error_response
from tixxety.business_metrics import BOOKING_SECONDS
from tixxety.ratelimits import rate_limit


def _cart_data(request) -> dict:
    return CartSerializer(selectors.cart_get(user=request.user)).data


class CartView(APIView):
    """The user's cart: lines with their totals, the cart's total and currency."""

    @extend_schema(responses={200: CartSerializer}, summary="Show the cart")
    def get(self, request):
        return Response(_cart_data(request))

    @extend_schema(responses={204: None}, summary="Empty the cart")
    def delete(self, request):
        services.cart_clear(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartItemsView(APIView):
    """Add to the cart: a quantity of a ticket type (merged with its line) or one seat."""

    @extend_schema(
        request=CartItemAddSerializer,
        responses={201: CartSerializer, 404: error_response("No such ticket type or seat on sale.")},
        summary="Add to the cart",
    )
    def post(self, request):
        item = CartItemAddSerializer(data=request.data)
        item.is_valid(raise_exception=True)
        services.cart_add_item(user=request.user, **item.validated_data)
        return Response(_cart_data(request), status=status.HTTP_201_CREATED)


class CartItemView(APIView):
    """One line of the user's cart: change its quantity or remove it."""

    @extend_schema(
        request=CartItemUpdateSerializer, responses={200: CartSerializer}, summary="Change a quantity"
    )
    def patch(self, request, item_id):
        change = CartItemUpdateSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        services.cart_update_item(user=request.user, item_id=int(item_id), **change.validated_data)
        return Response(_cart_data(request))

    @extend_schema(responses={204: None}, summary="Remove a line")
    def delete(self, request, item_id):
        services.cart_remove_item(user=request.user, item_id=int(item_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartCheckoutView(APIView):
    """Reserve the whole cart as one order; the cart is emptied only when that succeeds."""

    @BOOKING_SECONDS.labels(endpoint="checkout").time()
    @rate_limit("booking")
    @extend_schema(
        request=None,
        responses={201: OrderSerializer, 404: error_response("A line's event, ticket type or seat is gone.")},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Check out the cart",
    )
    @idempotent(atomic=True)
    def post(self, request):
        order = services.cart_checkout(user=request.user)
        return Response(order_data(order, request), status=status.HTTP_201_CREATED)
