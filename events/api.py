from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from events import cache, selectors, services
from events.models import TicketType, Venue
from events.serializers import (
    AvailabilitySerializer,
    EventDetailSerializer,
    EventListSerializer,
    EventQuerySerializer,
    EventWriteSerializer,
    ForYouQuerySerializer,
    SeatGenerateSerializer,
    SeatSerializer,
    TicketTypeSerializer,
    TicketTypeWriteSerializer,
    VenueSerializer,
)
from tixxety.api.permissions import IsAdminRole, IsAdminRoleOrReadOnly
from tixxety.api.schema import error_response
from tixxety.exceptions import LocationNotSet

WRITE_METHODS = ["get", "post", "patch", "delete", "head", "options"]
CACHED_ACTIONS = ("list", "retrieve", "availability", "seats")
JSON = "application/json"


def _read_key(role: str, media_type: str, url: str) -> str:
    """What a cached read depends on besides the catalogue version: who reads, in which format, which URL."""
    return f"{role} {media_type} {url}"


class VenueViewSet(viewsets.ModelViewSet):
    """Venues: anyone reads, admins write."""

    queryset = Venue.objects.order_by("name", "id")
    serializer_class = VenueSerializer
    permission_classes = [IsAdminRoleOrReadOnly]
    http_method_names = WRITE_METHODS

    def perform_create(self, serializer):
        serializer.instance = services.venue_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.venue_update(venue=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, venue):
        services.venue_delete(venue=venue)


class EventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The catalogue. Anyone browses published events; admins manage all of them."""

    permission_classes = [IsAdminRoleOrReadOnly]
    http_method_names = WRITE_METHODS

    def get_queryset(self):
        return selectors.event_detail_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return EventWriteSerializer
        return EventListSerializer if self.action in ("list", "for_you") else EventDetailSerializer

    def dispatch(self, request, *args, **kwargs):
        """An anonymous public read whose cached JSON is current is answered here, before DRF's machinery.

        Most catalogue traffic is anonymous browsing: no credentials, no
        session, JSON. For those DRF would only find an anonymous user, allow
        the read and negotiate JSON, then ``_cached`` would serve the very
        entry looked up here (same key); on a miss, or for anyone else, the
        request goes the usual way.
        """
        if self.action_map.get(request.method.lower()) in CACHED_ACTIONS and self._anonymous_json(request):
            answer = cache.current_answer(_read_key("public", JSON, request.build_absolute_uri()))
            if answer is not None:
                status_code, body = answer
                response = HttpResponse(body, status=status_code, content_type=JSON)
                response["Allow"] = ", ".join(self.allowed_methods)
                return response
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _anonymous_json(request) -> bool:
        return (
            request.method == "GET"
            and "HTTP_AUTHORIZATION" not in request.META
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and request.META.get("HTTP_ACCEPT", "*/*") in ("*/*", JSON)
        )

    def _cached(self, data: Callable[[], object], *, lifetime: Callable[[], float | None] | None = None):
        """A public read's response, served from the catalogue cache (``events.cache``) when it is current.

        The key is the full URL, the negotiated media type and the reader's
        role (admins see every status); ``data()`` builds the payload on a
        miss. A 404 it raises (no such event, no such page) is cached as
        answered, since asking again would cost the same database read;
        anything else it raises is answered as usual and not cached. The
        browsable API (another renderer) is never cached.
        """
        request = self.request
        if not isinstance(request.accepted_renderer, JSONRenderer):
            return Response(data())
        media_type = request.accepted_media_type
        role = "admin" if getattr(request.user, "is_admin", False) else "public"

        def render() -> cache.Answer:
            try:
                payload, status_code = data(), status.HTTP_200_OK
            except (Http404, NotFound) as missing:
                answered = self.handle_exception(missing)
                payload, status_code = answered.data, answered.status_code
            renderer_context = self.get_renderer_context()
            return status_code, request.accepted_renderer.render(payload, media_type, renderer_context)

        key = _read_key(role, media_type, request.build_absolute_uri())
        status_code, body = cache.cached_answer(key, render, lifetime=lifetime)
        return HttpResponse(body, status=status_code, content_type=media_type)

    def _detail(self, event, status_code=status.HTTP_200_OK):
        event = self.get_queryset().get(pk=event.pk)
        return Response(
            EventDetailSerializer(event, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(parameters=[EventQuerySerializer])
    def list(self, request):
        def page():
            query = EventQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            events = selectors.event_list(user=request.user, filters=query.to_filters())
            events_page = self.paginate_queryset(events)
            return self.get_paginated_response(EventListSerializer(events_page, many=True).data).data

        # The list leaves ended events out: an entry lasts until the next one ends.
        return self._cached(page, lifetime=lambda: selectors.seconds_until_next_end(now=timezone.now()))

    def retrieve(self, request, pk=None):
        return self._cached(lambda: EventDetailSerializer(self.get_object()).data)

    @extend_schema(request=EventWriteSerializer, responses={201: EventDetailSerializer})
    def create(self, request):
        serializer = EventWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.event_create(**serializer.validated_data)
        return self._detail(event, status.HTTP_201_CREATED)

    @extend_schema(request=EventWriteSerializer, responses={200: EventDetailSerializer})
    def partial_update(self, request, pk=None):
        event = self.get_object()
        serializer = EventWriteSerializer(event, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return self._detail(services.event_update(event=event, **serializer.validated_data))

    def perform_destroy(self, event):
        services.event_delete(event=event)

    @extend_schema(request=None, responses={200: EventDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAdminRole])
    def deactivate(self, request, pk=None):
        """Stop sales; orders and tickets stay valid."""
        return self._detail(services.event_deactivate(event=self.get_object()))

    @extend_schema(
        parameters=[ForYouQuerySerializer],
        responses={
            200: EventListSerializer(many=True),
            404: error_response('`{"code": "location_not_set"}`, or no such page.'),
        },
    )
    @action(detail=False, methods=["get"], url_path="for-you", permission_classes=[IsAuthenticated])
    def for_you(self, request):
        """Upcoming events near the signed-in user's location, nearest first."""
        query = ForYouQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = request.user
        if not user.has_location:
            raise LocationNotSet()
        events = selectors.event_list_near(
            latitude=user.latitude,
            longitude=user.longitude,
            max_distance_km=query.validated_data["max_distance_km"],
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventListSerializer(page, many=True).data)

    @extend_schema(responses={200: AvailabilitySerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def availability(self, request, pk=None):
        """Capacity, reserved, sold and available per ticket type."""

        def availability():
            event = get_object_or_404(selectors.event_visible_list(user=request.user), pk=pk)
            return AvailabilitySerializer(selectors.ticket_type_list(event=event), many=True).data

        return self._cached(availability)

    @extend_schema(responses={200: SeatSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def seats(self, request, pk=None):
        """The seat map: every seat with its state (free, held or sold)."""

        def seat_map():
            event = get_object_or_404(selectors.event_visible_list(user=request.user), pk=pk)
            return SeatSerializer(selectors.seat_list(event=event), many=True).data

        return self._cached(seat_map)

    @extend_schema(request=SeatGenerateSerializer, responses={201: SeatSerializer(many=True)})
    @action(
        detail=True,
        methods=["post"],
        url_path="seats/generate",
        permission_classes=[IsAdminRole],
        pagination_class=None,
    )
    def generate_seats(self, request, pk=None):
        """Add a grid of seats (rows x seats_per_row, labels A1...) to one ticket type."""
        event = self.get_object()
        params = SeatGenerateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        ticket_type = get_object_or_404(TicketType, pk=params.validated_data.pop("ticket_type"), event=event)
        services.seats_generate(event=event, ticket_type=ticket_type, **params.validated_data)
        return Response(
            SeatSerializer(selectors.seat_list(event=event), many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(methods=["get"], responses={200: TicketTypeSerializer(many=True)})
    @extend_schema(methods=["post"], request=TicketTypeWriteSerializer, responses={201: TicketTypeSerializer})
    @action(detail=True, methods=["get", "post"], url_path="ticket-types", pagination_class=None)
    def ticket_types(self, request, pk=None):
        """The event's ticket types; admins add new ones (the viewset's permission guards POST)."""
        event = get_object_or_404(selectors.event_visible_list(user=request.user), pk=pk)
        if request.method == "GET":
            return Response(TicketTypeSerializer(selectors.ticket_type_list(event=event), many=True).data)
        serializer = TicketTypeWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket_type = services.ticket_type_create(event=event, **serializer.validated_data)
        return Response(TicketTypeSerializer(ticket_type).data, status=status.HTTP_201_CREATED)


class TicketTypeViewSet(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """One ticket type: anyone reads, admins change capacity, price and the rest."""

    permission_classes = [IsAdminRoleOrReadOnly]
    http_method_names = WRITE_METHODS

    def get_queryset(self):
        return selectors.ticket_type_visible_list(user=self.request.user)

    def get_serializer_class(self):
        return TicketTypeSerializer if self.request.method == "GET" else TicketTypeWriteSerializer

    @extend_schema(request=TicketTypeWriteSerializer, responses={200: TicketTypeSerializer})
    def partial_update(self, request, pk=None):
        serializer = TicketTypeWriteSerializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ticket_type = services.ticket_type_update(
            ticket_type=serializer.instance, **serializer.validated_data
        )
        return Response(TicketTypeSerializer(ticket_type).data)

    def perform_destroy(self, ticket_type):
        services.ticket_type_delete(ticket_type=ticket_type)
