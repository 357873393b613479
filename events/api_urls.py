from events.api import EventViewSet, TicketTypeViewSet, VenueViewSet
from tixxety.api.routers import OptionalSlashRouter

app_name = "events"

router = OptionalSlashRouter()
router.register("venues", VenueViewSet, basename="venue")
router.register("events", EventViewSet, basename="event")
router.register("ticket-types", TicketTypeViewSet, basename="ticket-type")

urlpatterns = router.urls
