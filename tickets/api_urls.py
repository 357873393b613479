from tickets.api import TicketViewSet
from tixxety.api.routers import OptionalSlashRouter

app_name = "tickets"

router = OptionalSlashRouter()
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = router.urls
