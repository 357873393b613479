from django.urls import re_path

from tickets.api import CheckInCountView, TicketCheckInView, TicketVerifyView, TicketViewSet
from tixxety.api.routers import OptionalSlashRouter

app_name = "tickets"

router = OptionalSlashRouter()
router.register("tickets", TicketViewSet, basename="ticket")

# A secret is URL-safe base64 (``tickets.models.new_secret``); anything else is an unknown route (404).
CODE_IN_PATH = r"(?P<secret>[A-Za-z0-9_-]{1,64})"

urlpatterns = [
    re_path(rf"^tickets/verify/{CODE_IN_PATH}/?$", TicketVerifyView.as_view(), name="ticket-verify"),
    re_path(rf"^tickets/checkin/{CODE_IN_PATH}/?$", TicketCheckInView.as_view(), name="ticket-checkin"),
    re_path(r"^tickets/checkin-count/?$", CheckInCountView.as_view(), name="ticket-checkin-count"),
    *router.urls,
]
