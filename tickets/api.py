from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets import qr, selectors, services
from tickets.models import Ticket
from tickets.serializers import (
    CheckInCountQuerySerializer,
    CheckInCountSerializer,
    CheckInRefusedSerializer,
    CheckInResultSerializer,
    CheckInScopeSerializer,
    DoorErrorSerializer,
    TicketSerializer,
)
from tixxety.api.exceptions import error_body
from tixxety.api.permissions import IsStaffRole
from tixxety.exceptions import TicketNotPaid, TicketVoid

# The image of a ticket never changes (its secret is fixed), so browsers may
# keep it a while. A copy kept after the ticket is voided scans as void at the
# door: check-in reads the ticket's status, not the picture.
QR_MAX_AGE = 60 * 60

ERROR_RESPONSES = {
    404: OpenApiResponse(description="No such ticket among yours."),
    409: OpenApiResponse(
        description='The ticket is not valid: void (`{"code": "ticket_void"}`) or its order is not paid yet '
        '(`{"code": "ticket_not_paid"}`).'
    ),
}


class JSONErrorsNegotiation(BaseContentNegotiation):
    """Ignore ``Accept``: the image views answer with an image, and errors in JSON.

    Without this, a client asking for ``Accept: image/png`` would get a 406,
    since the API's renderers only speak JSON.
    """

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(summary="My tickets", description="Every status, newest order first."),
    retrieve=extend_schema(summary="One of my tickets", description="Another user's ticket is a 404."),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's tickets, every status, and their QR codes. Staff get no wider view."""

    serializer_class = TicketSerializer

    def get_queryset(self):
        return selectors.ticket_list(user=self.request.user)

    @extend_schema(
        summary="QR code of a ticket (PNG)",
        operation_id="tickets_qr_png",
        responses={(200, "image/png"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get"], url_path="qr.png", content_negotiation_class=JSONErrorsNegotiation)
    def qr_png(self, request, pk=None):
        """The ticket's secret as a QR code to show at the door. Only a valid (paid) ticket has one."""
        return _image(qr.qr_png(_scannable(self.get_object()).secret), "image/png")

    @extend_schema(
        summary="QR code of a ticket (SVG)",
        operation_id="tickets_qr_svg",
        responses={(200, "image/svg+xml"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get"], url_path="qr.svg", content_negotiation_class=JSONErrorsNegotiation)
    def qr_svg(self, request, pk=None):
        """The ticket's secret as a QR code, scalable for print. Only a valid (paid) ticket has one."""
        return _image(qr.qr_svg(_scannable(self.get_object()).secret), "image/svg+xml")


def _scannable(ticket: Ticket) -> Ticket:
    """Refuse the code of a ticket that is not valid: the door would turn it away.

    A reserved ticket gets its code once its order is paid (the same secret);
    a void ticket never again.
    """
    if ticket.status == Ticket.Status.VOID:
        raise TicketVoid()
    if ticket.status != Ticket.Status.VALID:
        raise TicketNotPaid()
    return ticket


def _image(content: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    patch_cache_control(response, private=True, max_age=QR_MAX_AGE)
    return response


# --- at the door: verify and check in by secret (staff) ---

STAFF_QUERY_ERRORS = {
    400: OpenApiResponse(DoorErrorSerializer, description="`event` is not a positive integer."),
    401: OpenApiResponse(DoorErrorSerializer, description="Not signed in."),
    403: OpenApiResponse(DoorErrorSerializer, description="Staff only."),
}
DOOR_ERRORS = {
    **STAFF_QUERY_ERRORS,
    404: OpenApiResponse(DoorErrorSerializer, description="No ticket has this code (`ticket_not_found`)."),
}


class DoorView(APIView):
    """Base of the two door endpoints: staff only, optionally scoped with ``?event=``."""

    permission_classes = [IsStaffRole]

    def event_id(self, request) -> int | None:
        scope = CheckInScopeSerializer(data=request.query_params)
        scope.is_valid(raise_exception=True)
        return scope.validated_data.get("event")

    @staticmethod
    def result(ticket, *, admissible: bool, detail: str, code: str) -> dict:
        return CheckInResultSerializer(
            {"admissible": admissible, "detail": detail, "code": code, "ticket": ticket}
        ).data

    @staticmethod
    def refused(refusal: services.CheckInRefused) -> Response:
        body = error_body(refusal.detail, refusal.code, ticket=door_ticket_data(refusal.ticket))
        return Response(body, status=status.HTTP_409_CONFLICT)


class TicketVerifyView(DoorView):
    @extend_schema(
        summary="Verify a scanned ticket (staff)",
        operation_id="tickets_verify",
        parameters=[CheckInScopeSerializer],
        responses={200: CheckInResultSerializer, **DOOR_ERRORS},
    )
    def get(self, request, secret: str):
        """What check-in would say about the ticket, without checking it in.

        200 for every known ticket: `admissible` tells whether check-in would
        accept it, and `code` says why not (`already_checked_in`,
        `ticket_not_valid`, `wrong_event`).
        """
        event_id = self.event_id(request)
        ticket, refusal = services.ticket_verify(secret=secret, event_id=event_id)
        detail, code = (refusal.detail, refusal.code) if refusal else ("Valid.", "ok")
        return Response(self.result(ticket, admissible=refusal is None, detail=detail, code=code))


class TicketCheckInView(DoorView):
    @extend_schema(
        summary="Check a ticket in (staff)",
        operation_id="tickets_checkin",
        request=None,
        parameters=[CheckInScopeSerializer],
        responses={
            200: CheckInResultSerializer,
            **DOOR_ERRORS,
            409: OpenApiResponse(
                CheckInRefusedSerializer,
                description="Turned away: `already_checked_in` (the detail and `ticket` give the first "
                "time and who), `ticket_not_valid` (reserved, void, or its order being refunded) or "
                "`wrong_event`.",
            ),
        },
    )
    def post(self, request, secret: str):
        """Check the ticket in once, recording when and by whom. Concurrent scans: one wins."""
        event_id = self.event_id(request)
        try:
            ticket = services.ticket_check_in(secret=secret, by=request.user, event_id=event_id)
        except services.CheckInRefused as refusal:
            return self.refused(refusal)
        return Response(checked_in_data(ticket))


def checked_in_data(ticket: Ticket) -> dict:
    """``CheckInResultSerializer``'s answer for an admitted scan, built directly (``door_ticket_data``)."""
    return {
        "admissible": True,
        "detail": "Checked in.",
        "code": "checked_in",
        "ticket": door_ticket_data(ticket),
    }


def door_ticket_data(ticket: Ticket) -> dict:
    """``TicketAtDoorSerializer``'s output, built directly: every scan's answer, admitted or refused.

    The door's hot path: the nested serializers' field machinery cost about
    as much as the check-in statement. ``test_checkin`` holds the two equal.
    """
    to_datetime = serializers.DateTimeField().to_representation
    event = ticket.order.event
    by = ticket.checked_in_by
    return {
        "id": ticket.pk,
        "order": ticket.order.code,
        "event": {"id": event.pk, "title": event.title, "starts_at": to_datetime(event.starts_at)},
        "ticket_type": {"id": ticket.ticket_type.pk, "name": ticket.ticket_type.name},
        "seat": ticket.seat.label if ticket.seat else None,
        "holder_name": ticket.holder_name,
        "status": ticket.status,
        "checked_in_at": to_datetime(ticket.checked_in_at),  # None stays None
        "checked_in_by": {"id": by.pk, "name": by.name} if by else None,
    }


class CheckInCountView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        summary="Checked in / sold for an event (staff)",
        operation_id="tickets_checkin_count",
        parameters=[CheckInCountQuerySerializer],
        responses={200: CheckInCountSerializer, **STAFF_QUERY_ERRORS},
    )
    def get(self, request):
        """The door page's live count. Kept apart from check-in so that a scan costs two statements."""
        query = CheckInCountQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        counts = selectors.event_check_in_count(event_id=query.validated_data["event"])
        return Response(CheckInCountSerializer(counts).data)
