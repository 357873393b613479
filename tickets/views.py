"""Ticket pages: a QR image for its owner, and the door check-in page for staff."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods

from events.models import Event
from tickets import qr, selectors, services
from tickets.api import QR_MAX_AGE
from tickets.models import Ticket
from tixxety.exceptions import NotFound

# An event stays on the door's list until a day after it ends (late leavers, re-entry questions).
DOOR_GRACE = timezone.timedelta(days=1)


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


class CheckInForm(forms.Form):
    event = forms.ModelChoiceField(queryset=Event.objects.none(), empty_label="Choose the event")
    secret = forms.CharField(label="Ticket code", max_length=64, strip=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = Event.objects.filter(
            status=Event.Status.PUBLISHED, ends_at__gte=timezone.now() - DOOR_GRACE
        ).order_by("starts_at", "pk")


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request):
    """Choose the event, then scan or type a code: a large green or red answer and the event's count.

    Works without JavaScript (the form posts here and calls the same service
    as the API); ``static/js/checkin.js`` adds the camera and answers in
    place through the API. Staff only; a customer gets the 403 page.
    """
    if not request.user.is_staff_member:
        raise PermissionDenied("The check-in page is for staff.")
    answer, status = None, 200
    if request.method == "POST":
        form = CheckInForm(request.POST)
        if form.is_valid():
            answer = _scan(form.cleaned_data["secret"], event=form.cleaned_data["event"], by=request.user)
            status = answer["status"]
        form = CheckInForm(initial={"event": request.POST.get("event")})  # an empty code field: next scan
    else:
        form = CheckInForm(initial={"event": request.GET.get("event")})
    event = _chosen_event(form)
    counts = selectors.event_check_in_count(event_id=event.pk) if event else None
    context = {"form": form, "answer": answer, "event": event, "counts": counts}
    return render(request, "tickets/checkin.html", context, status=status)


def _scan(secret: str, *, event: Event, by) -> dict:
    try:
        ticket = services.ticket_check_in(secret=secret, by=by, event_id=event.pk)
    except services.CheckInRefused as refusal:
        return {"ok": False, "detail": refusal.detail, "ticket": refusal.ticket, "status": 409}
    except NotFound as error:
        return {"ok": False, "detail": error.detail, "ticket": None, "status": 404}
    return {"ok": True, "detail": "Checked in.", "ticket": ticket, "status": 200}


def _chosen_event(form: CheckInForm) -> Event | None:
    chosen = form.initial.get("event")
    if not chosen or not str(chosen).isascii() or not str(chosen).isdigit():
        return None
    return form.fields["event"].queryset.filter(pk=int(chosen)).first()
