from django.urls import re_path

from orders.api import BookView, OrderViewSet, PaymentViewSet
from tixxety.api.routers import OptionalSlashRouter

app_name = "orders"

router = OptionalSlashRouter()
router.register("orders", OrderViewSet, basename="order")
router.register("payments", PaymentViewSet, basename="payment")

urlpatterns = [
    re_path(r"^events/(?P<event_id>\d+)/book/?$", BookView.as_view(), name="event-book"),
    *router.urls,
]
