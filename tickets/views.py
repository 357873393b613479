"""The QR code of one of the signed-in user's valid tickets, as an image for the order page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from tickets import qr, selectors
from tickets.api import QR_MAX_AGE
from tickets.models import Ticket


@login_required
@require_GET
def ticket_qr(request, pk: int):
    """SVG of the ticket's secret; another user's ticket, or a ticket that is not valid, is a 404."""
    ticket = get_object_or_404(selectors.ticket_list(user=request.user), pk=pk)
    if ticket.status != Ticket.Status.VALID:
        raise Http404("This ticket has no QR code.")
    response = HttpResponse(qr.qr_svg(ticket.secret), content_type="image/svg+xml")
    patch_cache_control(response, private=True, max_age=QR_MAX_AGE)
    return response
