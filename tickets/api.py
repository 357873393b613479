from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation

from tickets import qr, selectors
from tickets.models import Ticket
from tickets.serializers import TicketSerializer
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
